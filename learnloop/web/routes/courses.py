"""Courses: the catalogue, a course's concept graph and items (without answers), import."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from pydantic import BaseModel

from learnloop.services import access, courses, pack_upload
from learnloop.services.learning import item_from_row
from learnloop.services.progress import concept_keys_of_item
from learnloop.storage.tables import Role
from learnloop.web.deps import BackendDep, UserDep

router = APIRouter(prefix="/courses", tags=["courses"])

MAX_UPLOAD = pack_upload.MAX_UPLOAD


class CourseOut(BaseModel):
    id: str
    title: dict[str, str]
    languages: list[str]
    concepts: int
    items: int
    materials: int


@router.get("", response_model=list[CourseOut], summary="Courses I can open")
def list_courses(backend: BackendDep, user: UserDep) -> list[CourseOut]:
    with backend.transaction() as s:
        allowed = {c.key for c in access.courses_of(s, user)}
        return [CourseOut(**vars(c)) for c in courses.list_courses(s) if c.id in allowed]


class ConceptOut(BaseModel):
    id: str
    name: dict[str, str]
    description: dict[str, str]
    prerequisites: list[str]


class ItemSummary(BaseModel):
    id: str
    type: str
    concepts: list[str]
    difficulty: float


class CourseDetail(BaseModel):
    id: str
    title: dict[str, str]
    description: dict[str, str]
    languages: list[str]
    concepts: list[ConceptOut]
    items: list[ItemSummary]


@router.get("/{course_id}", response_model=CourseDetail, summary="A course's concept graph")
def get_course(course_id: str, backend: BackendDep, user: UserDep) -> CourseDetail:
    with backend.transaction() as s:
        access.check_course(s, user, course_id)
        pack = courses.read_pack(s, course_id=course_id)
    return CourseDetail(
        id=pack.course.id,
        title=pack.course.title,
        description=pack.course.description,
        languages=pack.course.languages,
        concepts=[ConceptOut(**c.model_dump()) for c in pack.concepts],
        items=[
            ItemSummary(id=i.id, type=i.type.value, concepts=i.concepts, difficulty=i.difficulty)
            for i in pack.items
        ],
    )


class ChoiceOut(BaseModel):
    id: str
    text: dict[str, str]


class ItemOut(BaseModel):
    """What a student may see before answering: no keys, no reference answers."""

    id: str
    course_id: str
    type: str
    prompt: dict[str, str]
    concepts: list[str]
    difficulty: float
    choices: list[ChoiceOut] | None
    multiple: bool
    unit: str | None
    hints_available: int


def student_view(course_id: str, item: Any) -> ItemOut:
    answer = item.answer
    choices = getattr(answer, "choices", None)
    return ItemOut(
        id=item.id,
        course_id=course_id,
        type=item.type.value,
        prompt=item.prompt,
        concepts=item.concepts,
        difficulty=item.difficulty,
        choices=[ChoiceOut(id=c.id, text=c.text) for c in choices] if choices else None,
        multiple=bool(getattr(answer, "multiple", False)),
        unit=getattr(answer, "unit", None),
        hints_available=len(item.hints),
    )


@router.get("/{course_id}/items/{item_id}", response_model=ItemOut, summary="One item to answer")
def get_item(course_id: str, item_id: str, backend: BackendDep, user: UserDep) -> ItemOut:
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        row = courses.get_item_row(s, course=course, item_key=item_id)
        item = item_from_row(row, concept_keys_of_item(s, row.id))
    return student_view(course_id, item)


class ImportOut(BaseModel):
    course_id: str
    created: bool
    summary: str


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import a course pack uploaded as a .zip (teacher)",
    description="The zip holds the pack folder (course.yaml at its top or one folder down). "
    "Every problem is reported with file and line in error.details.problems; a bad pack "
    "changes nothing.",
)
def import_course(upload: UploadFile, backend: BackendDep, user: UserDep) -> ImportOut:
    access.require_role(user, Role.TEACHER)
    data = upload.file.read(MAX_UPLOAD + 1)
    outcome = pack_upload.import_zip(backend, user, data, name=upload.filename or "the upload")
    return ImportOut(course_id=outcome.course_id, created=outcome.created, summary=outcome.summary)
