"""The teacher review queue: grades the machine was unsure of, and teachers' decisions on them.

A provisional grade (a learned grade below the course's threshold, an unsure rule grader, a
free-text answer no model could grade) waits here. A teacher who teaches the student in a
class that has the course (or an admin) confirms it or overrides it. Either way a new, final
grade supersedes the provisional one (which stays, for the record), the student's mastery
moves by the final score (it did not move while the grade was provisional), and the decision
is kept as a labelled example (``grading_labels``) for the next training of the course's
grader. Other teachers' students' answers are reported as not found, students may not use
the queue at all.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, case, exists, func, select, true, update
from sqlalchemy.orm import Session, aliased

from learnloop.domain import Verdict
from learnloop.errors import ConflictError, InvalidInputError, NotFoundError
from learnloop.grading.freetext import CREDIT, PENDING_GRADER, verdict_message
from learnloop.grading.messages import message, normalize_lang
from learnloop.recommend.forgetting import ForgettingModel
from learnloop.services.access import check_course, require_role, taught_class_ids
from learnloop.services.context import Backend
from learnloop.services.progress import LostRace, forgetting_for, update_mastery
from learnloop.storage.tables import (
    AttemptRow,
    ClassCourse,
    CourseRow,
    Enrolment,
    GradeRow,
    GradingLabelRow,
    ItemRow,
    ReviewRow,
    ReviewStatus,
    Role,
    User,
    utcnow,
)

Action = Literal["confirm", "override"]
DECISION_RETRIES = 8
"""How often a decision is tried again when the student's mastery moved meanwhile."""


@dataclass(frozen=True)
class GradeView:
    id: int
    verdict: str
    score: float
    confidence: float
    grader: str
    feedback: str
    provisional: bool
    details: dict[str, Any]

    @classmethod
    def of(cls, g: GradeRow) -> GradeView:
        return cls(
            id=g.id,
            verdict=g.verdict,
            score=g.score,
            confidence=g.confidence,
            grader=g.grader,
            feedback=g.feedback,
            provisional=g.provisional,
            details=dict(g.details or {}),
        )


@dataclass(frozen=True)
class ReviewView:
    id: int
    status: str
    reason: str
    created_at: datetime
    course_id: str
    item_id: str
    item_type: str
    prompt: dict[str, str]
    reference_answers: list[dict[str, str]]
    student_id: int
    student_username: str
    student_name: str
    attempt_id: int
    answer: Any
    language: str
    submitted_at: datetime
    grade: GradeView
    """The provisional grade the student was shown."""
    final_grade: GradeView | None
    reviewer: str | None
    note: str
    reviewed_at: datetime | None


_Final = aliased(GradeRow, name="final_grade")
_Reviewer = aliased(User, name="reviewer")
_Student = aliased(Enrolment, name="student_enrolment")


def _visible(s: Session, actor: User) -> ColumnElement[bool]:
    """Reviews of answers by students of a class ``actor`` teaches that has the course."""
    if actor.role is Role.ADMIN:
        return true()
    require_role(actor, Role.TEACHER)
    return exists().where(
        _Student.user_id == AttemptRow.user_id,
        _Student.role == Role.STUDENT,
        _Student.class_id.in_(taught_class_ids(s, actor)),
        ClassCourse.class_id == _Student.class_id,
        ClassCourse.course_id == ItemRow.course_id,
    )


_Columns = Select[ReviewRow, GradeRow, AttemptRow, ItemRow, str, User, GradeRow, User]


def _query(s: Session, actor: User) -> _Columns:
    return (
        select(ReviewRow, GradeRow, AttemptRow, ItemRow, CourseRow.key, User, _Final, _Reviewer)
        .join(GradeRow, GradeRow.id == ReviewRow.grade_id)
        .join(AttemptRow, AttemptRow.id == GradeRow.attempt_id)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(CourseRow, CourseRow.id == ItemRow.course_id)
        .join(User, User.id == AttemptRow.user_id)
        .join(_Final, _Final.id == ReviewRow.final_grade_id, isouter=True)
        .join(_Reviewer, _Reviewer.id == ReviewRow.reviewer_id, isouter=True)
        .where(_visible(s, actor))
    )


def _view(row: Any) -> ReviewView:
    review, grade, attempt, item, course_key, student, final, reviewer = row
    return ReviewView(
        id=review.id,
        status=review.status.value,
        reason=review.reason,
        created_at=review.created_at,
        course_id=course_key,
        item_id=item.key,
        item_type=item.type,
        prompt=dict(item.prompt or {}),
        reference_answers=list(item.reference_answers or []),
        student_id=student.id,
        student_username=student.username,
        student_name=student.display_name,
        attempt_id=attempt.id,
        answer=attempt.response.get("value"),
        language=attempt.language,
        submitted_at=attempt.submitted_at,
        grade=GradeView.of(grade),
        final_grade=GradeView.of(final) if final is not None else None,
        reviewer=reviewer.username if reviewer is not None else None,
        note=review.note,
        reviewed_at=review.reviewed_at,
    )


def list_reviews(
    s: Session,
    actor: User,
    *,
    course_key: str | None = None,
    status: ReviewStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ReviewView]:
    """The queue ``actor`` may decide: pending reviews first (oldest first, the order they
    arrived in), then decided ones (newest first)."""
    q = _query(s, actor)
    if course_key is not None:
        course = check_course(s, actor, course_key)
        q = q.where(ItemRow.course_id == course.id)
    if status is not None:
        q = q.where(ReviewRow.status == status)
    pending = ReviewRow.status == ReviewStatus.PENDING
    q = q.order_by(case((pending, 0), else_=1), case((pending, ReviewRow.id), else_=-ReviewRow.id))
    return [_view(row) for row in s.execute(q.limit(limit).offset(offset)).all()]


