"""Practice: an item, the student's answer (a plain form, no JavaScript needed), the grade with
feedback and the course pages that address the mistake, the change in mastery, why the answer
is what it is, and what to do next (and why); the tutor beside it. An item reached by the
recommendation (``?via=next``) says why it was chosen, and marks a review as one.

The answer goes through ``learning.submit_attempt``, the answer loop of ``POST
/api/v1/attempts``, with an idempotency key written into the form: sending the same form
twice (a reload, a double click) stores one answer and shows its result again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from learnloop.domain import Item, ItemType, pick
from learnloop.errors import InvalidInputError, NotFoundError
from learnloop.grading.freetext import PENDING_GRADER
from learnloop.services import access, learning, practice, progress, recommend, remediation, tutor
from learnloop.services.content import course_content
from learnloop.storage.tables import User
from learnloop.tutor.style import REASONS
from learnloop.web.deps import BackendDep
from learnloop.web.i18n import translate
from learnloop.web.pages.render import Language, PageUser, redirect, render, shuffled

router = APIRouter(include_in_schema=False)

VIA_NEXT = "next"
"""``?via=next``: the student followed the recommendation to this item."""


@dataclass(frozen=True)
class Loaded:
    course_title: dict[str, str]
    item: Item
    item_db_id: int
    concepts: list[tuple[str, str, progress.ConceptMastery]]
    """(key, name, estimate) of each concept the item practises."""
    names: dict[str, str]
    """Every concept of the course by key, in the visitor's language."""


def _load(backend: Any, user: User, course_id: str, item_id: str, lang: str) -> Loaded:
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        found = course_content(s, course).items.get(item_id)
        if found is None:
            raise NotFoundError(f"no item {item_id!r} in course {course_id!r}")
        mastery = {
            m.concept_id: m for m in progress.course_mastery(s, user_id=user.id, course=course)
        }
        concepts = [
            (key, pick(mastery[key].name, lang), mastery[key])
            for _, key in found.concepts
            if key in mastery
        ]
        names = {key: pick(m.name, lang) for key, m in mastery.items()}
        return Loaded(dict(course.title), found.item, found.id, concepts, names)


def _choices(item: Item, user: User, course_id: str, lang: str) -> list[dict[str, str]]:
    answer = item.answer
    choices = getattr(answer, "choices", None)
    if not choices:
        return []
    out = [{"id": c.id, "text": pick(c.text, lang)} for c in choices]
    if getattr(answer, "shuffle", False):
        out = shuffled(out, f"{user.id}:{course_id}:{item.id}")
    return out


def _conversation(backend: Any, user: User, course_id: str, item_id: str) -> dict[str, Any] | None:
    """The student's latest conversation about this item, to go on with (hints are graduated
    within one conversation)."""
    for c in tutor.conversations(backend, user, limit=20):
        if c.course_id == course_id and c.item_id == item_id:
            return {
                "id": c.id,
                "messages": [
                    {
                        "id": m.id,
                        "role": m.role,
                        "mode": m.mode,
                        "content": m.content,
                        "model": m.model,
                        "citations": [x for x in m.citations if "material_id" in x],
                        "rating": m.rating,
                    }
                    for m in c.messages
                ],
            }
    return None


