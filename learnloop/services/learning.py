"""The answer loop: store the answer, grade it, update mastery, suggest what comes next.

The answer is committed in its own transaction before anything else happens, so an answer the
student saw acknowledged is never lost, even if grading or the process fails afterwards. The
second transaction stores the grade and the new mastery; it reads everything it needs first
and writes last, so on SQLite it holds the database's write lock only for its few writes.

Per answer: one query to authenticate (``web.deps``); a transaction of two statements (course
access check, insert); a transaction of two reads (mastery, items already solved) and two or
three writes (grade, mastery of each concept). Item content and the concept graph come from
``content``'s cache. Mastery is written only if no other answer of the same student moved it
in between (``progress.record_mastery``), and an answer has one first grade (a unique index),
so a retry racing its original cannot grade it twice; the loser of such a race reads again.

A free-text answer is graded by the course's active learned grader (``services.graders``;
one more indexed read, and the model is loaded once per process). A grade less confident
than the course's ``review_threshold`` is provisional: it goes to the review queue and moves
no mastery until a teacher decides (``services.review``). Without a model, or with one that
cannot be loaded, the answer waits for a teacher, as every free-text answer once did.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnloop.domain import Grade, Item, ItemType
from learnloop.domain.course import DEFAULT_REVIEW_THRESHOLD, review_threshold
from learnloop.errors import ConflictError, InvalidInputError, NotFoundError
from learnloop.grading import grade_response
from learnloop.grading.freetext import (
    PENDING_GRADER,
    FreeTextModel,
    grade_free_text,
    pending_grade,
)
from learnloop.services.access import CourseRef, check_course_ref
from learnloop.services.content import (
    CourseVersion,
    ItemContent,
    course_content,
    item_content_by_id,
    item_from_row,
)
from learnloop.services.context import Backend
from learnloop.services.graders import ActiveModel, grader_for
from learnloop.services.progress import (
    LostRace,
    forgetting_for,
    mastery_for_item,
    plan_mastery,
    record_mastery,
)
from learnloop.services.recommend import Activity, next_in
from learnloop.services.tracing import maybe_refit
from learnloop.storage.tables import AttemptRow, CourseRow, GradeRow, ItemRow, ReviewRow, User

__all__ = ["AttemptResult", "grade", "item_from_row", "submit_attempt"]

log = logging.getLogger(__name__)

MAX_RESPONSE_CHARS = 20_000

LearnedGrader = tuple[ActiveModel, FreeTextModel]


@dataclass(frozen=True)
class AttemptResult:
    attempt_id: int
    item_id: str
    course_id: str
    grade: GradeRow
    replayed: bool
    """True when the same idempotency key was seen before; nothing new was stored."""
    mastery: dict[str, float]
    next_item: Activity
    """What to do next, chosen once this answer counts (``services.recommend``)."""


def grade(
    item: Item,
    response: str | list[str],
    language: str,
    *,
    learned: LearnedGrader | None = None,
    threshold: float = DEFAULT_REVIEW_THRESHOLD,
) -> tuple[Grade, bool]:
    """Grade with the item's grader; returns the grade and whether a teacher must review it.

    A free-text answer needs ``learned``, the course's model; without one a teacher grades
    it and the student is told so."""
    if item.type is ItemType.FREE_TEXT:
        if learned is None:
            return pending_grade(language), True
        model, grader = learned
        try:
            return grade_free_text(
                grader,
                item,
                response,
                language,
                threshold=threshold,
                grader=f"learned.{model.kind}",
                details={"model_id": model.id, "model": model.name},
            )
        except Exception:  # a broken model must not keep a stored answer from its result
            log.exception("grader model #%s failed on an answer to %s", model.id, item.id)
            return pending_grade(language), True
    result = grade_response(item, response, lang=language)
    # a rule grader unsure of itself (a pattern that timed out, an undecidable expression)
    # says so with confidence < 1: a teacher decides
    return result, result.confidence < 1.0


def _check_text(text: str) -> None:
    """Refuse what no later read could show: a lone UTF-16 surrogate (invalid in UTF-8 and in
    JSON) would be stored and then break every listing of the student's answers."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"the answer has an invalid character at position {exc.start + 1} (a lone "
            f"surrogate, U+{ord(text[exc.start]):04X}); type or paste it again",
            details={"response": "invalid character"},
        ) from None


def _validate_response(response: Any) -> str | list[str]:
    if isinstance(response, str):
        _check_text(response)
        if len(response) > MAX_RESPONSE_CHARS:
            raise InvalidInputError(
                f"the answer is too long ({len(response):,} characters; at most "
                f"{MAX_RESPONSE_CHARS:,})",
                details={"response": "too long"},
            )
        return response
    if isinstance(response, list) and all(isinstance(r, str) for r in response):
        for part in response:
            _check_text(part)
        if len(response) > 100 or sum(map(len, response)) > MAX_RESPONSE_CHARS:
            raise InvalidInputError(
                "the answer has too many parts", details={"response": "too long"}
            )
        return response
    raise InvalidInputError(
        "the answer must be a text or a list of choice ids", details={"response": "wrong type"}
    )


