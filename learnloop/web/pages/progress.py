"""A student's progress in a course: where they stand now in each concept (the same estimate as
the course page), and over time, a line chart and the table of its numbers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from learnloop.domain import pick
from learnloop.services import access, history, progress
from learnloop.services.content import course_content
from learnloop.web.deps import BackendDep
from learnloop.web.i18n import translate
from learnloop.web.pages.charts import line_chart
from learnloop.web.pages.render import Language, PageUser, render

router = APIRouter(include_in_schema=False)

CONCEPT_LINES = 4
"""Concepts with a line of their own: the ones practised most recently."""


def _short(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def started_estimates(points: list[history.HistoryPoint]) -> list[dict[str, float]]:
    """After each answer, the estimate of each concept practised so far (by an answer that
    counts: graded, not waiting for a teacher). A concept never practised has no estimate to
    show, whatever the model starts it at."""
    last: dict[str, float] = {}
    out = []
    for point in points:
        if point.verdict is not None and not point.provisional:
            last.update(point.concepts)
        out.append(dict(last))
    return out


def started_mean(estimates: dict[str, float]) -> float | None:
    """The average over the concepts started (``history``'s ``mean_mastery`` counts the
    starting estimate of the others, which would show a new student at the model's prior)."""
    return sum(estimates.values()) / len(estimates) if estimates else None


def _figure(points: list[history.HistoryPoint], names: dict[str, str], lang: str) -> Any:
    """Lines over the answers given (0: before the first), evenly spaced whatever the time
    between them; the table has the times. A line starts at its concept's first answer."""
    recent: list[str] = []
    for point in reversed(points):
        for key in point.concepts:
            if key not in recent:
                recent.append(key)
    shown = recent[:CONCEPT_LINES]
    known = started_estimates(points)
    series: dict[str, list[float | None]] = {
        translate(lang, "progress.mean_mastery"): [None, *(started_mean(e) for e in known)]
    }
    for key in shown:
        series[names.get(key, key)] = [None, *(e.get(key) for e in known)]
    series[translate(lang, "progress.share_correct")] = [None] + [p.share_correct for p in points]
    return line_chart(
        list(range(len(points) + 1)),
        series,
        x_title=translate(lang, "progress.x_axis"),
        y_title=translate(lang, "progress.y_axis"),
        percent=True,
        # whole answers only; 0 is the start
        x_axis={
            "tickmode": "linear",
            "tick0": 0,
            "dtick": max(1, len(points) // 10),
            "rangemode": "tozero",
        },
    )


@router.get("/courses/{course_id}/progress")
def progress_page(
    request: Request, course_id: str, backend: BackendDep, user: PageUser, lang: Language
) -> HTMLResponse:
    with backend.transaction() as s:
        course = access.check_course(s, user, course_id)
        points = history.answer_history(s, user_id=user.id, course=course)
        summary = progress.course_progress(s, user_id=user.id, course=course)
        mastery = progress.course_mastery(s, user_id=user.id, course=course)
        names = {m.concept_id: pick(m.name, lang) for m in mastery}
        items = course_content(s, course).items
        title = pick(course.title, lang)
    questions = {
        p.item_id: _short(pick(items[p.item_id].item.prompt, lang))
        if p.item_id in items
        else p.item_id
        for p in points
    }
    context = {
        "course_id": course_id,
        "title": title,
        "points": points,
        "known": dict(zip((p.attempt_id for p in points), started_estimates(points), strict=True)),
        "started_mean": started_mean,
        "summary": summary,
        "names": names,
        "mastery": mastery,
        "questions": questions,
        "figure": _figure(points, names, lang) if points else None,
    }
    return render(request, "progress.html", context, user=user)
