"""Knowledge-tracing use cases: the platform's own response log, and re-fitting from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnloop.errors import InvalidInputError
from learnloop.services.context import Backend
from learnloop.storage.tables import AttemptRow, CourseRow, GradeRow, ItemConceptRow, ItemRow
from learnloop.tracing import InteractionLog, Record, make_model, model_dir


def build_log(
    s: Session, *, course: str | None = None, include_provisional: bool = False
) -> InteractionLog:
    """Every graded attempt as a response log, each student's in submission order.

    Students are user ids, items and skills are database ids (the ids the live mastery
    rows use); the latest grade of an attempt counts, a score of 0.5 or more is correct.
    Provisional grades (awaiting a teacher) are left out unless ``include_provisional``;
    items with no concept cannot be traced and are left out.
    """
    latest = (
        select(GradeRow.attempt_id, func.max(GradeRow.id).label("gid"))
        .group_by(GradeRow.attempt_id)
        .subquery()
    )
    q = (
        select(
            AttemptRow.id,
            AttemptRow.user_id,
            AttemptRow.item_id,
            AttemptRow.submitted_at,
            GradeRow.score,
        )
        .join(latest, latest.c.attempt_id == AttemptRow.id)
        .join(GradeRow, GradeRow.id == latest.c.gid)
        .order_by(AttemptRow.user_id, AttemptRow.submitted_at, AttemptRow.id)
    )
    if not include_provisional:
        q = q.where(GradeRow.provisional.is_(False))
    concepts = select(ItemConceptRow.item_id, ItemConceptRow.concept_id).order_by(
        ItemConceptRow.item_id, ItemConceptRow.position
    )
    if course is not None:
        course_id = s.scalar(select(CourseRow.id).where(CourseRow.key == course))
        if course_id is None:
            raise InvalidInputError(f"no course with id {course!r}")
        q = q.join(ItemRow, ItemRow.id == AttemptRow.item_id).where(ItemRow.course_id == course_id)
        concepts = concepts.join(ItemRow, ItemRow.id == ItemConceptRow.item_id).where(
            ItemRow.course_id == course_id
        )
    skills: dict[int, list[str]] = {}
    for item_id, concept_id in s.execute(concepts):
        skills.setdefault(item_id, []).append(str(concept_id))
    records = [
        Record(
            student=str(user_id),
            item=str(item_id),
            skills=tuple(skills[item_id]),
            correct=int(score >= 0.5),
        )
        for _, user_id, item_id, _, score in s.execute(q)
        if item_id in skills
    ]
    return InteractionLog.from_records(records, merge_repeats=False)


@dataclass(frozen=True)
class FitReport:
    model: str
    path: Path
    responses: int
    students: int
    skills: int
    seconds: float

    def summary(self) -> str:
        return (
            f"fitted {self.model} on {self.responses:,} responses of {self.students:,} "
            f"students ({self.skills:,} concepts) in {self.seconds:.1f}s; saved to {self.path}"
        )


def fit_from_database(
    backend: Backend,
    *,
    model: str = "bkt",
    name: str | None = None,
    course: str | None = None,
    params: dict[str, Any] | None = None,
    include_provisional: bool = False,
) -> FitReport:
    """Fit ``model`` on the platform's log and save it as ``<data_dir>/models/tracing/<name>``
    (``name`` defaults to the model's), where the live system's ``FittedMastery`` finds it."""
    estimator = make_model(model, **(params or {}))
    with backend.transaction() as s:
        log = build_log(s, course=course, include_provisional=include_provisional)
    if len(log) == 0:
        raise InvalidInputError(
            "there are no graded answers to fit on yet"
            + (f" in course {course!r}" if course else "")
            + "; students need to answer some items first"
        )
    estimator.fit(log)
    path = estimator.save(model_dir(name or model, backend.settings.data_dir))
    info = estimator.info_
    return FitReport(
        model=model,
        path=path,
        responses=int(info["responses"]),
        students=int(info["students"]),
        skills=int(info["skills"]),
        seconds=float(info["fit_seconds"]),
    )
