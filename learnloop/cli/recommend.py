"""``learnloop next`` and ``learnloop path``: what a student should do next, and their path to
a goal, as the API and the pages give them."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from learnloop.cli.base import cli, console
from learnloop.domain.course import COURSE_POLICIES
from learnloop.services import Backend, goals
from learnloop.services import recommend as service
from learnloop.services.users import get_user


def _student(backend: Backend, username: str) -> Any:
    with backend.transaction() as s:
        user = get_user(s, username=username)
        s.expunge(user)
    return user


def _json(value: object) -> str:
    def default(o: object) -> str:
        if isinstance(o, datetime):
            return o.isoformat()
        raise TypeError(type(o).__name__)

    return json.dumps(value, ensure_ascii=False, indent=2, default=default)


@cli.command("next")
@click.argument("course_id")
@click.option("--as", "username", required=True, help="The student (their username).")
@click.option("--language", type=click.Choice(["en", "zh"]), default=None)
@click.option(
    "--policy",
    type=click.Choice(COURSE_POLICIES),
    default=None,
    help="Ask another policy than the course's.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the activity as JSON.")
def next_command(
    course_id: str, username: str, language: str | None, policy: str | None, as_json: bool
) -> None:
    """What the student USERNAME should do next in COURSE_ID, and why.

    e.g. learnloop next fractions --as student
    """
    backend = Backend.open()
    try:
        user = _student(backend, username)
        act = service.next_activity(
            backend, user, course_id, lang=language or user.language or "en", policy=policy
        )
    finally:
        backend.close()
    if as_json:
        click.echo(_json(asdict(act)))
        return
    what = act.item_id or "-"
    console.print(f"[bold]{act.kind}[/bold] {what} ({act.concept_name or act.concept_id or '-'})")
    console.print(act.explanation, markup=False)
    for m in act.material:
        console.print(f"  read: {m.title} › {m.section}  {m.href}", markup=False)
    if act.due_reviews:
        console.print(f"due for review: {', '.join(act.due_reviews)}", markup=False)
    console.print(f"[dim]policy: {act.policy}[/dim]")


@cli.command("path")
@click.argument("course_id")
@click.option("--as", "username", required=True, help="The student (their username).")
@click.option("--goal", default=None, help="The goal concept (default: the student's goal).")
@click.option("--set", "set_goal", is_flag=True, help="Save --goal as the student's own goal.")
@click.option("--language", type=click.Choice(["en", "zh"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the path as JSON.")
def path_command(
    course_id: str,
    username: str,
    goal: str | None,
    set_goal: bool,
    language: str | None,
    as_json: bool,
) -> None:
    """The student's path to a goal concept of COURSE_ID: what to learn first, in order, and
    about how many answers each step needs.

    e.g. learnloop path fractions --as student --goal adding-unlike
    """
    if set_goal and not goal:
        raise click.UsageError("--set needs --goal CONCEPT")
    backend = Backend.open()
    try:
        user = _student(backend, username)
        if set_goal:
            goals.set_goal(backend, user, course_id, goal)
        p = service.learning_path_for(
            backend, user, course_id, goal=goal, lang=language or user.language or "en"
        )
    finally:
        backend.close()
    if as_json:
        click.echo(_json(asdict(p)))
        return
    if p.goal is None:
        console.print(
            "no goal: give one with --goal CONCEPT (add --set to keep it), or ask a teacher to "
            "set one for the class"
        )
        return
    if not p.steps:
        console.print(f"“{p.goal_name}” is mastered: nothing left on the way.", markup=False)
        return
    table = Table(title=f"to {p.goal_name} ({p.answers} answers or so)")
    for col in ("#", "concept", "mastery", "ready", "answers"):
        table.add_column(col)
    for n, st in enumerate(p.steps, 1):
        mastery = f"{st.p_mastery:.0%}" if st.started else "not started"
        table.add_row(str(n), st.name, mastery, "yes" if st.ready else "", str(st.answers))
    console.print(table)
    if p.due_reviews:
        console.print(f"due for review: {', '.join(p.due_reviews)}", markup=False)
