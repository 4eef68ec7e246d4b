"""Knowledge-tracing use cases: the platform's own response log, and re-fitting from it.

Until the platform has a model fitted on its own answers, the live model is BKT over priors
fitted on public data (``tracing.priors``). ``maybe_refit``, called after every stored
answer, starts that fit in the background once the log is large enough
(``FIRST_FIT_ANSWERS``), and again each time it has grown by ``REFIT_GROWTH``.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from learnloop.errors import InvalidInputError, LearnloopError
from learnloop.services.context import Backend
from learnloop.storage.tables import (
    AttemptRow,
    CourseRow,
    GradeRow,
    ItemConceptRow,
    ItemRow,
    JobRow,
    JobStatus,
    MasteryRow,
    utcnow,
)
from learnloop.tracing import (
    MASTERED,
    MODELS,
    InteractionLog,
    MasteryModel,
    Record,
    make_model,
    model_dir,
)
from learnloop.tracing.io import CONFIG
from learnloop.tracing.live import mastery_model

log = logging.getLogger(__name__)

REFIT_JOB = "kt_fit"
"""The job kind that re-fits the live model on the platform's log (``services.jobs``)."""
REFIT_CHECK_EVERY = 100
"""``maybe_refit`` looks at the log only after every this many answers (by attempt id)."""
FIRST_FIT_ANSWERS = 500
"""Graded answers before the first fit on the platform's own log; until then the shipped
priors serve."""
REFIT_GROWTH = 1.5
"""Fit again once the log has grown to this multiple of what the live model was fitted on."""


def _graded(
    s: Session, *, include_provisional: bool = False
) -> Select[int, int, int, datetime, float]:
    """(attempt id, user id, item id, submitted at, score) of every graded answer by its
    latest grade, each student's in submission order."""
    latest = (
        select(GradeRow.attempt_id, func.max(GradeRow.id).label("gid"))
        .group_by(GradeRow.attempt_id)
        .subquery()
    )
    q = (
        select(
            AttemptRow.id,
            AttemptRow.user_id,
            AttemptRow.item_id,
            AttemptRow.submitted_at,
            GradeRow.score,
        )
        .join(latest, latest.c.attempt_id == AttemptRow.id)
        .join(GradeRow, GradeRow.id == latest.c.gid)
        .order_by(AttemptRow.user_id, AttemptRow.submitted_at, AttemptRow.id)
    )
    if not include_provisional:
        q = q.where(GradeRow.provisional.is_(False))
    return q


def build_log(
    s: Session, *, course: str | None = None, include_provisional: bool = False
) -> InteractionLog:
    """Every graded attempt as a response log, each student's in submission order.

    Students are user ids, items and skills are database ids (the ids the live mastery
    rows use); the latest grade of an attempt counts, a score of 0.5 or more is correct.
    Provisional grades (awaiting a teacher) are left out unless ``include_provisional``;
    items with no concept cannot be traced and are left out.
    """
    q = _graded(s, include_provisional=include_provisional)
    concepts = select(ItemConceptRow.item_id, ItemConceptRow.concept_id).order_by(
        ItemConceptRow.item_id, ItemConceptRow.position
    )
    if course is not None:
        course_id = s.scalar(select(CourseRow.id).where(CourseRow.key == course))
        if course_id is None:
            raise InvalidInputError(f"no course with id {course!r}")
        q = q.join(ItemRow, ItemRow.id == AttemptRow.item_id).where(ItemRow.course_id == course_id)
        concepts = concepts.join(ItemRow, ItemRow.id == ItemConceptRow.item_id).where(
            ItemRow.course_id == course_id
        )
    skills: dict[int, list[str]] = {}
    for item_id, concept_id in s.execute(concepts):
        skills.setdefault(item_id, []).append(str(concept_id))
    records = [
        Record(
            student=str(user_id),
            item=str(item_id),
            skills=tuple(skills[item_id]),
            correct=int(score >= 0.5),
        )
        for _, user_id, item_id, _, score in s.execute(q)
        if item_id in skills
    ]
    return InteractionLog.from_records(records, merge_repeats=False)


