"""The course pages that address a mistake: after a wrong answer, the sections of the course's
materials that best match what was wrong (a choice's misconception feedback, the reference
points a free-text answer missed) and the item's concepts, found by the material search
(``services.retrieval``) among the pages about the item's concepts. Shown with the feedback on
the practice page, offered as the ``material`` activity, and read by the tutor with the
student's question.

Searching embeds the query, so it runs in a read-only transaction of its own, never inside
the answer loop's write.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.retrieval.index import Hit
from learnloop.services import access
from learnloop.services.content import course_content
from learnloop.services.context import Backend
from learnloop.services.recommend import MaterialRef, mistake_text
from learnloop.services.retrieval import search_course
from learnloop.storage.tables import (
    AttemptRow,
    ConceptRow,
    GradeRow,
    ItemRow,
    MaterialConceptRow,
    MaterialRow,
    User,
)

log = logging.getLogger(__name__)

SECTIONS = 2
"""Sections recommended after a mistake."""
SEARCHED = 12
"""Passages searched, before keeping those of pages about the item's concepts."""


def _refs(course_key: str, hits: list[Hit]) -> list[MaterialRef]:
    out: list[MaterialRef] = []
    seen = set()
    for h in hits:
        c = h.chunk
        key = (c.material, c.anchor)
        if key in seen:
            continue
        seen.add(key)
        href = f"/courses/{course_key}/materials/{c.material}" + (
            f"#{c.anchor}" if c.anchor else ""
        )
        out.append(
            MaterialRef(
                material_id=c.material, title=c.title, section=c.section, anchor=c.anchor, href=href
            )
        )
    return out[:SECTIONS]


def _materials_of(s: Session, course_id: int, concept_ids: list[int]) -> set[str]:
    """Keys of the course's materials about any of ``concept_ids``."""
    if not concept_ids:
        return set()
    return set(
        s.scalars(
            select(MaterialRow.key)
            .join(MaterialConceptRow, MaterialConceptRow.material_id == MaterialRow.id)
            .where(
                MaterialRow.course_id == course_id,
                MaterialRow.retired.is_(False),
                MaterialConceptRow.concept_id.in_(concept_ids),
            )
        )
    )


def sections_for(
    backend: Backend,
    user: User,
    course_key: str,
    *,
    query: str,
    lang: str,
    concept_ids: list[int] | None = None,
) -> list[MaterialRef]:
    """The sections answering ``query``, from the pages about ``concept_ids`` when the course
    has any (a mistake is about the item's concepts; a search of the whole course finds pages
    that share its words, not its subject). None, and a log line, if the search fails: a
    missing suggestion must never cost the student their feedback."""
    if not query.strip():
        return []
    try:
        with backend.transaction() as s:
            course = access.check_course_ref(s, user, course_key)
            about = _materials_of(s, course.id, concept_ids or [])
            hits = search_course(s, course_id=course_key, query=query, k=SEARCHED, language=lang)
    except Exception:
        log.exception("searching the course pages for a mistake in %s failed", course_key)
        return []
    if about:
        hits = [h for h in hits if h.chunk.material in about] or hits
    return _refs(course_key, hits)


def mistake_query(
    backend: Backend, user: User, course_key: str, *, item_key: str, mistake: str, lang: str
) -> tuple[str, list[int]]:
    """What to search for (the mistake in words, the item's prompt and its concepts' names),
    and the item's concepts."""
    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        item = course_content(s, course).items.get(item_key)
        if item is None:
            return mistake, []
        concept_ids = [cid for cid, _ in item.concepts]
        names = [
            pick(name, lang)
            for name in s.scalars(select(ConceptRow.name).where(ConceptRow.id.in_(concept_ids)))
        ]
        prompt = pick(item.item.prompt, lang)
    return " ".join(t for t in (mistake, prompt[:300], *names) if t), concept_ids


def sections_for_answer(
    backend: Backend, user: User, course_key: str, *, item_key: str, mistake: str, lang: str
) -> list[MaterialRef]:
    """After a wrong answer to ``item_key``: the sections that address ``mistake``."""
    query, concept_ids = mistake_query(
        backend, user, course_key, item_key=item_key, mistake=mistake, lang=lang
    )
    return sections_for(backend, user, course_key, query=query, lang=lang, concept_ids=concept_ids)


def sections_for_concept(
    backend: Backend, user: User, course_key: str, concept_key: str, *, lang: str
) -> list[MaterialRef]:
    """For the ``material`` activity: the student's latest mistake on the concept, else the
    concept's name and description."""
    with backend.transaction() as s:
        course = access.check_course_ref(s, user, course_key)
        concept = s.scalar(
            select(ConceptRow).where(
                ConceptRow.course_id == course.id, ConceptRow.key == concept_key
            )
        )
        if concept is None:
            return []
        text = " ".join([pick(concept.name, lang), pick(concept.description or {}, lang)])
        concept_id = concept.id
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
        query, concept_ids = mistake_query(
            backend,
            user,
            course_key,
            item_key=last.key,
            mistake=mistake_text(last.feedback, last.details),
            lang=lang,
        )
        return sections_for(
            backend,
            user,
            course_key,
            query=f"{query} {text}",
            lang=lang,
            concept_ids=[concept_id, *concept_ids],
        )
    return sections_for(backend, user, course_key, query=text, lang=lang, concept_ids=[concept_id])
