"""The teacher review queue: uncertain grades, confirmed or overridden by a teacher."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from learnloop.domain import Verdict
from learnloop.services import review
from learnloop.storage.tables import ReviewStatus
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import MAX_ID, IdPath, UtcDateTime

router = APIRouter(prefix="/reviews", tags=["review"])


class ReviewGradeOut(BaseModel):
    id: int
    verdict: str
    score: float
    confidence: float
    grader: str
    feedback: str
    provisional: bool
    details: dict[str, Any]


class StudentOut(BaseModel):
    user_id: int
    username: str
    display_name: str


class ReviewOut(BaseModel):
    id: int
    status: Literal["pending", "confirmed", "overridden"]
    reason: str = Field(description="Why a teacher is asked")
    created_at: UtcDateTime
    course_id: str
    item_id: str
    item_type: str
    prompt: dict[str, str]
    reference_answers: list[dict[str, str]]
    student: StudentOut
    attempt_id: int
    answer: Any
    language: str
    submitted_at: UtcDateTime
    grade: ReviewGradeOut = Field(description="The provisional grade the student was shown")
    final_grade: ReviewGradeOut | None = Field(description="The teacher's grade, once decided")
    reviewer: str | None
    note: str
    reviewed_at: UtcDateTime | None


def _out(v: review.ReviewView) -> ReviewOut:
    return ReviewOut(
        id=v.id,
        status=v.status,
        reason=v.reason,
        created_at=v.created_at,
        course_id=v.course_id,
        item_id=v.item_id,
        item_type=v.item_type,
        prompt=v.prompt,
        reference_answers=v.reference_answers,
        student=StudentOut(
            user_id=v.student_id, username=v.student_username, display_name=v.student_name
        ),
        attempt_id=v.attempt_id,
        answer=v.answer,
        language=v.language,
        submitted_at=v.submitted_at,
        grade=ReviewGradeOut(**vars(v.grade)),
        final_grade=ReviewGradeOut(**vars(v.final_grade)) if v.final_grade else None,
        reviewer=v.reviewer,
        note=v.note,
        reviewed_at=v.reviewed_at,
    )


@router.get(
    "",
    response_model=list[ReviewOut],
    summary="The review queue of my classes' courses (teacher)",
    description="Grades waiting for a teacher, pending ones first (oldest first), then "
    "decided ones (newest first). A teacher sees the answers of the students of the classes "
    "they teach, in the courses those classes have; an admin sees all.",
)
def list_reviews(
    backend: BackendDep,
    user: UserDep,
    course_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    status: ReviewStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[ReviewOut]:
    with backend.transaction() as s:
        views = review.list_reviews(
            s, user, course_key=course_id, status=status, limit=limit, offset=offset
        )
    return [_out(v) for v in views]


class ConfirmIn(BaseModel):
    note: str = Field(default="", max_length=2000, description="Kept with the decision")
    feedback: str | None = Field(
        default=None, min_length=1, max_length=5000, description="Replaces the feedback"
    )


class OverrideIn(BaseModel):
    verdict: Verdict
    score: float | None = Field(
        default=None, ge=0, le=1, description="Default: 1, 0.5 or 0 by the verdict"
    )
    feedback: str | None = Field(
        default=None, min_length=1, max_length=5000, description="What the student will read"
    )
    note: str = Field(default="", max_length=2000, description="Kept with the decision")


@router.post(
    "/{review_id}/confirm",
    response_model=ReviewOut,
    summary="Confirm a queued grade (teacher)",
    description="The provisional grade becomes final: a new grade supersedes it, the "
    "student's mastery moves by its score, and the answer is kept as a labelled example for "
    "the next training of the course's grader.",
)
def confirm(review_id: IdPath, body: ConfirmIn, backend: BackendDep, user: UserDep) -> ReviewOut:
    decision = review.Decision(action="confirm", feedback=body.feedback, note=body.note)
    return _out(review.decide_review(backend, user, review_id, decision))


@router.post(
    "/{review_id}/override",
    response_model=ReviewOut,
    summary="Override a queued grade (teacher)",
    description="The teacher's verdict (and score) replaces the provisional grade, as in confirm.",
)
def override(review_id: IdPath, body: OverrideIn, backend: BackendDep, user: UserDep) -> ReviewOut:
    decision = review.Decision(
        action="override",
        verdict=body.verdict,
        score=body.score,
        feedback=body.feedback,
        note=body.note,
    )
    return _out(review.decide_review(backend, user, review_id, decision))
