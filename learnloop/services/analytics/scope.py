"""Whose work an analytics view counts, and the grade that stands for an answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from learnloop.services.access import check_class, visible_student_ids
from learnloop.storage.tables import ConceptRow, Enrolment, GradeRow, ItemConceptRow, Role, User

_Newer = aliased(GradeRow, name="newer_grade")
CURRENT_GRADE = GradeRow.id.not_in(
    select(_Newer.supersedes_id).where(_Newer.supersedes_id.is_not(None))
)
"""A grade no other grade supersedes: the one that stands. The superseded ids are read once
per query (few: only a teacher's decisions supersede), not looked up per grade, which without
an index on ``supersedes_id`` scanned every grade for every grade."""


def class_student_ids(s: Session, class_id: int) -> set[int]:
    return set(
        s.scalars(
            select(Enrolment.user_id).where(
                Enrolment.class_id == class_id, Enrolment.role == Role.STUDENT
            )
        )
    )


def student_scope(s: Session, actor: User, class_id: int | None) -> set[int] | None:
    """The students whose work ``actor`` sees here (``None``: all); with ``class_id`` only
    that class's, if ``actor`` teaches it (else not found, or refused to its students)."""
    if class_id is not None:
        check_class(s, actor, class_id, manage=True)
        return class_student_ids(s, class_id)
    visible = visible_student_ids(s, actor)
    return None if visible is None else visible - {actor.id}


def concepts_of_items(s: Session, item_ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for item_id, key in s.execute(
        select(ItemConceptRow.item_id, ConceptRow.key)
        .join(ConceptRow, ConceptRow.id == ItemConceptRow.concept_id)
        .where(ItemConceptRow.item_id.in_(list(item_ids)))
        .order_by(ItemConceptRow.item_id, ItemConceptRow.position)
    ):
        out[item_id].append(key)
    return out