def count_reviews(
    s: Session,
    actor: User,
    *,
    status: ReviewStatus | None = None,
    course_key: str | None = None,
) -> int:
    """How many reviews in the queue ``actor`` may decide are in ``status`` (any: ``None``),
    of one course or all, counted in the database rather than listed."""
    q = (
        select(func.count())
        .select_from(ReviewRow)
        .join(GradeRow, GradeRow.id == ReviewRow.grade_id)
        .join(AttemptRow, AttemptRow.id == GradeRow.attempt_id)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .where(_visible(s, actor))
    )
    if course_key is not None:
        q = q.where(ItemRow.course_id == check_course(s, actor, course_key).id)
    if status is not None:
        q = q.where(ReviewRow.status == status)
    return s.scalar(q) or 0


def get_review(s: Session, actor: User, review_id: int) -> ReviewView:
    row = s.execute(_query(s, actor).where(ReviewRow.id == review_id)).first()
    if row is None:
        raise NotFoundError(f"no review with id {review_id}")
    return _view(row)


@dataclass(frozen=True)
class Decision:
    action: Action
    verdict: Verdict | None = None
    score: float | None = None
    feedback: str | None = None
    note: str = ""


def decide_review(backend: Backend, actor: User, review_id: int, decision: Decision) -> ReviewView:
    """Confirm or override a queued grade (see the module docstring); all or nothing."""
    for n in range(DECISION_RETRIES):
        if n:
            time.sleep(random.uniform(0, 0.001 * 2**n))
        try:
            with backend.transaction() as s:
                _decide(s, actor, review_id, decision, forgetting_for(backend.settings))
                return get_review(s, actor, review_id)
        except LostRace:
            continue
    raise ConflictError(
        f"review {review_id} could not be decided because the student's mastery kept changing "
        "meanwhile; send the decision again"
    )


def _final_fields(grade: GradeRow, attempt: AttemptRow, decision: Decision) -> dict[str, Any]:
    lang = normalize_lang(attempt.language)
    if decision.action == "confirm":
        if grade.grader == PENDING_GRADER:
            raise InvalidInputError(
                "this answer has no machine grade to confirm (no learned grader was active "
                "when it arrived); override it with a verdict instead",
                details={"action": "no machine grade to confirm"},
            )
        verdict = Verdict(grade.verdict)
        score = grade.score
        provisional_note = message("learned_provisional", lang)
        feedback = grade.feedback.replace(provisional_note, "").strip()
    else:
        if decision.verdict is None:
            raise InvalidInputError(
                "an override needs a verdict: correct, partially_correct or incorrect",
                details={"verdict": "required for an override"},
            )
        verdict = decision.verdict
        score = CREDIT[verdict] if decision.score is None else decision.score
        feedback = verdict_message(verdict, lang)
    if decision.feedback:
        feedback = decision.feedback
    joiner = "" if lang == "zh" else " "
    return {
        "verdict": verdict.value,
        "score": float(score),
        "feedback": joiner.join(p for p in (feedback, message("teacher_reviewed", lang)) if p),
    }


def _decide(
    s: Session, actor: User, review_id: int, decision: Decision, forgetting: ForgettingModel
) -> None:
    row = s.execute(
        select(ReviewRow, GradeRow, AttemptRow)
        .join(GradeRow, GradeRow.id == ReviewRow.grade_id)
        .join(AttemptRow, AttemptRow.id == GradeRow.attempt_id)
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .where(ReviewRow.id == review_id, _visible(s, actor))
    ).first()
    if row is None:
        raise NotFoundError(f"no review with id {review_id}")
    review, grade, attempt = row
    if review.status is not ReviewStatus.PENDING:
        who = s.get(User, review.reviewer_id) if review.reviewer_id else None
        raise ConflictError(
            f"review {review_id} was already decided ({review.status.value}"
            f"{f' by {who.username}' if who else ''}); its final grade stands"
        )
    fields = _final_fields(grade, attempt, decision)
    final = GradeRow(
        attempt_id=attempt.id,
        confidence=1.0,
        provisional=False,
        grader="teacher",
        graded_by_id=actor.id,
        supersedes_id=grade.id,
        details={
            "review_id": review.id,
            "action": decision.action,
            "machine": {
                "verdict": grade.verdict,
                "score": grade.score,
                "confidence": grade.confidence,
                "grader": grade.grader,
            },
        },
        created_at=utcnow(),
        **fields,
    )
    s.add(final)
    value = attempt.response.get("value")
    s.add(
        GradingLabelRow(
            attempt_id=attempt.id,
            item_id=attempt.item_id,
            answer=value if isinstance(value, str) else " ".join(map(str, value or [])),
            language=attempt.language,
            label=fields["verdict"],
            score=fields["score"],
            teacher_id=actor.id,
            source=decision.action,
            created_at=utcnow(),
        )
    )
    s.flush()
    # two teachers deciding at once: the first one's decision stands
    done = s.connection().execute(
        update(ReviewRow)
        .where(ReviewRow.id == review.id, ReviewRow.status == ReviewStatus.PENDING)
        .values(
            status=ReviewStatus.CONFIRMED
            if decision.action == "confirm"
            else ReviewStatus.OVERRIDDEN,
            reviewer_id=actor.id,
            final_grade_id=final.id,
            note=decision.note,
            reviewed_at=utcnow(),
        )
    )
    if done.rowcount != 1:
        raise ConflictError(f"review {review_id} was decided by someone else just now")
    update_mastery(
        s,
        user_id=attempt.user_id,
        item_id=attempt.item_id,
        score=fields["score"],
        forgetting=forgetting,
        at=attempt.submitted_at,
    )
    s.expire(review)
