"""A student's view of a course's concept graph, and an item to practise a chosen concept.

The course map colours each concept by the student's mastery (``progress.course_mastery``,
the same estimate the API returns) and says whether it is ready to learn: a concept is ready
once every prerequisite is mastered, the rule ``progress.next_item_for`` follows too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.errors import NotFoundError
from learnloop.services.content import course_content
from learnloop.services.progress import course_mastery
from learnloop.storage.tables import AttemptRow, ConceptRow, CourseRow, GradeRow


@dataclass(frozen=True)
class ConceptOnMap:
    concept_id: str
    name: dict[str, str]
    description: dict[str, str]
    prerequisites: list[str]
    """Keys of the direct prerequisites, in course order."""
    p_mastery: float
    attempts: int
    mastered: bool
    status: str
    """``mastered``; ``ready`` (every prerequisite mastered); ``waiting`` (some are not)."""
    items: int
    """Items that practise it."""


def concept_map(s: Session, *, user_id: int, course: CourseRow) -> list[ConceptOnMap]:
    """Every current concept of the course, in course order, as ``user_id`` stands."""
    content = course_content(s, course)
    graph = content.graph
    described = {
        key: description
        for key, description in s.execute(
            select(ConceptRow.key, ConceptRow.description).where(ConceptRow.course_id == course.id)
        )
    }
    mastery = {m.concept_id: m for m in course_mastery(s, user_id=user_id, course=course)}
    mastered = {key for key, m in mastery.items() if m.mastered}
    out = []
    for cid, key in content.concepts:
        m = mastery[key]
        if m.mastered:
            status = "mastered"
        elif graph.is_ready(key, mastered):
            status = "ready"
        else:
            status = "waiting"
        out.append(
            ConceptOnMap(
                concept_id=key,
                name=m.name,
                description=dict(described.get(key) or {}),
                prerequisites=graph.prerequisites(key),
                p_mastery=m.p_mastery,
                attempts=m.attempts,
                mastered=m.mastered,
                status=status,
                items=len(content.items_of_concept.get(cid, ())),
            )
        )
    return out


def item_for_concept(s: Session, *, user_id: int, course: CourseRow, concept_key: str) -> str:
    """The first item of the concept the student has not answered correctly yet, else its
    first item: practice the student chose, whatever the recommender would pick."""
    content = course_content(s, course)
    concept_id = next((cid for cid, key in content.concepts if key == concept_key), None)
    if concept_id is None:
        raise NotFoundError(f"no concept {concept_key!r} in course {course.key!r}")
    items = content.items_of_concept.get(concept_id)
    if not items:
        raise NotFoundError(f"the concept {concept_key!r} has no items to practise yet")
    solved = set(
        s.scalars(
            select(AttemptRow.item_id)
            .join(GradeRow, GradeRow.attempt_id == AttemptRow.id)
            .where(
                AttemptRow.user_id == user_id,
                AttemptRow.item_id.in_([item_id for item_id, _ in items]),
                GradeRow.verdict == "correct",
            )
        )
    )
    return next((key for item_id, key in items if item_id not in solved), items[0][1])
