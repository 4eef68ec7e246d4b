"""The review queue as a page: the grades the machine was unsure of, each with the question,
the reference answers and the student's answer, and forms to confirm or override it (the
same ``services.review`` decisions as ``POST /api/v1/reviews/{id}/confirm|override``)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from learnloop.domain import Verdict
from learnloop.errors import ConflictError, InvalidInputError
from learnloop.grading.freetext import PENDING_GRADER
from learnloop.services import access, courses, review
from learnloop.storage.tables import ReviewStatus, Role, User
from learnloop.web.deps import BackendDep
from learnloop.web.pages.render import PageUser, redirect, render
from learnloop.web.types import MAX_ID, IdPath

router = APIRouter(include_in_schema=False)

Shown = Literal["pending", "decided", "all"]
PAGE_SIZE = 50
VERDICTS = [v.value for v in Verdict]


def _back(shown: str, course_id: str, **extra: Any) -> str:
    query = {"status": shown, "course_id": course_id, **extra}
    pairs = "&".join(f"{k}={v}" for k, v in query.items() if v not in ("", None))
    return f"/teach/reviews?{pairs}" if pairs else "/teach/reviews"


def _listed(
    s: Session, user: User, shown: Shown, course_key: str | None, offset: int
) -> list[review.ReviewView]:
    """One page of the queue (and one more, to tell whether there are more); decided
    reviews newest first."""
    if shown != "decided":
        status = ReviewStatus.PENDING if shown == "pending" else None
        return review.list_reviews(
            s, user, course_key=course_key, status=status, limit=PAGE_SIZE + 1, offset=offset
        )
    both = [
        r
        for status in (ReviewStatus.CONFIRMED, ReviewStatus.OVERRIDDEN)
        for r in review.list_reviews(
            s, user, course_key=course_key, status=status, limit=offset + PAGE_SIZE + 1
        )
    ]
    both.sort(key=lambda r: -r.id)
    return both[offset : offset + PAGE_SIZE + 1]


def _queue(
    request: Request,
    backend: BackendDep,
    user: User,
    *,
    shown: Shown,
    course_id: str,
    offset: int = 0,
    decided: int | None = None,
    problem: tuple[int, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    access.require_role(user, Role.TEACHER)
    with backend.transaction() as s:
        found = _listed(s, user, shown, course_id or None, offset)
        count = partial(review.count_reviews, s, user, course_key=course_id or None)
        pending = count(status=ReviewStatus.PENDING)
        total = pending if shown == "pending" else count()
        if shown == "decided":
            total -= pending
        just_decided = review.get_review(s, user, decided) if decided else None
        catalogue = [c.id for c in courses.list_courses(s)]
    shown_ids = {r.id for r in found[:PAGE_SIZE]}
    context = {
        "reviews": found[:PAGE_SIZE],
        "problem_elsewhere": problem[1] if problem and problem[0] not in shown_ids else "",
        "more": len(found) > PAGE_SIZE,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "total": total,
        "shown": shown,
        "course_id": course_id,
        "catalogue": catalogue,
        "just_decided": just_decided,
        "problem": problem,
        "form": form or {},
        "verdicts": VERDICTS,
        "pending_grader": PENDING_GRADER,
        "back": _back(shown, course_id),
    }
    return render(request, "teach/reviews.html", context, user=user, status_code=status_code)


@router.get("/teach/reviews")
def queue_page(
    request: Request,
    backend: BackendDep,
    user: PageUser,
    status: Shown = "pending",
    course_id: Annotated[str, Query(max_length=128)] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    decided: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    return _queue(
        request,
        backend,
        user,
        shown=status,
        course_id=course_id,
        offset=offset,
        decided=decided,
    )


def _decide(
    request: Request,
    backend: BackendDep,
    user: User,
    review_id: int,
    decision: review.Decision,
    shown: Shown,
    course_id: str,
    form: dict[str, str],
) -> Response:
    try:
        review.decide_review(backend, user, review_id, decision)
    except (InvalidInputError, ConflictError) as exc:
        return _queue(
            request,
            backend,
            user,
            shown=shown,
            course_id=course_id,
            problem=(review_id, exc.message),
            form=form,
            status_code=exc.status,
        )
    return redirect(_back(shown, course_id, decided=review_id) + f"#review-{review_id}")


@router.post("/teach/reviews/{review_id}/confirm")
def confirm(
    request: Request,
    review_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    note: Annotated[str, Form(max_length=2000)] = "",
    status: Annotated[Shown, Form()] = "pending",
    course_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    decision = review.Decision(action="confirm", note=note.strip())
    return _decide(request, backend, user, review_id, decision, status, course_id, {"note": note})


@router.post("/teach/reviews/{review_id}/override")
def override(
    request: Request,
    review_id: IdPath,
    backend: BackendDep,
    user: PageUser,
    verdict: Annotated[str, Form(max_length=32)] = "",
    score: Annotated[str, Form(max_length=32)] = "",
    feedback: Annotated[str, Form(max_length=5000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    status: Annotated[Shown, Form()] = "pending",
    course_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    form = {"verdict": verdict, "score": score, "feedback": feedback, "note": note}
    try:
        decision = review.Decision(
            action="override",
            verdict=_verdict(verdict),
            score=_score(score),
            feedback=feedback.strip() or None,
            note=note.strip(),
        )
    except InvalidInputError as exc:
        return _queue(
            request,
            backend,
            user,
            shown=status,
            course_id=course_id,
            problem=(review_id, exc.message),
            form=form,
            status_code=exc.status,
        )
    return _decide(request, backend, user, review_id, decision, status, course_id, form)


def _verdict(value: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        raise InvalidInputError(
            "choose a verdict: correct, partly correct or incorrect",
            details={"verdict": "required"},
        ) from None


def _score(value: str) -> float | None:
    if not value.strip():
        return None
    try:
        score = float(value.replace(",", "."))
    except ValueError:
        score = -1.0
    if not 0 <= score <= 1:
        raise InvalidInputError(
            f"the score {value.strip()!r} is not a number from 0 to 1; leave it empty to use "
            "the verdict's score (1, 0.5 or 0)",
            details={"score": "a number from 0 to 1"},
        )
    return score
