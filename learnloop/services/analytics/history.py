"""One student's answers with every grade, and their mastery now."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from learnloop.services.access import check_course, check_student, courses_of
from learnloop.services.analytics.scope import concepts_of_items
from learnloop.services.progress import ConceptMastery, course_mastery
from learnloop.storage.tables import AttemptRow, CourseRow, GradeRow, ItemRow, User


@dataclass(frozen=True)
class GradeStep:
    verdict: str
    score: float
    grader: str
    provisional: bool
    graded_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class HistoryAttempt:
    attempt_id: int
    item_id: str
    item_type: str
    concepts: list[str]
    response: Any
    language: str
    hints_used: int
    submitted_at: datetime
    verdict: str | None
    score: float | None
    feedback: str
    provisional: bool
    reviewed: bool
    """A teacher decided the grade that stands."""
    grades: list[GradeStep]
    """Every grade the answer got, oldest first; the last one stands."""


@dataclass(frozen=True)
class CourseHistory:
    course_id: str
    title: dict[str, str]
    mastery: list[ConceptMastery]
    attempts: list[HistoryAttempt]
    total_attempts: int
    """All of the student's answers in the course; ``attempts`` holds the latest ones."""


@dataclass(frozen=True)
class StudentHistory:
    user_id: int
    username: str
    display_name: str
    courses: list[CourseHistory]


def student_history(
    s: Session, actor: User, *, student_id: int, course_key: str | None = None, limit: int = 500
) -> StudentHistory:
    """The student's answers in time order with every grade, and mastery now, per course:
    the courses of their classes and any other course they answered in."""
    student = check_student(s, actor, student_id)
    if course_key is not None:
        course_list = [check_course(s, actor, course_key)]
    else:
        answered = s.scalars(
            select(CourseRow)
            .where(
                exists().where(
                    ItemRow.course_id == CourseRow.id,
                    AttemptRow.item_id == ItemRow.id,
                    AttemptRow.user_id == student.id,
                )
            )
            .order_by(CourseRow.key)
        ).all()
        by_key = {c.key: c for c in [*courses_of(s, student), *answered]}
        course_list = [by_key[k] for k in sorted(by_key)]
    return StudentHistory(
        user_id=student.id,
        username=student.username,
        display_name=student.display_name,
        courses=[_course_history(s, student.id, c, limit) for c in course_list],
    )


def _course_history(s: Session, user_id: int, course: CourseRow, limit: int) -> CourseHistory:
    base = (
        select(AttemptRow, ItemRow.key, ItemRow.type)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .where(AttemptRow.user_id == user_id, ItemRow.course_id == course.id)
    )
    total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    newest_first = base.order_by(AttemptRow.submitted_at.desc(), AttemptRow.id.desc())
    latest = list(reversed(s.execute(newest_first.limit(limit)).all()))
    attempt_ids = [a.id for a, _, _ in latest]
    grades: dict[int, list[tuple[GradeRow, str | None]]] = defaultdict(list)
    grader = aliased(User, name="grader")
    for g, by in s.execute(
        select(GradeRow, grader.username)
        .join(grader, grader.id == GradeRow.graded_by_id, isouter=True)
        .where(GradeRow.attempt_id.in_(attempt_ids))
        .order_by(GradeRow.id)
    ):
        grades[g.attempt_id].append((g, by))
    concepts = concepts_of_items(s, {a.item_id for a, _, _ in latest})
    out = []
    for a, item_key, item_type in latest:
        steps = grades.get(a.id, [])
        last = steps[-1][0] if steps else None
        out.append(
            HistoryAttempt(
                attempt_id=a.id,
                item_id=item_key,
                item_type=item_type,
                concepts=concepts.get(a.item_id, []),
                response=(a.response or {}).get("value"),
                language=a.language,
                hints_used=a.hints_used,
                submitted_at=a.submitted_at,
                verdict=last.verdict if last else None,
                score=last.score if last else None,
                feedback=last.feedback if last else "",
                provisional=last.provisional if last else False,
                reviewed=bool(last and last.supersedes_id is not None),
                grades=[
                    GradeStep(g.verdict, g.score, g.grader, g.provisional, by, g.created_at)
                    for g, by in steps
                ],
            )
        )
    return CourseHistory(
        course_id=course.key,
        title=dict(course.title or {}),
        mastery=course_mastery(s, user_id=user_id, course=course),
        attempts=out,
        total_attempts=total,
    )