MASTERY_RETRIES = 8
"""How often grading reads again after other answers of the same student moved its mastery."""

# The hot path writes with Core statements on the session's connection (same transaction):
# the ORM's unit of work costs several times the insert itself.
_INSERT_ATTEMPT = insert(AttemptRow).returning(AttemptRow.id)
_INSERT_GRADE = insert(GradeRow)
_ATTEMPT_BY_KEY = (
    select(AttemptRow.id, ItemRow.key, CourseRow.key)
    .join(ItemRow, ItemRow.id == AttemptRow.item_id)
    .join(CourseRow, CourseRow.id == ItemRow.course_id)
    .where(
        AttemptRow.user_id == bindparam("user_id"),
        AttemptRow.idempotency_key == bindparam("key"),
    )
)


def _store_attempt(
    backend: Backend,
    *,
    user: User,
    course_key: str,
    item_key: str,
    response: str | list[str],
    language: str,
    idempotency_key: str | None,
    hints_used: int,
    duration_ms: int | None,
) -> tuple[int, CourseVersion, ItemContent]:
    """Commit the answer. A key seen before raises ``IntegrityError``: the unique constraint
    on (user, key) decides, so two racing retries cannot both store."""
    with backend.transaction() as s:
        course = check_course_ref(s, user, course_key)
        item = course_content(s, course).items.get(item_key)
        if item is None:
            raise NotFoundError(f"no item {item_key!r} in course {course.key!r}")
        attempt_id = s.connection().scalar(
            _INSERT_ATTEMPT,
            {
                "user_id": user.id,
                "item_id": item.id,
                "response": {"value": response},
                "language": language,
                "idempotency_key": idempotency_key,
                "hints_used": hints_used,
                "duration_ms": duration_ms,
            },
        )
        assert attempt_id is not None
        return attempt_id, course, item


def submit_attempt(
    backend: Backend,
    *,
    user: User,
    course_key: str,
    item_key: str,
    response: Any,
    language: str = "en",
    idempotency_key: str | None = None,
    hints_used: int = 0,
    duration_ms: int | None = None,
) -> AttemptResult:
    value = _validate_response(response)
    idempotency_key = idempotency_key or None  # "" is no key, not a key shared by every retry
    try:
        attempt_id, course, item = _store_attempt(
            backend,
            user=user,
            course_key=course_key,
            item_key=item_key,
            response=value,
            language=language,
            idempotency_key=idempotency_key,
            hints_used=hints_used,
            duration_ms=duration_ms,
        )
    except IntegrityError:
        if not idempotency_key:
            raise
        with backend.transaction() as s:
            first = s.execute(_ATTEMPT_BY_KEY, {"user_id": user.id, "key": idempotency_key}).first()
        if first is None:
            raise
        stored, stored_item, stored_course = first
        if (stored_course, stored_item) != (course_key, item_key):
            raise ConflictError(
                f"idempotency key {idempotency_key!r} was already used for an answer to item "
                f"{stored_item!r} of course {stored_course!r}; a retry sends the same answer "
                "with the same key, a new answer needs a new key",
                details={"idempotency_key": "used for another item"},
            ) from None
        # a retry: the first request stored the answer, and graded it unless it failed
        # in between, in which case it is graded now
        return _replay(backend, user=user, attempt_id=stored, replayed=True)
    try:
        with backend.transaction() as s:
            grade_row, mastery = _grade_and_record(
                s,
                user=user,
                attempt_id=attempt_id,
                course=course,
                item=item,
                response=value,
                language=language,
                backend=backend,
            )
    except LostRace:
        # another answer of this student moved mastery first, or a retry of this one graded
        # it: read again, and grade unless that retry has
        return _replay(backend, user=user, attempt_id=attempt_id, replayed=False)
    # every 100th answer: is the log large enough to re-fit the student model in the background?
    maybe_refit(backend, attempt_id=attempt_id)
    nxt = _next(backend, user, course, language)
    return AttemptResult(
        attempt_id=attempt_id,
        item_id=item.key,
        course_id=course.key,
        grade=grade_row,
        replayed=False,
        mastery=mastery,
        next_item=nxt,
    )