@dataclass(frozen=True)
class FitReport:
    model: str
    path: Path
    responses: int
    students: int
    skills: int
    seconds: float
    retraced: int | None = None
    """Mastery rows rebuilt with the new model; ``None`` when it is not the live model."""

    def summary(self) -> str:
        text = (
            f"fitted {self.model} on {self.responses:,} responses of {self.students:,} "
            f"students ({self.skills:,} concepts) in {self.seconds:.1f}s; saved to {self.path}"
        )
        if self.retraced is None:
            return text + (
                f"\nnot the live model: set LEARNLOOP_TRACING_MODEL={self.path.name} to serve it"
            )
        return text + f"\nthe live model now; {self.retraced:,} mastery estimates rebuilt with it"


def retrace(backend: Backend, model: MasteryModel) -> int:
    """Rebuild every student's mastery estimates by replaying their graded answers through
    ``model``, so estimates made by an earlier model do not linger after a re-fit. One
    transaction per student; returns how many estimates were written.

    Replays what the answer loop does: every non-provisional grade moves the estimate of
    each concept of its item, in submission order, and the forgetting model's memory of it
    (at the time the answer was given).
    """
    from learnloop.services.progress import forgetting_for

    forgetting = forgetting_for(backend.settings)
    with backend.transaction() as s:
        users = list(s.scalars(select(AttemptRow.user_id).distinct().order_by(AttemptRow.user_id)))
    written = 0
    for user_id in users:
        with backend.transaction() as s:
            q = (
                _graded(s)
                .where(AttemptRow.user_id == user_id)
                .add_columns(ItemConceptRow.concept_id)
                .join(ItemConceptRow, ItemConceptRow.item_id == AttemptRow.item_id)
            )
            states: dict[int, tuple[dict[str, Any], int, dict[str, Any]]] = {}
            for _, _, _, at, score, concept_id in s.execute(q):
                state, n, memory = states.get(concept_id) or (
                    model.initial_state(str(concept_id)),
                    0,
                    {},
                )
                state = model.update(state, float(score))
                memory = forgetting.update(
                    memory, float(score), at, p_mastery=model.p_mastery(state), mastered=MASTERED
                )
                states[concept_id] = (state, n + 1, memory)
            s.execute(delete(MasteryRow).where(MasteryRow.user_id == user_id))
            now = utcnow()
            for concept_id, (state, n, memory) in states.items():
                s.add(
                    MasteryRow(
                        user_id=user_id,
                        concept_id=concept_id,
                        state=state,
                        p_mastery=model.p_mastery(state),
                        confidence=model.confidence(state),
                        attempts=n,
                        model=model.name,
                        memory=memory,
                        updated_at=now,
                    )
                )
            written += len(states)
    return written


def fit_from_database(
    backend: Backend,
    *,
    model: str = "bkt",
    name: str | None = None,
    course: str | None = None,
    params: dict[str, Any] | None = None,
    include_provisional: bool = False,
) -> FitReport:
    """Fit ``model`` on the platform's log and save it as ``<data_dir>/models/tracing/<name>``
    (``name`` defaults to the model's), where the live system's ``FittedMastery`` finds it."""
    estimator = make_model(model, **(params or {}))
    with backend.transaction() as s:
        log = build_log(s, course=course, include_provisional=include_provisional)
    if len(log) == 0:
        raise InvalidInputError(
            "there are no graded answers to fit on yet"
            + (f" in course {course!r}" if course else "")
            + "; students need to answer some items first"
        )
    estimator.fit(log)
    name = name or model
    path = estimator.save(model_dir(name, backend.settings.data_dir))
    info = estimator.info_
    live = name == backend.settings.tracing_model
    return FitReport(
        retraced=retrace(backend, mastery_model(estimator)) if live else None,
        model=model,
        path=path,
        responses=int(info["responses"]),
        students=int(info["students"]),
        skills=int(info["skills"]),
        seconds=float(info["fit_seconds"]),
    )


