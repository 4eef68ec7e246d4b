"""``learnloop tutor``: ask the tutor as a student, from the terminal."""

from __future__ import annotations

import sys

import click

from learnloop.cli.base import cli, console, err_console
from learnloop.services import Backend
from learnloop.services.tutor import TutorRequest
from learnloop.services.users import get_user
from learnloop.tutor.prompts import MODES


@cli.group()
def tutor() -> None:
    """The tutor: ask a question, get a hint, see how it answers a student."""


@tutor.command("ask")
@click.argument("course_id")
@click.argument("message", default="")
@click.option("--as", "username", required=True, help="The student asking (their username).")
@click.option("--mode", type=click.Choice(MODES), default="answer", show_default=True)
@click.option("--item", "item_id", default=None, help="The item the student is working on.")
@click.option("--concept", "concept_id", default=None, help="The concept to explain or check.")
@click.option("--language", type=click.Choice(["en", "zh"]), default=None)
@click.option("--conversation", "conversation_id", type=int, default=None, help="Continue one.")
def ask(
    course_id: str,
    message: str,
    username: str,
    mode: str,
    item_id: str | None,
    concept_id: str | None,
    language: str | None,
    conversation_id: int | None,
) -> None:
    """Ask the tutor MESSAGE about COURSE_ID as a student; the reply streams to stdout, its
    sources and notices to stderr. The turn is stored like one asked on the web.

    e.g. learnloop tutor ask fractions "Why do I need a common denominator?" --as student
    """
    from learnloop.web.app import make_tutor

    backend = Backend.open()
    try:
        with backend.transaction() as s:
            user = get_user(s, username=username)
            s.expunge(user)
        request = TutorRequest(
            course_key=course_id,
            message=message,
            mode=mode,
            item_key=item_id,
            concept_key=concept_id,
            language=language,
            conversation_id=conversation_id,
        )
        for event in make_tutor(backend).stream(user, request):
            if event.kind == "meta":
                model = event.data["model"] or "no model"
                err_console.print(
                    f"conversation {event.data['conversation_id']} · {model} · "
                    f"{event.data['language']}",
                    markup=False,
                )
            elif event.kind == "token":
                sys.stdout.write(event.data["text"])
                sys.stdout.flush()
            elif event.kind == "notice":
                err_console.print(f"\n[{event.data['kind']}]", markup=False)
            elif event.kind == "done":
                console.print()
                for c in event.data["citations"]:
                    mark = f"[{c['n']}]" if c["cited"] else " - "
                    err_console.print(
                        f"{mark} {c['title']} › {c['section']} ({c['material_id']}#{c['anchor']})",
                        markup=False,
                    )
    finally:
        backend.close()
