"""Classes: rosters, CSV roster import, courses of a class, the teacher's overview."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from learnloop.services import access, analytics, classes
from learnloop.storage.tables import Role
from learnloop.web.deps import BackendDep, UserDep
from learnloop.web.types import IdPath

router = APIRouter(prefix="/classes", tags=["classes"])


class ClassOut(BaseModel):
    id: int
    name: str
    teachers: list[str]
    students: int
    courses: list[str]


class MemberOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Literal["admin", "teacher", "student"]


@router.get("", response_model=list[ClassOut], summary="My classes (all classes for an admin)")
def list_classes(backend: BackendDep, user: UserDep) -> list[ClassOut]:
    with backend.transaction() as s:
        return [ClassOut(**vars(c)) for c in classes.classes_of(s, user)]


class NewClassIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


@router.post("", response_model=ClassOut, status_code=201, summary="Create a class (teacher)")
def create_class(body: NewClassIn, backend: BackendDep, user: UserDep) -> ClassOut:
    access.require_role(user, Role.TEACHER)
    with backend.transaction() as s:
        klass = classes.create_class(s, name=body.name, teacher=user)
        return ClassOut(**vars(classes.class_info(s, klass)))


@router.get("/{class_id}", response_model=ClassOut, summary="One class")
def get_class(class_id: IdPath, backend: BackendDep, user: UserDep) -> ClassOut:
    with backend.transaction() as s:
        klass = access.check_class(s, user, class_id, manage=False)
        return ClassOut(**vars(classes.class_info(s, klass)))


@router.get("/{class_id}/roster", response_model=list[MemberOut], summary="Teachers and students")
def get_roster(class_id: IdPath, backend: BackendDep, user: UserDep) -> list[MemberOut]:
    with backend.transaction() as s:
        access.check_class(s, user, class_id, manage=True)
        return [
            MemberOut(
                user_id=m.user_id,
                username=m.username,
                display_name=m.display_name,
                role=m.role.value,
            )
            for m in classes.roster(s, class_id=class_id)
        ]


class RosterReportOut(BaseModel):
    created: list[str]
    updated: list[str]
    enrolled: list[str]


@router.post(
    "/{class_id}/roster.csv",
    response_model=RosterReportOut,
    summary="Import students from CSV (all or nothing)",
    description="Columns: username (required), display_name, password (required for new "
    "students), language (en or zh). Bad rows are reported by line number and nothing changes.",
)
def import_roster(
    class_id: IdPath,
    backend: BackendDep,
    user: UserDep,
    csv_text: str = Body(..., media_type="text/csv", max_length=2_000_000),
) -> RosterReportOut:
    with backend.transaction() as s:
        access.check_class(s, user, class_id, manage=True)
        report = classes.import_roster(
            s,
            class_id=class_id,
            csv_text=csv_text,
            may_update=access.visible_student_ids(s, user),
        )
    return RosterReportOut(**vars(report))


class CourseLinkIn(BaseModel):
    course_id: str = Field(min_length=1, max_length=128)


@router.post("/{class_id}/courses", response_model=ClassOut, summary="Give the class a course")
def add_course(
    class_id: IdPath, body: CourseLinkIn, backend: BackendDep, user: UserDep
) -> ClassOut:
    with backend.transaction() as s:
        klass = access.check_class(s, user, class_id, manage=True)
        classes.add_course(s, class_name=klass.name, course_id=body.course_id)
        return ClassOut(**vars(classes.class_info(s, klass)))


class OverviewRow(BaseModel):
    user_id: int
    username: str
    display_name: str
    mastery: dict[str, float]
    attempts: int


class OverviewOut(BaseModel):
    class_id: int
    course_id: str
    concepts: list[str]
    students: list[OverviewRow]


@router.get(
    "/{class_id}/overview/{course_id}",
    response_model=OverviewOut,
    summary="Class x concept mastery for one course (teacher)",
)
def overview(class_id: IdPath, course_id: str, backend: BackendDep, user: UserDep) -> OverviewOut:
    """The mastery map's numbers by concept key (``analytics.mastery_matrix``: a few queries
    for the whole class, not two per student)."""
    with backend.transaction() as s:
        matrix = analytics.mastery_matrix(s, user, class_id=class_id, course_key=course_id)
    concepts = [c.concept_id for c in matrix.concepts]
    return OverviewOut(
        class_id=class_id,
        course_id=course_id,
        concepts=concepts,
        students=[
            OverviewRow(
                user_id=st.user_id,
                username=st.username,
                display_name=st.display_name,
                mastery=dict(zip(concepts, row, strict=True)),
                attempts=st.attempts,
            )
            for st, row in zip(matrix.students, matrix.p_mastery, strict=True)
        ],
    )