def _tutor_setup(lang: str, course_id: str, item_id: str, conversation: Any) -> str:
    """What ``static/tutor.js`` needs, as JSON for a ``<script type="application/json">``."""
    keys = [
        "you", "tutor", "writing", "sources", "consulted", "rate", "helpful", "not_helpful",
        "why_not", "send_rating", "thanks", "style_now", "error", "network", "empty",
        "hint_asked", "reading",
    ]  # fmt: skip
    texts = {k: translate(lang, f"tutor.{k}") for k in keys}
    for part in ("short", "detailed", "examples", "simpler"):
        texts[f"style.{part}"] = translate(lang, f"tutor.style.{part}")
    data = {
        "course": course_id,
        "item": item_id,
        "language": lang,
        "conversation": conversation,
        "texts": texts,
        "reasons": [[key, translate(lang, f"tutor.reason.{key}")] for key in REASONS],
    }
    # "</" cannot end the script element early
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _page(
    request: Request,
    backend: Any,
    user: User,
    lang: str,
    course_id: str,
    loaded: Loaded,
    *,
    result: dict[str, Any] | None = None,
    problem: str = "",
    answered: list[str] | None = None,
    recommended: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    item = loaded.item
    conversation = _conversation(backend, user, course_id, item.id)
    context = {
        "course_id": course_id,
        "course_title": pick(loaded.course_title, lang),
        "item": item,
        "type": item.type.value,
        "prompt": pick(item.prompt, lang),
        "choices": _choices(item, user, course_id, lang),
        "multiple": bool(getattr(item.answer, "multiple", False)),
        "unit": getattr(item.answer, "unit", None),
        "concepts": loaded.concepts,
        "idempotency_key": uuid.uuid4().hex,
        "result": result,
        "problem": problem,
        "answered": answered or [],
        "recommended": recommended,
        "tutor_setup": _tutor_setup(lang, course_id, item.id, conversation),
        "conversation": conversation,
    }
    return render(request, "item.html", context, user=user, status_code=status_code)


@router.get("/courses/{course_id}/practice")
def practise(
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    request: Request,
    lang: Language,
    concept: str | None = None,
) -> Response:
    """To the recommended item (or one of ``concept``); a page saying so if none is left."""
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        if concept:
            key = practice.item_for_concept(s, user_id=user.id, course=course, concept_key=concept)
            return redirect(f"/courses/{course_id}/items/{key}")
        title = dict(course.title)
    nxt = recommend.next_activity(backend, user, course_id, lang=lang, with_material=False)
    if nxt.item_id is not None:
        return redirect(f"/courses/{course_id}/items/{nxt.item_id}?via={VIA_NEXT}")
    context = {"course_id": course_id, "title": title, "explanation": nxt.explanation}
    return render(request, "done.html", context, user=user)


@router.get("/courses/{course_id}/items/{item_id}")
def item_page(
    request: Request,
    course_id: str,
    item_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    via: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    loaded = _load(backend, user, course_id, item_id, lang)
    recommended = None
    if via == VIA_NEXT:
        # asked again rather than carried in the link, so the page never shows a reason the
        # recommender does not hold now (the student may have answered elsewhere meanwhile)
        act = recommend.next_activity(backend, user, course_id, lang=lang)
        if act.item_id == item_id:
            recommended = {
                "kind": act.kind,
                "explanation": act.explanation,
                "material": act.material,
            }
    return _page(request, backend, user, lang, course_id, loaded, recommended=recommended)


@router.post("/courses/{course_id}/items/{item_id}")
def answer(
    request: Request,
    course_id: str,
    item_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    response: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 - FastAPI copies it
    idempotency_key: Annotated[str, Form(max_length=128)] = "",
) -> HTMLResponse:
    loaded = _load(backend, user, course_id, item_id, lang)
    values = [v.strip() for v in response if v.strip()]
    if any("\x00" in v for v in values):
        raise InvalidInputError(
            "the answer holds a NUL (\\x00) character; remove it",
            details={"response": "text may not contain NUL (\\x00) characters"},
        )
    if not values:
        return _page(
            request, backend, user, lang, course_id, loaded, problem="item.empty", status_code=422
        )
    multiple = bool(getattr(loaded.item.answer, "multiple", False))
    value: str | list[str] = values if multiple else values[0]
    before = {key: m for key, _, m in loaded.concepts}
    done = learning.submit_attempt(
        backend,
        user=user,
        course_key=course_id,
        item_key=item_id,
        response=value,
        language=lang,
        idempotency_key=idempotency_key or None,
    )
    grade = done.grade
    names = loaded.names
    now = _load(backend, user, course_id, item_id, lang)
    after = {key: m for key, _, m in now.concepts}
    changes = [
        {
            "name": names.get(key, key),
            "before": None if done.replayed else before.get(key),
            "after": after.get(key),
            "p": p,
        }
        for key, p in done.mastery.items()
    ]
    verdict = "pending" if grade.grader == PENDING_GRADER else grade.verdict
    # the course pages that address the mistake: a search, so outside the answer's write
    sections: list[Any] = []
    if verdict in ("incorrect", "partially_correct") and not grade.provisional:
        sections = remediation.sections_for_answer(
            backend, user, course_id, item_key=item_id, mistake=grade.feedback, lang=lang
        )
    nxt = done.next_item
    read_first: list[Any] = []
    if nxt.kind == "material" and nxt.concept_id:
        shown = {m.href for m in sections}
        read_first = [
            m
            for m in remediation.sections_for_concept(
                backend, user, course_id, nxt.concept_id, lang=lang
            )
            if m.href not in shown
        ]
    result = {
        "replayed": done.replayed,
        "verdict": verdict,
        "score": grade.score,
        "feedback": grade.feedback,
        "provisional": grade.provisional,
        "changes": changes,
        "why": pick(loaded.item.explanation, lang),
        "sections": sections,
        "next": (
            {
                "href": f"/courses/{course_id}/items/{nxt.item_id}?via={VIA_NEXT}",
                "kind": nxt.kind,
                "explanation": nxt.explanation,
                "concept": names.get(nxt.concept_id or "", nxt.concept_id),
                "same": nxt.item_id == item_id,
                "read_first": read_first,
            }
            if nxt.item_id
            else None
        ),
        "done_explanation": nxt.explanation if not nxt.item_id else "",
    }
    answered = [_choice_text(loaded.item, v, lang) for v in values]
    return _page(request, backend, user, lang, course_id, now, result=result, answered=answered)


def _choice_text(item: Item, value: str, lang: str) -> str:
    if item.type is ItemType.MULTIPLE_CHOICE:
        for c in getattr(item.answer, "choices", []):
            if c.id == value:
                return pick(c.text, lang)
    return value
