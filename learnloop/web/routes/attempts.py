"""The answer loop: submit an answer, get a grade, feedback and what to do next."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from learnloop.services import access, learning, progress
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.routes.recommend import ActivityOut, activity_out
from learnloop.web.types import MAX_ID, IdPath, UtcDateTime

router = APIRouter(tags=["attempts"])


class AttemptIn(BaseModel):
    course_id: str = Field(min_length=1, max_length=128)
    item_id: str = Field(min_length=1, max_length=128)
    response: str | list[Annotated[str, Field(max_length=1000)]] = Field(
        description="The answer: text, a number, an expression, or choice id(s)."
    )
    language: Literal["en", "zh"] = "en"
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Send the same key when retrying; the answer is stored only once.",
    )
    hints_used: int = Field(default=0, ge=0, le=100)
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)


class GradeOut(BaseModel):
    verdict: str
    score: float
    feedback: str
    grader: str
    confidence: float
    provisional: bool


class AttemptOut(BaseModel):
    attempt_id: int
    course_id: str
    item_id: str
    replayed: bool
    grade: GradeOut
    mastery: dict[str, float]
    next_item: ActivityOut = Field(description="What to do next (as ``GET /next/{course}``).")


@router.post(
    "/attempts",
    response_model=AttemptOut,
    status_code=201,
    summary="Answer an item",
    description="The answer is stored before it is graded. With an idempotency key "
    "(body field or Idempotency-Key header) a retry returns the first result.",
    responses={200: {"model": AttemptOut, "description": "A replay of an earlier answer"}},
)
def submit(
    body: AttemptIn,
    response: Response,
    backend: BackendDep,
    user: UserDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=128)] = None,
) -> AttemptOut:
    result = learning.submit_attempt(
        backend,
        user=user,
        course_key=body.course_id,
        item_key=body.item_id,
        response=body.response,
        language=body.language,
        idempotency_key=body.idempotency_key or idempotency_key,
        hints_used=body.hints_used,
        duration_ms=body.duration_ms,
    )
    if result.replayed:
        response.status_code = 200
    g = result.grade
    return AttemptOut(
        attempt_id=result.attempt_id,
        course_id=result.course_id,
        item_id=result.item_id,
        replayed=result.replayed,
        grade=GradeOut(
            verdict=g.verdict,
            score=g.score,
            feedback=g.feedback,
            grader=g.grader,
            confidence=g.confidence,
            provisional=g.provisional,
        ),
        mastery=result.mastery,
        next_item=activity_out(result.next_item),
    )


class AttemptView(BaseModel):
    id: int
    user_id: int
    course_id: str
    item_id: str
    response: Any
    submitted_at: UtcDateTime
    verdict: str | None
    score: float | None
    feedback: str
    provisional: bool


@router.get("/attempts", response_model=list[AttemptView], summary="Answers I may see")
def list_attempts(
    backend: BackendDep,
    user: UserDep,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this student's answers")
    ] = None,
    course_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[AttemptView]:
    with backend.transaction() as s:
        ids = access.visible_student_ids(s, user)
        if user_id is not None:
            access.check_student(s, user, user_id)
            ids = {user_id}
        course = access.check_course(s, user, course_id) if course_id else None
        rows = progress.list_attempts(s, user_ids=ids, course=course, limit=limit, offset=offset)
    return [AttemptView(**vars(r)) for r in rows]


class ConceptMasteryOut(BaseModel):
    concept_id: str
    name: dict[str, str]
    p_mastery: float
    confidence: float
    attempts: int
    mastered: bool
    started: bool = Field(description="False: never practised; p_mastery is only the prior.")
    low: float = Field(description="A plausible range around p_mastery: its low end.")
    high: float


@router.get(
    "/students/{user_id}/mastery/{course_id}",
    response_model=list[ConceptMasteryOut],
    summary="A student's mastery of each concept of a course",
)
def mastery(
    user_id: IdPath, course_id: str, backend: BackendDep, user: UserDep
) -> list[ConceptMasteryOut]:
    with backend.transaction() as s:
        access.check_student(s, user, user_id)
        course = access.check_course(s, user, course_id)
        rows = progress.course_mastery(s, user_id=user_id, course=course)
    return [ConceptMasteryOut(**vars(r)) for r in rows]


class ProgressOut(BaseModel):
    course_id: str
    concepts: int
    concepts_mastered: int
    items: int
    items_attempted: int
    items_correct: int
    attempts: int


@router.get(
    "/students/{user_id}/progress",
    response_model=list[ProgressOut],
    summary="A student's progress in each of their courses",
)
def student_progress(user_id: IdPath, backend: BackendDep, user: UserDep) -> list[ProgressOut]:
    with backend.transaction() as s:
        student = access.check_student(s, user, user_id)
        return [
            ProgressOut(**vars(progress.course_progress(s, user_id=user_id, course=c)))
            for c in access.courses_of(s, student)
        ]
