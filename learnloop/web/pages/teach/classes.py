"""The teacher's start page, a class with its roster, its courses and the class's goal in each,
and the roster CSV upload (line-numbered problems, nothing changed until every line is
right)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.errors import InvalidInputError, LearnloopError, NotFoundError
from learnloop.services import access, classes, courses, goals, progress, review
from learnloop.storage.tables import ReviewStatus, Role, User
from learnloop.web.deps import BackendDep
from learnloop.web.pages.render import PageUser, page_language, redirect, render
from learnloop.web.pages.teach.common import read_upload
from learnloop.web.types import IdPath

router = APIRouter(include_in_schema=False)

MAX_ROSTER = 2_000_000


@router.get("/teach")
def home(request: Request, backend: BackendDep, user: PageUser) -> HTMLResponse:
    return _home(request, backend, user)


def _home(
    request: Request,
    backend: BackendDep,
    user: User,
    *,
    problem: str = "",
    class_name: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    access.require_role(user, Role.TEACHER)
    with backend.transaction() as s:
        mine = classes.classes_of(s, user)
        pending = review.count_reviews(s, user, status=ReviewStatus.PENDING)
        titles = {c.id: c.title for c in courses.list_courses(s)}
    context = {
        "classes": mine,
        "pending": pending,
        "titles": titles,
        "problem": problem,
        "class_name": class_name,
    }
    return render(request, "teach/home.html", context, user=user, status_code=status_code)


@router.post("/teach/classes")
def create_class(
    request: Request,
    backend: BackendDep,
    user: PageUser,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    access.require_role(user, Role.TEACHER)
    try:
        with backend.transaction() as s:
            klass = classes.create_class(s, name=name, teacher=user)
            class_id = klass.id
    except LearnloopError as exc:
        return _home(
            request, backend, user, problem=exc.message, class_name=name, status_code=exc.status
        )
    return redirect(f"/teach/classes/{class_id}?created=1")


def _class_page(
    request: Request,
    backend: BackendDep,
    user: User,
    class_id: IdPath,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    with backend.transaction() as s:
        klass = access.check_class(s, user, class_id, manage=True)
        info = classes.class_info(s, klass)
        members = classes.roster(s, class_id=class_id)
        catalogue = courses.list_courses(s)
        goals = {key: _goal_choice(s, user, class_id, key, lang) for key in info.courses}
    saved = request.query_params.get("goal", "")
    context: dict[str, Any] = {
        "klass": info,
        "members": members,
        "students": [m for m in members if m.role is Role.STUDENT],
        "teachers": [m for m in members if m.role is not Role.STUDENT],
        "courses": [c for c in catalogue if c.id in info.courses],
        "addable": [c for c in catalogue if c.id not in info.courses],
        "created": request.query_params.get("created") == "1",
        "added": request.query_params.get("added", ""),
        "goals": goals,
        "goal_saved": saved if saved in goals else "",
        "goal_saved_title": next(
            (pick(c.title, lang) or c.id for c in catalogue if c.id == saved), saved
        ),
        "csv_text": "",
        "report": None,
        "problems": [],
        "problem": "",
    }
    context.update(extra or {})
    return render(request, "teach/class.html", context, user=user, status_code=status_code)


@dataclass(frozen=True)
class GoalChoice:
    """A course's concepts to choose the class's goal from, and the goal now."""

    concepts: list[tuple[str, str]]
    """(key, name) in course order."""
    goal: str | None
    goal_name: str | None


def _goal_choice(s: Session, user: User, class_id: int, course_key: str, lang: str) -> GoalChoice:
    course = access.check_course(s, user, course_key)
    concepts = [
        (m.concept_id, pick(m.name, lang) or m.concept_id)
        for m in progress.course_mastery(s, user_id=user.id, course=course)
    ]
    goal = goals.class_goal(s, class_id=class_id, course_id=course.id)
    return GoalChoice(concepts, goal, dict(concepts).get(goal, goal) if goal else None)


@router.get("/teach/classes/{class_id}")
def class_page(
    request: Request, class_id: IdPath, backend: BackendDep, user: PageUser
) -> HTMLResponse:
    return _class_page(request, backend, user, class_id)


@router.post("/teach/classes/{class_id}/roster")
def upload_roster(
    request: Request,
    class_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    csv_file: Annotated[UploadFile | None, File()] = None,
    csv_text: Annotated[str, Form(max_length=MAX_ROSTER)] = "",
) -> HTMLResponse:
    """The same import as ``POST /api/v1/classes/{id}/roster.csv``: a file, or pasted text."""
    text = csv_text
    try:
        uploaded = read_upload(csv_file, MAX_ROSTER)
        if uploaded is not None:
            try:
                text = uploaded.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInputError(
                    "the file is not UTF-8 text; save the spreadsheet as 'CSV UTF-8' and "
                    "upload it again"
                ) from None
        if not text.strip():
            raise InvalidInputError("choose a CSV file or paste the roster into the box")
        with backend.transaction() as s:
            access.check_class(s, user, class_id, manage=True)
            report = classes.import_roster(
                s,
                class_id=class_id,
                csv_text=text,
                may_update=access.visible_student_ids(s, user),
            )
    except InvalidInputError as exc:
        problems = exc.details.get("problems") or [exc.message]
        extra = {"csv_text": text, "problems": problems}
        return _class_page(request, backend, user, class_id, extra, status_code=422)
    return _class_page(request, backend, user, class_id, {"report": report})


@router.post("/teach/classes/{class_id}/courses")
def add_course(
    request: Request,
    class_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    course_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    with backend.transaction() as s:
        klass = access.check_class(s, user, class_id, manage=True)
    try:
        if not course_id:
            raise InvalidInputError("choose a course to add")
        with backend.transaction() as s:
            classes.add_course(s, class_name=klass.name, course_id=course_id)
    except (InvalidInputError, NotFoundError) as exc:
        extra = {"problem": exc.message}
        return _class_page(request, backend, user, class_id, extra, status_code=exc.status)
    return redirect(f"/teach/classes/{class_id}?added={course_id}")


@router.post("/teach/classes/{class_id}/goals")
def set_class_goal(
    request: Request,
    class_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    course_id: Annotated[str, Form(max_length=128)] = "",
    concept_id: Annotated[str, Form(max_length=128)] = "",
    clear: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The same ``set_goal`` as ``PUT /api/v1/classes/{id}/goals/{course}``; a student's own
    goal still wins over it."""
    chosen = None if clear or not concept_id.strip() else concept_id.strip()
    try:
        goals.set_goal(backend, user, course_id, chosen, class_id=class_id)
    except (InvalidInputError, NotFoundError) as exc:
        # the page itself refuses a class the teacher may not see
        extra = {"problem": exc.message}
        return _class_page(request, backend, user, class_id, extra, status_code=exc.status)
    return redirect(f"/teach/classes/{class_id}?goal={quote(course_id, safe='')}#courses")
