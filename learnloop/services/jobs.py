"""Background jobs: training runs for minutes, so it runs beside the request that asked for it.

Kinds (``HANDLERS``): ``grader.retrain`` (a course's free-text grader) and ``kt_fit`` (the
live student model, re-fitted on the platform's log; ``services.tracing.maybe_refit``).

A job is a row in ``jobs`` (kind, parameters, status, progress, result or error) that clients
poll. Where it runs depends on the settings:

- no ``LEARNLOOP_REDIS_URL`` (one machine, the default): in a thread of the process that
  started it, one job at a time per process, since training uses every core it gets;
- with ``LEARNLOOP_REDIS_URL``: on an RQ queue (``LEARNLOOP_REDIS_QUEUE``) that
  ``learnloop worker`` processes consume, on this machine or others sharing the database
  and the data folder. Only the job's id goes through Redis; the worker reads the rest from
  the database, so no student data or credential is ever stored in Redis.

Either way the row says how far the job got, and a job is run at most once: a worker starts
it only if it is still queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from learnloop.errors import ConfigurationError, LearnloopError, MissingExtraError, NotFoundError
from learnloop.services.context import Backend
from learnloop.storage.tables import JobRow, JobStatus, Role, User, utcnow

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Handler = Callable[[Backend, dict[str, Any], Progress], dict[str, Any]]

JOB_TIMEOUT = 24 * 3600
"""Seconds an RQ worker lets one job run (fine-tuning a large set on a CPU takes hours)."""
PROGRESS_INTERVAL = 1.0
"""Seconds between progress writes; the last one always goes through."""


def _retrain(backend: Backend, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """``params``: ``course_id``; optional ``kind``, ``params`` (hyper-parameters),
    ``base_data`` and ``base_test`` (paths of answer files the worker can read)."""
    from learnloop.services.retrain import retrain_grader
    from learnloop.training.datafiles import read_answers

    data = {
        name: read_answers(params[name]) if params.get(name) else None
        for name in ("base_data", "base_test")
    }
    report = retrain_grader(
        backend,
        params["course_id"],
        base_data=data["base_data"],
        base_test=data["base_test"],
        kind=params.get("kind"),
        params=params.get("params") or None,
        created_by=params.get("created_by"),
        progress=progress,
    )
    return report.as_dict()


def _kt_fit(backend: Backend, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Re-fit the live knowledge-tracing model on the platform's log and rebuild every
    estimate with it, then the forgetting model (``services.forgetting``), which keeps FSRS
    or the time decay by held-out log-loss (``services.tracing.maybe_refit`` starts it;
    ``params`` only record the log's size then)."""
    from learnloop.services.forgetting import fit_forgetting
    from learnloop.services.tracing import fit_report_dict, refit_live

    progress(0.0, f"fitting the student model on {params.get('answers', 'the')} answers")
    result = fit_report_dict(refit_live(backend))
    progress(0.7, "fitting the forgetting model on the answers' times")
    result["forgetting"] = fit_forgetting(backend).summary()
    return result


HANDLERS: dict[str, Handler] = {"grader.retrain": _retrain, "kt_fit": _kt_fit}
"""What each kind of job runs: ``handler(backend, params, progress) -> result``."""


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    status: str
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any]
    error: str
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: JobRow) -> JobView:
        return cls(
            id=row.id,
            kind=row.kind,
            status=row.status.value,
            progress=row.progress,
            message=row.message,
            params=dict(row.params or {}),
            result=dict(row.result or {}),
            error=row.error,
            created_by=row.created_by_id,
            created_at=row.created_at,
            started_at=row.started_at,
            updated_at=row.updated_at,
            finished_at=row.finished_at,
        )


