"""Courses: the catalogue, a course's concept graph and items (without answers), import."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, UploadFile
from pydantic import BaseModel

from learnloop.errors import InvalidInputError
from learnloop.services import access, courses
from learnloop.services.learning import item_from_row
from learnloop.services.progress import concept_keys_of_item
from learnloop.storage.tables import Role
from learnloop.web.deps import BackendDep, UserDep

router = APIRouter(prefix="/courses", tags=["courses"])

MAX_UPLOAD = 20 * 1024 * 1024


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
    if len(data) > MAX_UPLOAD:
        raise InvalidInputError(f"the upload is larger than {MAX_UPLOAD // 1024 // 1024} MB")
    with tempfile.TemporaryDirectory() as tmp:
        pack = courses.load_pack(_unzip(data, Path(tmp)))
        with backend.transaction() as s:
            access.check_course_import(s, user, pack.course.id)
            report = courses.import_pack(s, pack=pack)
    return ImportOut(course_id=report.course_id, created=report.created, summary=report.summary())


def _unzip(data: bytes, dest: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInputError(
            "the upload is not a .zip file; zip the course pack folder"
        ) from None
    total = 0
    for info in archive.infolist():
        target = (dest / info.filename).resolve()
        if not target.is_relative_to(dest.resolve()):
            raise InvalidInputError(f"the zip entry {info.filename!r} points outside the pack")
        total += info.file_size
        if total > 10 * MAX_UPLOAD:
            raise InvalidInputError("the zip unpacks to more than 200 MB")
    archive.extractall(dest)
    if (dest / "course.yaml").is_file():
        return dest
    candidates = [p.parent for p in dest.glob("*/course.yaml")]
    if len(candidates) == 1:
        return candidates[0]
    raise InvalidInputError("the zip has no course.yaml at its top or one folder down")
