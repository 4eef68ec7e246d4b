"""What a teacher sees: the class x concept mastery map, a student's history, item
statistics and what students ask the tutor (``services.analytics``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from learnloop.services import analytics
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import MAX_ID, IdPath, UtcDateTime

router = APIRouter(prefix="/analytics", tags=["analytics"])

CourseQuery = Annotated[str, Query(min_length=1, max_length=128, description="The course's id")]
ClassQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Only the students of this class")
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ConceptHeaderOut(_Out):
    concept_id: str
    name: dict[str, str]


class MatrixStudentOut(_Out):
    user_id: int
    username: str
    display_name: str
    attempts: int
    mastered: int = Field(description="How many of the course's concepts the student mastered")


class MasteryMatrixOut(_Out):
    class_id: int
    class_name: str
    course_id: str
    course_title: dict[str, str]
    threshold: float = Field(description="The estimate from which a concept counts as mastered")
    concepts: list[ConceptHeaderOut]
    students: list[MatrixStudentOut]
    p_mastery: list[list[float]] = Field(
        description="Rows follow students, columns concepts; the model's prior where unseen"
    )
    attempts: list[list[int]]
    seen: list[list[bool]] = Field(description="Whether the student has practised the concept")
    concept_mean: list[float | None]
    concept_mastered: list[int]


@router.get(
    "/classes/{class_id}/mastery",
    response_model=MasteryMatrixOut,
    summary="Class x concept mastery map (teacher)",
    description="Each student of the class by each current concept of the course. Only the "
    "class's teachers and admins may read it.",
)
def mastery_matrix(
    class_id: IdPath, course_id: CourseQuery, backend: BackendDep, user: UserDep
) -> MasteryMatrixOut:
    with backend.transaction() as s:
        matrix = analytics.mastery_matrix(s, user, class_id=class_id, course_key=course_id)
    return MasteryMatrixOut.model_validate(matrix)


class GradeStepOut(_Out):
    verdict: str
    score: float
    grader: str
    provisional: bool
    graded_by: str | None
    created_at: UtcDateTime


class HistoryAttemptOut(_Out):
    attempt_id: int
    item_id: str
    item_type: str
    concepts: list[str]
    response: Any
    language: str
    hints_used: int
    submitted_at: UtcDateTime
    verdict: str | None
    score: float | None
    feedback: str
    provisional: bool
    reviewed: bool = Field(description="A teacher decided the grade that stands")
    grades: list[GradeStepOut] = Field(description="Every grade, oldest first")


class ConceptMasteryOut(_Out):
    concept_id: str
    name: dict[str, str]
    p_mastery: float
    confidence: float
    attempts: int
    mastered: bool
    started: bool
    low: float
    high: float


class CourseHistoryOut(_Out):
    course_id: str
    title: dict[str, str]
    mastery: list[ConceptMasteryOut]
    attempts: list[HistoryAttemptOut] = Field(description="The latest answers, oldest first")
    total_attempts: int


class StudentHistoryOut(_Out):
    user_id: int
    username: str
    display_name: str
    courses: list[CourseHistoryOut]


@router.get(
    "/students/{user_id}/history",
    response_model=StudentHistoryOut,
    summary="A student's answers and mastery, per course",
    description="Answers in time order with every grade (a teacher's decision last), and "
    "mastery now. Teachers read their classes' students, students themselves.",
)
def student_history(
    user_id: IdPath,
    backend: BackendDep,
    user: UserDep,
    course_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Latest answers per course")] = 500,
) -> StudentHistoryOut:
    with backend.transaction() as s:
        history = analytics.student_history(
            s, user, student_id=user_id, course_key=course_id, limit=limit
        )
    return StudentHistoryOut.model_validate(history)


class WrongAnswerOut(_Out):
    answer: str = Field(description="Normalised: case and spacing folded, choices sorted")
    choice_text: dict[str, str]
    count: int
    students: int


class ItemStatsOut(_Out):
    item_id: str
    type: str
    prompt: dict[str, str]
    concepts: list[str]
    retired: bool
    authored_difficulty: float
    attempts: int
    students: int
    graded: int
    pending_review: int
    correct: int
    share_correct: float | None
    mean_score: float | None
    difficulty: float | None = Field(description="1 - share correct")
    first_try_correct: float | None
    discrimination: float | None = Field(
        description="Point-biserial correlation of the first score on this item with the "
        "mean first score on the other items; null below 3 students or without spread"
    )
    wrong_answers: list[WrongAnswerOut]


class ItemStatisticsOut(_Out):
    course_id: str
    class_id: int | None
    students: int
    items: list[ItemStatsOut]


@router.get(
    "/courses/{course_id}/items",
    response_model=ItemStatisticsOut,
    summary="Item statistics of a course (teacher)",
    description="Per item: answers, share correct on the grade that stands (a teacher's "
    "override counts), mean score, difficulty, discrimination and the most common wrong "
    "answers, over the students the teacher teaches (or one class).",
)
def item_statistics(
    course_id: str, backend: BackendDep, user: UserDep, class_id: ClassQuery = None
) -> ItemStatisticsOut:
    with backend.transaction() as s:
        stats = analytics.item_statistics(s, user, course_key=course_id, class_id=class_id)
    return ItemStatisticsOut.model_validate(stats)


class TutorQuestionOut(_Out):
    message_id: int
    conversation_id: int
    user_id: int
    username: str
    display_name: str
    text: str
    language: str
    asked_at: UtcDateTime
    item_id: str | None
    grouped_by: str = Field(description="item, citations or general")


class ConceptQuestionsOut(_Out):
    concept_id: str | None = Field(description="null: questions tied to no concept")
    name: dict[str, str]
    questions: int
    students: int
    latest: list[TutorQuestionOut]


class TutorQuestionsOut(_Out):
    course_id: str
    class_id: int | None
    total_questions: int
    students: int
    groups: list[ConceptQuestionsOut]


@router.get(
    "/courses/{course_id}/tutor-questions",
    response_model=TutorQuestionsOut,
    summary="What students asked the tutor, by concept (teacher)",
    description="Grouped by the concepts of the exercise asked about, else of the material "
    "the reply cited, else general; most asked first.",
)
def tutor_questions(
    course_id: str,
    backend: BackendDep,
    user: UserDep,
    class_id: ClassQuery = None,
    latest: Annotated[int, Query(ge=0, le=100, description="Questions shown per concept")] = 5,
) -> TutorQuestionsOut:
    with backend.transaction() as s:
        found = analytics.tutor_questions(
            s, user, course_key=course_id, class_id=class_id, latest=latest
        )
    return TutorQuestionsOut.model_validate(found)
