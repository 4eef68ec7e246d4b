"""A student's courses; a course's page: the map (concepts coloured by mastery), what to do
next and why, what is due for review, the path to a goal (and the form that sets it), and
the reading."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from learnloop.domain import pick
from learnloop.services import access, courses, goals, materials, practice, progress, recommend
from learnloop.tracing import MASTERED
from learnloop.web.deps import BackendDep
from learnloop.web.pages.conceptmap import NARROW, WIDE, MapConcept, layout
from learnloop.web.pages.markdown import render_markdown
from learnloop.web.pages.render import Language, PageUser, percent, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/courses")
def my_courses(request: Request, backend: BackendDep, user: PageUser) -> HTMLResponse:
    with backend.transaction() as s:
        rows = access.courses_of(s, user)
        summaries = {c.id: c for c in courses.list_courses(s)}
        cards = [
            {
                "course": summaries[row.key],
                "description": row.description,
                "progress": progress.course_progress(s, user_id=user.id, course=row),
            }
            for row in rows
            if row.key in summaries
        ]
    return render(request, "courses.html", {"cards": cards}, user=user)


@router.get("/courses/{course_id}")
def course_map(
    request: Request,
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    goal: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    """The map and table of every concept, what to do next and why, the concepts due for
    review, and the path to the student's goal (their own, else their class's)."""
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        concepts = practice.concept_map(s, user_id=user.id, course=course)
        estimates = {
            m.concept_id: m for m in progress.course_mastery(s, user_id=user.id, course=course)
        }
        reading = materials.list_materials(s, course=course)
        path = recommend.path_in(s, settings=backend.settings, user=user, course=course, lang=lang)
        title = pick(course.title, lang)
    # its own read: a "material" activity searches the course pages for the last mistake
    nxt = recommend.next_activity(backend, user, course_id, lang=lang)
    names = {c.concept_id: pick(c.name, lang) for c in concepts}
    on_map = [
        MapConcept(
            key=c.concept_id,
            name=names[c.concept_id],
            prerequisites=c.prerequisites,
            p_mastery=c.p_mastery,
            attempts=c.attempts,
            mastered=c.mastered,
            href=f"/courses/{course_id}/practice?concept={c.concept_id}" if c.items else None,
            description=pick(c.description, lang),
        )
        for c in concepts
    ]
    context = {
        "course_id": course_id,
        "title": title,
        "concepts": concepts,
        "concepts_by_key": {c.concept_id: c for c in concepts},
        "estimates": estimates,
        "names": names,
        "maps": {"wide": layout(on_map, WIDE), "narrow": layout(on_map, NARROW)},
        "reading": reading,
        "next": nxt,
        "path": path,
        # the student's own goal wins over their class's (recommend.goal_and_source)
        "goal_source": path.goal_source or "own",
        "goal_notice": {"saved": "map.goal.saved", "cleared": "map.goal.cleared"}.get(goal, ""),
        "mastered_at": percent(MASTERED),
    }
    return render(request, "course.html", context, user=user)


@router.post("/courses/{course_id}/goal")
def set_my_goal(
    course_id: str,
    backend: BackendDep,
    user: PageUser,
    concept_id: Annotated[str, Form(max_length=128)] = "",
    clear: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The goal form of the course page: the same ``set_goal`` as ``PUT /api/v1/goals``."""
    chosen = None if clear or not concept_id.strip() else concept_id.strip()
    goals.set_goal(backend, user, course_id, chosen)
    return redirect(f"/courses/{course_id}?goal={'saved' if chosen else 'cleared'}#path")


@router.get("/courses/{course_id}/materials/{material_id}")
def material_page(
    request: Request,
    course_id: str,
    material_id: str,
    backend: BackendDep,
    user: PageUser,
    lang: Language,
    language: str | None = None,
) -> HTMLResponse:
    """One page of reading, in ``?language=`` (a citation's language, so that its anchor
    exists), else the visitor's."""
    wanted = language if language in ("en", "zh") else lang
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        page = materials.get_material(s, course=course, material_key=material_id, language=wanted)
        concept_names = {
            c.concept_id: pick(c.name, lang)
            for c in progress.course_mastery(s, user_id=user.id, course=course)
        }
        course_title = pick(course.title, lang)
    context = {
        "course_id": course_id,
        "course_title": course_title,
        "page": page,
        "wanted": wanted,
        "html": render_markdown(page.body),
        "concepts": [(key, concept_names.get(key, key)) for key in page.concepts],
    }
    return render(request, "material.html", context, user=user)