def create_job(
    backend: Backend, *, kind: str, params: dict[str, Any], created_by: int | None
) -> int:
    """Store a queued job without starting it."""
    if kind not in HANDLERS:
        raise NotFoundError(f"no job kind {kind!r}; known: {', '.join(HANDLERS)}")
    with backend.transaction() as s:
        row = JobRow(
            kind=kind,
            status=JobStatus.QUEUED,
            params=params,
            created_by_id=created_by,
            message="waiting to start",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return row.id


def start_job(
    backend: Backend, *, kind: str, params: dict[str, Any], created_by: int | None
) -> JobView:
    """Store a job and hand it to the runner the settings choose (see the module docstring)."""
    job_id = create_job(backend, kind=kind, params=params, created_by=created_by)
    if backend.settings.redis_url:
        try:
            enqueue(backend, job_id)
        except LearnloopError as exc:
            _finish(backend, job_id, error=exc.message)
            raise
    else:
        thread = threading.Thread(
            target=_run_in_thread, args=(backend, job_id), name=f"job-{job_id}", daemon=True
        )
        with _threads_lock:
            _threads.add(thread)
        thread.start()
    return get_job_view(backend, job_id)


_one_at_a_time = threading.Semaphore(1)
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def _run_in_thread(backend: Backend, job_id: int) -> None:
    try:
        with _one_at_a_time:
            execute(backend, job_id)
    except Exception:  # recorded on the job row; a thread has no one else to tell
        log.exception("job %s failed", job_id)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


def wait_for_threads(timeout: float = 60.0) -> bool:
    """Wait until this process's job threads have finished (before closing the database
    they write to); False if some are still running after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with _threads_lock:
            running = list(_threads)
        if not running:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        running[0].join(remaining)


def execute(backend: Backend, job_id: int, *, echo: Progress | None = None) -> JobView:
    """Run a queued job here and now, recording its progress, result or error; ``echo``
    also hears every progress report (the CLI's progress bar)."""
    with backend.transaction() as s:
        claimed = (
            s.connection()
            .execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    started_at=utcnow(),
                    updated_at=utcnow(),
                    message="started",
                )
            )
            .rowcount
        )
        row = s.get(JobRow, job_id)
        if row is None:
            raise NotFoundError(f"no job with id {job_id}")
        kind, params = row.kind, dict(row.params or {})
    if claimed != 1:  # already run, or running elsewhere
        return get_job_view(backend, job_id)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        if echo is not None:
            echo(fraction, message)
        now = time.monotonic()
        if fraction < 1.0 and now - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = now
        with backend.transaction() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(
                    progress=max(0.0, min(1.0, fraction)),
                    message=message[:2000],
                    updated_at=utcnow(),
                )
            )

    try:
        result = HANDLERS[kind](backend, params, progress)
    except LearnloopError as exc:
        _finish(backend, job_id, error=exc.message)
        raise
    except Exception as exc:
        _finish(backend, job_id, error=f"unexpected {type(exc).__name__}: {exc}")
        raise
    _finish(backend, job_id, result=result)
    return get_job_view(backend, job_id)


def _finish(
    backend: Backend, job_id: int, *, result: dict[str, Any] | None = None, error: str = ""
) -> None:
    with backend.transaction() as s:
        s.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                status=JobStatus.FAILED if error else JobStatus.SUCCEEDED,
                progress=1.0,
                result=result or {},
                error=error,
                message="failed" if error else str((result or {}).get("reason", "done"))[:2000],
                finished_at=utcnow(),
                updated_at=utcnow(),
            )
        )


def get_job_view(backend: Backend, job_id: int) -> JobView:
    with backend.transaction() as s:
        row = s.get(JobRow, job_id)
        if row is None:
            raise NotFoundError(f"no job with id {job_id}")
        return JobView.of(row)


def check_job(backend: Backend, actor: User, job_id: int) -> JobView:
    """The job if ``actor`` started it or is an admin; anyone else gets not found."""
    with backend.transaction() as s:
        row = s.get(JobRow, job_id)
        if row is None or (actor.role is not Role.ADMIN and row.created_by_id != actor.id):
            raise NotFoundError(f"no job with id {job_id}")
        return JobView.of(row)


# --- RQ -----------------------------------------------------------------------------------


def _rq() -> Any:
    try:
        import redis
        import rq
    except ImportError:
        raise MissingExtraError("running jobs on a Redis queue", "queue", "rq") from None
    return redis, rq


def redis_connection(url: str) -> Any:
    redis, _ = _rq()
    try:
        conn = redis.Redis.from_url(url, socket_connect_timeout=5)
        conn.ping()
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot reach Redis at LEARNLOOP_REDIS_URL ({exc}); start Redis, fix the URL, or "
            "unset LEARNLOOP_REDIS_URL to run jobs in the server process"
        ) from None
    return conn


def queue(backend: Backend) -> Any:
    _, rq = _rq()
    settings = backend.settings
    return rq.Queue(settings.redis_queue, connection=redis_connection(settings.redis_url))


def enqueue(backend: Backend, job_id: int) -> None:
    queue(backend).enqueue_call(
        run_job, args=(job_id,), timeout=JOB_TIMEOUT, description=f"learnloop job {job_id}"
    )


def run_job(job_id: int) -> None:
    """The RQ entry point: a worker runs the job with its own settings (the same database
    and data folder as the servers)."""
    backend = Backend.open()
    try:
        execute(backend, job_id)
    finally:
        backend.close()


def work(backend: Backend, *, burst: bool = False, simple: bool = False) -> bool:
    """Consume the job queue (``learnloop worker``); returns whether any job ran."""
    _, rq = _rq()
    if not backend.settings.redis_url:
        raise ConfigurationError(
            "learnloop worker needs LEARNLOOP_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
            "without it, jobs run inside the server process and need no worker"
        )
    q = queue(backend)
    worker_class = rq.SimpleWorker if simple else rq.Worker
    worker = worker_class([q], connection=q.connection)
    return bool(worker.work(burst=burst, logging_level="INFO"))
