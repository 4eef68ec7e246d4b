"""A student's answers in a course over time, with their mastery after each one.

Mastery is stored as the latest estimate only, so its history is rebuilt by replaying the
student's graded answers, in the order they were given, through the live student model
(``progress.live_model``), exactly as the answer loop applied them. Answers waiting for a teacher
(provisional grades) move nothing until graded, as in the answer loop. If the student model
was refitted since, the curve is the current model's reading of the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnloop.services.content import course_content
from learnloop.services.progress import live_model
from learnloop.storage.tables import (
    AttemptRow,
    ConceptRow,
    CourseRow,
    GradeRow,
    ItemConceptRow,
    ItemRow,
)
from learnloop.tracing import MASTERED, MasteryState


@dataclass(frozen=True)
class HistoryPoint:
    n: int
    """1 for the student's first answer in the course."""
    attempt_id: int
    submitted_at: datetime
    item_id: str
    verdict: str | None
    """``None`` while ungraded."""
    score: float | None
    provisional: bool
    """Waiting for a teacher: it does not move mastery yet."""
    share_correct: float
    """Correct answers among the graded ones so far."""
    mean_mastery: float
    """Mean estimate over the course's current concepts after this answer."""
    concepts_mastered: int
    concepts: dict[str, float]
    """The estimate of each concept the item practises, by key, after this answer."""


def answer_history(s: Session, *, user_id: int, course: CourseRow) -> list[HistoryPoint]:
    content = course_content(s, course)
    current = [cid for cid, _ in content.concepts]
    latest = (
        select(GradeRow.attempt_id, func.max(GradeRow.id).label("gid"))
        .group_by(GradeRow.attempt_id)
        .subquery()
    )
    rows = s.execute(
        select(
            AttemptRow.id,
            AttemptRow.item_id,
            AttemptRow.submitted_at,
            ItemRow.key,
            GradeRow.verdict,
            GradeRow.score,
            GradeRow.provisional,
        )
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(latest, latest.c.attempt_id == AttemptRow.id, isouter=True)
        .join(GradeRow, GradeRow.id == latest.c.gid, isouter=True)
        .where(AttemptRow.user_id == user_id, ItemRow.course_id == course.id)
        .order_by(AttemptRow.id)
    ).all()
    key_of = {
        cid: key
        for cid, key in s.execute(
            select(ConceptRow.id, ConceptRow.key).where(ConceptRow.course_id == course.id)
        )
    }
    concepts_of: dict[int, list[int]] = {}
    for item_id, concept_id in s.execute(
        select(ItemConceptRow.item_id, ItemConceptRow.concept_id)
        .where(ItemConceptRow.item_id.in_({r.item_id for r in rows}))
        .order_by(ItemConceptRow.item_id, ItemConceptRow.position)
    ):
        concepts_of.setdefault(item_id, []).append(concept_id)

    states: dict[int, MasteryState] = {}
    model = live_model(s)
    p: dict[int, float] = {cid: model.p_mastery(model.initial_state(str(cid))) for cid in key_of}
    graded = correct = 0
    points = []
    for n, r in enumerate(rows, 1):
        if r.verdict is not None and not r.provisional:
            graded += 1
            correct += r.verdict == "correct"
            for cid in concepts_of.get(r.item_id, []):
                state = states.get(cid)
                start = {**state, "concept": str(cid)} if state else model.initial_state(str(cid))
                states[cid] = model.update(start, r.score)
                p[cid] = model.p_mastery(states[cid])
        shown = [p[cid] for cid in current]
        points.append(
            HistoryPoint(
                n=n,
                attempt_id=r.id,
                submitted_at=r.submitted_at,
                item_id=r.key,
                verdict=r.verdict,
                score=r.score,
                provisional=bool(r.provisional),
                share_correct=correct / graded if graded else 0.0,
                mean_mastery=sum(shown) / len(shown) if shown else 0.0,
                concepts_mastered=sum(v >= MASTERED for v in shown),
                concepts={key_of[cid]: p[cid] for cid in concepts_of.get(r.item_id, [])},
            )
        )
    return points


def starting_mastery(s: Session, *, course: CourseRow) -> dict[str, float]:
    """Each current concept's estimate before any answer (the student model's prior), by key:
    where every student's curve starts."""
    model = live_model(s)
    return {
        key: model.p_mastery(model.initial_state(str(cid)))
        for cid, key in course_content(s, course).concepts
    }