def _grade_and_record(
    s: Session,
    *,
    user: User,
    attempt_id: int,
    course: CourseVersion,
    item: ItemContent,
    response: str | list[str],
    language: str,
    backend: Backend,
) -> tuple[GradeRow, dict[str, float]]:
    """Grade; store the grade and move mastery (or queue the answer for a teacher). Reads
    first and writes last."""
    learned: LearnedGrader | None = None
    threshold = DEFAULT_REVIEW_THRESHOLD
    if item.item.type is ItemType.FREE_TEXT:
        learned = grader_for(s, course_id=course.id, data_dir=backend.settings.data_dir)
        threshold = review_threshold(course_content(s, course).settings)
    result, needs_review = grade(
        item.item, response, language, learned=learned, threshold=threshold
    )
    fields = {
        "attempt_id": attempt_id,
        "verdict": result.verdict.value,
        "score": result.score,
        "feedback": result.feedback,
        "grader": result.grader,
        "confidence": result.confidence,
        "provisional": needs_review,
        "details": result.details,
    }
    row = GradeRow(**fields)
    if needs_review:
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:  # a retry of this answer graded it first
            raise LostRace from exc
        reason = _review_reason(item.item, result, threshold, learned=learned is not None)
        s.add(ReviewRow(grade_id=row.id, reason=reason))
        s.flush()
        return row, mastery_for_item(s, user_id=user.id, item_id=item.id)
    plan = plan_mastery(
        s,
        user_id=user.id,
        concept_ids=[cid for cid, _ in item.concepts],
        score=result.score,
        forgetting=forgetting_for(backend.settings),
    )
    try:
        s.connection().execute(_INSERT_GRADE, fields)
    except IntegrityError as exc:  # a retry of this answer graded it first
        raise LostRace from exc
    record_mastery(s, user_id=user.id, changes=plan.changes)
    new = {ch.concept_id: ch.p_mastery for ch in plan.changes}
    return row, {key: new[cid] for cid, key in item.concepts}


def _next(backend: Backend, user: User, course: CourseVersion, language: str) -> Activity:
    """What comes next, read once the answer's grade and mastery are committed (a read of its
    own: the choice reads the student's state, and the write lock is not held meanwhile)."""
    with backend.transaction() as s:
        return next_in(s, settings=backend.settings, user=user, course=course, lang=language)


def _review_reason(item: Item, result: Grade, threshold: float, *, learned: bool) -> str:
    """Why a teacher is asked, as the review queue shows it."""
    if item.type is not ItemType.FREE_TEXT:
        return f"the rule grader was unsure ({result.grader})"
    if not learned:
        return "free text awaits a teacher (no learned grader is active for this course)"
    if result.grader == PENDING_GRADER:
        return "free text awaits a teacher (the learned grader failed; see the server log)"
    return (
        f"the learned grader's confidence {result.confidence:.2f} is below the course's "
        f"review threshold {threshold:.2f}"
    )


def _replay(backend: Backend, *, user: User, attempt_id: int, replayed: bool) -> AttemptResult:
    """The result of a stored answer; grades it if that has not happened yet."""
    for n in range(MASTERY_RETRIES):
        if n:  # let the answer that got in first finish; jitter keeps retries apart
            time.sleep(random.uniform(0, 0.001 * 2**n))
        try:
            with backend.transaction() as s:
                result = _replay_in(
                    s, user=user, attempt_id=attempt_id, replayed=replayed, backend=backend
                )
            return AttemptResult(
                attempt_id=result.attempt_id,
                item_id=result.item_id,
                course_id=result.course_id,
                grade=result.grade,
                replayed=result.replayed,
                mastery=result.mastery,
                next_item=_next(backend, user, result.course, result.language),
            )
        except LostRace:
            continue
    raise ConflictError(
        "your answer was saved but could not be graded because other answers of yours "
        "arrived at the same moment; send it again with the same idempotency key"
    )


@dataclass(frozen=True)
class _Replayed:
    attempt_id: int
    item_id: str
    course_id: str
    grade: GradeRow
    replayed: bool
    mastery: dict[str, float]
    course: CourseVersion
    language: str


def _replay_in(
    s: Session, *, user: User, attempt_id: int, replayed: bool, backend: Backend
) -> _Replayed:
    attempt = s.get(AttemptRow, attempt_id)
    assert attempt is not None
    item = item_content_by_id(s, attempt.item_id)
    course = s.get(CourseRow, item.row.course_id)
    assert course is not None
    grade_row = s.scalar(
        select(GradeRow).where(GradeRow.attempt_id == attempt_id).order_by(GradeRow.id.desc())
    )
    if grade_row is None:
        grade_row, mastery = _grade_and_record(
            s,
            user=user,
            attempt_id=attempt_id,
            course=course,
            item=item,
            response=attempt.response["value"],
            language=attempt.language,
            backend=backend,
        )
    else:
        mastery = mastery_for_item(s, user_id=user.id, item_id=item.id)
    return _Replayed(
        attempt_id=attempt_id,
        item_id=item.key,
        course_id=course.key,
        grade=grade_row,
        replayed=replayed,
        mastery=mastery,
        course=CourseRef(course.id, course.key, course.updated_at),
        language=attempt.language,
    )
