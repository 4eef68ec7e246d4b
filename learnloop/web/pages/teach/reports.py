"""What the teacher reads: the class x concept mastery map, a student's history, item
statistics and the tutor questions by concept. Each is a ``services.analytics`` use case, as
in the JSON API, drawn as a chart with its numbers in a table below."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.services import access, analytics, classes, courses, history
from learnloop.storage.tables import Role, User
from learnloop.web.deps import BackendDep
from learnloop.web.i18n import translate
from learnloop.web.pages.charts import line_chart
from learnloop.web.pages.progress import started_estimates, started_mean
from learnloop.web.pages.render import Language, PageUser, render
from learnloop.web.pages.teach.charts import cell_colour, horizontal_bars, mastery_heatmap
from learnloop.web.pages.teach.common import paginate
from learnloop.web.types import MAX_ID, IdPath

router = APIRouter(include_in_schema=False)

ClassFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
PageQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
STUCK_ANSWERS = 3
"""A student who answered a concept this often and is still below ``STUCK_BELOW`` is stuck."""
STUCK_BELOW = 0.5
STUCK_SHOWN = 20
STUDENTS_PER_PAGE = 30
"""Rows of the mastery map a page shows: a class of 300 was 7,000 px tall on one page."""
ITEMS_PER_PAGE = 25
"""Questions a page of item statistics lists (each with its common wrong answers)."""


@dataclass(frozen=True)
class Stuck:
    user_id: int
    student: str
    concept: str
    p_mastery: float
    attempts: int


def _classes_with(s: Session, user: User, course_key: str) -> list[classes.ClassInfo]:
    return [c for c in classes.classes_of(s, user) if course_key in c.courses]


def _range(low: float | None, high: float | None) -> str:
    """``45–77``: where the estimate probably lies, in percent."""
    if low is None or high is None:
        return ""
    return f"{round(low * 100)}–{round(high * 100)}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@router.get("/teach/classes/{class_id}/courses/{course_id}/mastery")
def mastery_page(
    request: Request,
    class_id: IdPath,
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    page: PageQuery = 1,
) -> HTMLResponse:
    """The map of one page of students; the class's averages, counts and who may be stuck
    cover every student."""
    with backend.transaction() as s:
        matrix = analytics.mastery_matrix(s, user, class_id=class_id, course_key=course_id)
        klass = access.check_class(s, user, class_id, manage=True)
        keys = [c for c in classes.class_info(s, klass).courses if c != course_id]
        titles = {c.id: c.title for c in courses.list_courses(s)}
    other_courses = [(key, pick(titles.get(key), lang) or key) for key in keys]
    concepts = [pick(c.name, lang) or c.concept_id for c in matrix.concepts]
    ranges = [
        [_range(lo, hi) for lo, hi in zip(lows, highs, strict=True)]
        for lows, highs in zip(matrix.low, matrix.high, strict=True)
    ]
    rows, pager = paginate(request, range(len(matrix.students)), page, STUDENTS_PER_PAGE)
    figure = None
    if rows and matrix.concepts:
        figure = mastery_heatmap(
            [matrix.students[i].username for i in rows],
            concepts,
            [matrix.p_mastery[i] for i in rows],
            [matrix.seen[i] for i in rows],
            x_title=translate(lang, "teach.mastery.x_axis"),
            hover_unseen=translate(lang, "teach.mastery.not_started"),
            ranges=[ranges[i] for i in rows],
        )
    # over the students who practised the concept: a starting estimate is no evidence
    started_mean = [
        _mean([row[j] for row, seen in zip(matrix.p_mastery, matrix.seen, strict=True) if seen[j]])
        for j in range(len(matrix.concepts))
    ]
    stuck = sorted(
        (
            Stuck(st.user_id, st.display_name or st.username, concepts[j], p, n)
            for i, st in enumerate(matrix.students)
            for j, (p, n) in enumerate(zip(matrix.p_mastery[i], matrix.attempts[i], strict=True))
            if n >= STUCK_ANSWERS and p < STUCK_BELOW
        ),
        key=lambda x: x.p_mastery,
    )
    context = {
        "matrix": matrix,
        "rows": rows,
        "pager": pager,
        "concepts": concepts,
        "figure": figure,
        "stuck": stuck[:STUCK_SHOWN],
        "stuck_more": max(0, len(stuck) - STUCK_SHOWN),
        "course_title": pick(matrix.course_title, lang) or course_id,
        "other_courses": other_courses,
        "colour": cell_colour,
        "ranges": ranges,
        "started_mean": started_mean,
        "stuck_answers": STUCK_ANSWERS,
        "stuck_below": STUCK_BELOW,
    }
    return render(request, "teach/mastery.html", context, user=user)


@router.get("/teach/students/{user_id}")
def student_page(
    request: Request,
    user_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    course_id: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    access.require_role(user, Role.TEACHER)
    with backend.transaction() as s:
        found = analytics.student_history(s, user, student_id=user_id)
        shown = next((c for c in found.courses if c.course_id == course_id), None)
        if shown is None and course_id is not None:
            access.check_course(s, user, course_id)  # not found, or a course never taken
            found_one = analytics.student_history(s, user, student_id=user_id, course_key=course_id)
            shown = found_one.courses[0]
        shown = shown or (found.courses[0] if found.courses else None)
        points = []
        if shown is not None:
            course = access.check_course(s, user, shown.course_id)
            points = history.answer_history(s, user_id=user_id, course=course)
    # the average over the concepts started, as the student's own progress page shows it
    means = [started_mean(e) for e in started_estimates(points)]
    figure = None
    if points:
        figure = line_chart(
            [p.n for p in points],  # by answer: a lesson's answers come seconds apart
            {
                translate(lang, "progress.mean_mastery"): means,
                translate(lang, "progress.share_correct"): [p.share_correct for p in points],
            },
            x_title=translate(lang, "teach.student.x_axis"),
            y_title=translate(lang, "progress.y_axis"),
            percent=True,
        )
        figure["layout"]["xaxis"]["dtick"] = max(1, math.ceil(len(points) / 10))
    context = {
        "student": found,
        "shown": shown,
        "figure": figure,
        "points": {p.attempt_id: p for p in points},
        "means": {p.attempt_id: m for p, m in zip(points, means, strict=True)},
        "tabs": [(c.course_id, pick(c.title, lang) or c.course_id) for c in found.courses],
    }
    return render(request, "teach/student.html", context, user=user)


@router.get("/teach/courses/{course_id}/items")
def items_page(
    request: Request,
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    class_id: ClassFilter = None,
    show: Annotated[str, Query(max_length=8)] = "",
    page: PageQuery = 1,
) -> HTMLResponse:
    """The questions students answered (``show=all``: the unanswered ones too), a page at a
    time, with the chart of that page's questions."""
    with backend.transaction() as s:
        stats = analytics.item_statistics(s, user, course_key=course_id, class_id=class_id)
        course = access.check_course(s, user, course_id)
        class_choices = _classes_with(s, user, course_id)
    listed = stats.items if show == "all" else [i for i in stats.items if i.attempts]
    shown, pager = paginate(request, listed, page, ITEMS_PER_PAGE)
    answered = [i for i in shown if i.graded]
    figure = None
    if answered:
        figure = horizontal_bars(
            [i.item_id for i in answered],
            {
                translate(lang, "teach.items.met"): [i.difficulty for i in answered],
                translate(lang, "teach.items.authored"): [i.authored_difficulty for i in answered],
            },
            x_title=translate(lang, "teach.items.x_axis"),
            percent=True,
        )
    context = {
        "stats": stats,
        "listed": shown,
        "pager": pager,
        "any_graded": any(i.graded for i in stats.items),
        "unanswered": sum(not i.attempts for i in stats.items),
        "show_all": show == "all",
        "course_id": course_id,
        "course_title": pick(course.title, lang) or course_id,
        "figure": figure,
        "class_choices": class_choices,
        "class_id": class_id,
        "min_students": analytics.items.MIN_STUDENTS_FOR_DISCRIMINATION,
    }
    return render(request, "teach/items.html", context, user=user)


@router.get("/teach/courses/{course_id}/questions")
def questions_page(
    request: Request,
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    class_id: ClassFilter = None,
) -> HTMLResponse:
    with backend.transaction() as s:
        found = analytics.tutor_questions(
            s, user, course_key=course_id, class_id=class_id, latest=5
        )
        course = access.check_course(s, user, course_id)
        class_choices = _classes_with(s, user, course_id)
    general = translate(lang, "teach.questions.general")
    labels = [pick(g.name, lang) or g.concept_id or general for g in found.groups]
    figure = None
    if found.groups:
        figure = horizontal_bars(
            labels,
            {translate(lang, "teach.questions.count"): [g.questions for g in found.groups]},
            x_title=translate(lang, "teach.questions.x_axis"),
        )
    context: dict[str, Any] = {
        "found": found,
        "groups": list(zip(labels, found.groups, strict=True)),
        "course_id": course_id,
        "course_title": pick(course.title, lang) or course_id,
        "figure": figure,
        "class_choices": class_choices,
        "class_id": class_id,
    }
    return render(request, "teach/questions.html", context, user=user)
