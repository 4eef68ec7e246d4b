"""The course pages that address a mistake: after a wrong answer, the sections of the course's
materials that best match what was wrong (a choice's misconception feedback, the reference
points a free-text answer missed) and the item's concepts, found by the material search
(``services.retrieval``). Shown with the feedback on the practice page, offered as the
``material`` activity, and read by the tutor with the student's question.

Searching embeds the query, so it runs in a read-only transaction of its own, never inside
the answer loop's write.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from learnloop.domain import pick
from learnloop.services import access
from learnloop.services.content import course_content
from learnloop.services.context import Backend
from learnloop.services.retrieval import search_course
from learnloop.storage.tables import AttemptRow, ConceptRow, GradeRow, ItemRow, User

log = logging.getLogger(__name__)

SECTIONS = 2
"""Sections recommended after a mistake."""


def _refs(course_key: str, hits: list) -> list:  # type: ignore[type-arg]
    from learnloop.services.recommend import MaterialRef

    out, seen = [], set()
    for h in hits:
        c = h.chunk
        key = (c.material, c.anchor)
        if key in seen:
            continue
        seen.add(key)
        href = f"/courses/{course_key}/materials/{c.material}" + (f"#{c.anchor}" if c.anchor else "")
        out.append(
            MaterialRef(
                material_id=c.material, title=c.title, section=c.section, anchor=c.anchor, href=href
            )
        )
    return out[:SECTIONS]


def sections_for(
    backend: Backend, user: User, course_key: str, *, query: str, lang: str
) -> list:  # type: ignore[type-arg]
    """The sections answering ``query``; none (and a log line) if the search fails, since a
    missing suggestion must never cost the student their feedback."""
    if not query.strip():
        return []
    try:
        with backend.transaction() as s:
            access.check_course_ref(s, user, course_key)
            hits = search_course(s, course_id=course_key, query=query, k=SECTIONS + 2, language=lang)
    except Exception:
        log.exception("searching the course pages for a mistake in %s failed", course_key)
        return []
    return _refs(course_key, hits)


def mistake_query(
    backend: Backend, user: User, course_key: str, *, item_key: str, mistake: str, lang: str
) -> str:
    """What to search for: the mistake in words, the item's prompt and its concepts' names."""
    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        item = course_content(s, course).items.get(item_key)
        if item is None:
            return mistake
        names = [
            pick(name, lang)
            for name in s.scalars(
                select(ConceptRow.name).where(ConceptRow.id.in_([cid for cid, _ in item.concepts]))
            )
        ]
        prompt = pick(item.item.prompt, lang)
    return " ".join(t for t in (mistake, prompt[:300], *names) if t)


def sections_for_answer(
    backend: Backend, user: User, course_key: str, *, item_key: str, mistake: str, lang: str
) -> list:  # type: ignore[type-arg]
    query = mistake_query(
        backend, user, course_key, item_key=item_key, mistake=mistake, lang=lang
    )
    return sections_for(backend, user, course_key, query=query, lang=lang)


def sections_for_concept(
    backend: Backend, user: User, course_key: str, concept_key: str, *, lang: str
) -> list:  # type: ignore[type-arg]
    """For the ``material`` activity: the student's latest mistake on the concept, else the
    concept's name and description."""
    from learnloop.services.recommend import _mistake

    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        concept = s.scalar(
            select(ConceptRow).where(ConceptRow.course_id == course.id, ConceptRow.key == concept_key)
        )
        if concept is None:
            return []
        text = " ".join([pick(concept.name, lang), pick(concept.description or {}, lang)])
        last = s.execute(
            select(ItemRow.key, GradeRow.feedback, GradeRow.details)
            .join(AttemptRow, AttemptRow.item_id == ItemRow.id)
            .join(GradeRow, GradeRow.attempt_id == AttemptRow.id)
            .where(
                AttemptRow.user_id == user.id,
                ItemRow.course_id == course.id,
                GradeRow.verdict != "correct",
            )
            .order_by(AttemptRow.id.desc(), GradeRow.id.desc())
            .limit(1)
        ).first()
    if last is not None:
        return sections_for_answer(
            backend,
            user,
            course_key,
            item_key=last.key,
            mistake=_mistake(last.feedback, last.details) + " " + text,
            lang=lang,
        )
    return sections_for(backend, user, course_key, query=text, lang=lang)
