"""Background jobs: in a thread by default, on the real Redis queue with LEARNLOOP_REDIS_URL.

The job is a real (small) retraining: a TF-IDF grader for the tiny course's free-text item,
fitted on an answer file, so a job that "succeeds" has registered a working model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from learnloop.errors import ConfigurationError
from learnloop.services import Backend, courses, jobs
from learnloop.services.retrain import write_dataset
from learnloop.settings import Settings, get_settings
from learnloop.storage.tables import GraderModelRow, JobRow
from learnloop.training.examples import GradingDataset
from tests.freetext_data import BAD, GOOD, labelled

REDIS_URL = os.environ.get("LEARNLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}: {exc})"
    return None


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    path = tmp_path / "q3.jsonl"
    write_dataset(
        path, GradingDataset(labelled(GOOD[:8], "correct") + labelled(BAD[:8], "incorrect"))
    )
    return path


@pytest.fixture
def course(backend: Backend, tiny_pack: Path) -> str:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    return "tiny"


def _params(answers_file: Path) -> dict[str, object]:
    return {"course_id": "tiny", "kind": "tfidf", "base_data": str(answers_file)}


def _finished(backend: Backend, job_id: int, timeout: float = 60) -> jobs.JobView:
    deadline = time.monotonic() + timeout
    while True:
        view = jobs.get_job_view(backend, job_id)
        if view.status in ("succeeded", "failed") or time.monotonic() > deadline:
            return view
        time.sleep(0.05)


def _check_trained(backend: Backend, view: jobs.JobView) -> None:
    assert view.status == "succeeded", view.error
    assert view.progress == 1.0 and view.started_at and view.finished_at
    assert view.result["kept"] == "new"
    assert view.result["reason"] == "the course had no active grader to compare with"
    assert view.message == view.result["reason"]
    with backend.transaction() as s:
        model = s.get(GraderModelRow, view.result["model_id"])
        assert model is not None and model.active and model.kind == "tfidf"
        assert (backend.settings.data_dir / model.path / "config.json").is_file()


def test_a_job_runs_in_a_thread_without_redis(
    backend: Backend, course: str, answers_file: Path
) -> None:
    view = jobs.start_job(
        backend, kind="grader.retrain", params=_params(answers_file), created_by=None
    )
    assert view.status in ("queued", "running", "succeeded")
    assert jobs.wait_for_threads(60)
    _check_trained(backend, _finished(backend, view.id))


def test_a_job_runs_once(backend: Backend, course: str, answers_file: Path) -> None:
    job_id = jobs.create_job(
        backend, kind="grader.retrain", params=_params(answers_file), created_by=None
    )
    first = jobs.execute(backend, job_id)
    again = jobs.execute(backend, job_id)
    assert first.status == again.status == "succeeded"
    assert again.finished_at == first.finished_at
    with backend.transaction() as s:
        assert len(s.scalars(select(GraderModelRow)).all()) == 1


def test_an_unreachable_redis_fails_the_job_with_a_clear_error(
    backend: Backend, course: str, answers_file: Path
) -> None:
    settings = backend.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    remote = Backend(settings=settings, engine=backend.engine, sessions=backend.sessions)
    with pytest.raises(ConfigurationError, match="cannot reach Redis at LEARNLOOP_REDIS_URL"):
        jobs.start_job(remote, kind="grader.retrain", params=_params(answers_file), created_by=None)
    with backend.transaction() as s:
        job = s.scalars(select(JobRow)).one()
        assert job.status == "failed" and "cannot reach Redis" in job.error


@pytest.fixture
def on_redis(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Backend, dict[str, str]]]:
    """The backend's database with jobs going to a queue of its own on the real Redis; the
    environment a worker needs to reach the same database and data folder."""
    problem = _redis_problem()
    if problem:
        if os.environ.get("LEARNLOOP_TEST_REQUIRE_REDIS") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    env = {
        "LEARNLOOP_REDIS_URL": REDIS_URL,
        "LEARNLOOP_REDIS_QUEUE": f"test-{uuid.uuid4().hex[:12]}",
        "LEARNLOOP_DATABASE_URL": backend.settings.resolved_database_url,
        "LEARNLOOP_DATA_DIR": str(backend.settings.data_dir),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    remote = Backend(settings=Settings(), engine=backend.engine, sessions=backend.sessions)
    yield remote, env
    queue = jobs.queue(remote)
    queue.empty()
    queue.delete(delete_jobs=True)


@pytest.mark.redis
def test_a_job_on_the_redis_queue_waits_for_a_worker_and_is_run_by_it(
    on_redis: tuple[Backend, dict[str, str]], course: str, answers_file: Path
) -> None:
    remote, _ = on_redis
    view = jobs.start_job(
        remote, kind="grader.retrain", params=_params(answers_file), created_by=None
    )
    time.sleep(0.2)
    assert jobs.get_job_view(remote, view.id).status == "queued"  # no thread ran it
    assert jobs.queue(remote).count == 1
    assert jobs.work(remote, burst=True, simple=True) is True
    _check_trained(remote, jobs.get_job_view(remote, view.id))
    assert jobs.queue(remote).count == 0


@pytest.mark.redis
@pytest.mark.slow
def test_learnloop_worker_runs_queued_jobs_in_its_own_process(
    on_redis: tuple[Backend, dict[str, str]], course: str, answers_file: Path
) -> None:
    remote, env = on_redis
    view = jobs.start_job(
        remote, kind="grader.retrain", params=_params(answers_file), created_by=None
    )
    done = subprocess.run(
        [sys.executable, "-m", "learnloop", "worker", "--burst"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "ran the waiting jobs" in done.stdout
    _check_trained(remote, jobs.get_job_view(remote, view.id))


def test_learnloop_worker_without_redis_says_what_to_set(backend: Backend) -> None:
    with pytest.raises(ConfigurationError, match="learnloop worker needs LEARNLOOP_REDIS_URL"):
        jobs.work(backend, burst=True)