# --- background re-fit ----------------------------------------------------------------------


def count_answers(s: Session) -> int:
    """Graded answers the live model would be fitted on: what ``build_log`` keeps (latest
    grade final, item practising a concept), counted without reading them."""
    q = (
        _graded(s)
        .where(exists().where(ItemConceptRow.item_id == AttemptRow.item_id))
        .order_by(None)
        .subquery()
    )
    return int(s.scalar(select(func.count()).select_from(q)) or 0)


def fitted_answers(backend: Backend) -> int | None:
    """How many responses the live model saved on this platform was fitted on; ``None``
    while there is none (the shipped priors serve)."""
    path = model_dir(backend.settings.tracing_model, backend.settings.data_dir) / CONFIG
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return int((config.get("info") or {}).get("responses") or 0)


def refit_threshold(fitted: int | None) -> int:
    """Answers in the log at which the live model is (re-)fitted."""
    if fitted is None:
        return FIRST_FIT_ANSWERS
    return max(FIRST_FIT_ANSWERS, math.ceil(fitted * REFIT_GROWTH))


def _refit_pending(s: Session) -> bool:
    """Whether a re-fit is queued or running (one whose row has not moved for a job's
    whole time limit died with its process and counts no more)."""
    from learnloop.services.jobs import JOB_TIMEOUT

    alive = utcnow() - timedelta(seconds=JOB_TIMEOUT)
    return (
        s.scalar(
            select(JobRow.id)
            .where(
                JobRow.kind == REFIT_JOB,
                JobRow.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
                JobRow.updated_at > alive,
            )
            .limit(1)
        )
        is not None
    )


def maybe_refit(backend: Backend, *, attempt_id: int) -> bool:
    """Start a background re-fit of the live model if the log has grown enough; True if
    one was started. Cheap enough to call after every stored answer: it does nothing but
    arithmetic except after every ``REFIT_CHECK_EVERY``-th attempt, and counts the log only
    once the attempt ids could have reached the threshold. Never raises for a job that
    cannot be started (a student's answer must not fail for it); it logs instead.
    """
    if attempt_id <= 0 or attempt_id % REFIT_CHECK_EVERY:
        return False
    fitted = fitted_answers(backend)
    threshold = refit_threshold(fitted)
    if attempt_id < threshold:  # ids count every attempt, so the log cannot be larger
        return False
    with backend.transaction() as s:
        answers = count_answers(s)
        if answers < threshold or _refit_pending(s):
            return False
    from learnloop.services.jobs import start_job

    try:
        start_job(
            backend,
            kind=REFIT_JOB,
            params={"answers": answers, "fitted_answers": fitted, "attempt_id": attempt_id},
            created_by=None,
        )
    except LearnloopError as exc:
        log.warning("could not start the knowledge-tracing re-fit: %s", exc.message)
        return False
    return True


def refit_live(backend: Backend) -> FitReport:
    """Fit the live model (``LEARNLOOP_TRACING_MODEL``) again on the platform's log, as the
    model and hyper-parameters it was saved with (``bkt`` with its defaults the first time),
    and rebuild every estimate with it. What the ``kt_fit`` job runs."""
    name = backend.settings.tracing_model
    kind, params = (name if name in MODELS else "bkt"), None
    try:
        config = json.loads((model_dir(name, backend.settings.data_dir) / CONFIG).read_text())
    except (OSError, json.JSONDecodeError):
        config = None
    if config and config.get("model") in MODELS:
        kind = config["model"]
        params = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in (config.get("hyperparameters") or {}).items()
        }
    return fit_from_database(backend, model=kind, name=name, params=params)


def fit_report_dict(report: FitReport) -> dict[str, Any]:
    """A job's result: the report as JSON, with its summary as the reason."""
    return {**asdict(report), "path": str(report.path), "reason": report.summary()}
