"""The live student model is re-fitted on the platform's own log in the background, once
there are enough answers, and again as the log grows; never two re-fits at once."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from learnloop.errors import InvalidInputError
from learnloop.services import Backend, courses, jobs
from learnloop.services.tracing import (
    FIRST_FIT_ANSWERS,
    REFIT_GROWTH,
    REFIT_JOB,
    count_answers,
    fitted_answers,
    maybe_refit,
)
from learnloop.storage.tables import AttemptRow, GradeRow, ItemRow, JobRow, MasteryRow, User
from learnloop.tracing import BKTMastery, FittedMastery, model_dir
from learnloop.tracing.live import PRIOR_MODEL


class Log:
    """Students answering the tiny course's numeric and choice items, stored as the answer
    loop stores them (an attempt and its grade)."""

    def __init__(self, backend: Backend, pack: Path) -> None:
        self.backend = backend
        self.answers = 0
        with backend.transaction() as s:
            courses.import_path(s, path=pack)
            self.items = [i.id for i in s.scalars(select(ItemRow).where(ItemRow.key != "q3"))]

    def grow_to(self, total: int, *, per_student: int = 20) -> int:
        """Add answers until there are ``total``; returns the id of the last attempt."""
        start = datetime(2025, 1, 1, tzinfo=UTC)
        with self.backend.transaction() as s:
            while self.answers < total:
                if self.answers % per_student == 0:
                    user = User(username=f"student{self.answers // per_student}")
                    s.add(user)
                    s.flush()
                    self.user_id = user.id
                t = self.answers % per_student
                attempt = AttemptRow(
                    user_id=self.user_id,
                    item_id=self.items[t % len(self.items)],
                    submitted_at=start + timedelta(minutes=self.answers),
                )
                s.add(attempt)
                s.flush()
                right = (self.answers * 7) % 10 < 3 + t // 3  # better with practice
                s.add(
                    GradeRow(
                        attempt_id=attempt.id,
                        verdict="correct" if right else "incorrect",
                        score=float(right),
                        grader="rule",
                    )
                )
                self.answers += 1
            return int(s.scalar(select(func.max(AttemptRow.id))) or 0)


@pytest.fixture
def log(backend: Backend, tiny_pack: Path) -> Log:
    return Log(backend, tiny_pack)


def _refits(backend: Backend) -> list[JobRow]:
    with backend.transaction() as s:
        return list(s.scalars(select(JobRow).where(JobRow.kind == REFIT_JOB)))


def test_below_the_threshold_nothing_is_started(backend: Backend, log: Log) -> None:
    last = log.grow_to(FIRST_FIT_ANSWERS - 100)
    assert last % 100 == 0
    assert maybe_refit(backend, attempt_id=last) is False
    assert maybe_refit(backend, attempt_id=last - 1) is False  # not a checking point
    assert _refits(backend) == []
    assert not model_dir("bkt", backend.settings.data_dir).exists()
    assert FittedMastery().name == PRIOR_MODEL  # the shipped priors still serve


def test_enough_answers_start_a_fit_that_the_live_model_serves(backend: Backend, log: Log) -> None:
    live = FittedMastery()
    assert live.name == PRIOR_MODEL
    last = log.grow_to(FIRST_FIT_ANSWERS + 100)
    with backend.transaction() as s:
        assert count_answers(s) == FIRST_FIT_ANSWERS + 100
    assert maybe_refit(backend, attempt_id=last) is True
    assert jobs.wait_for_threads(120)
    [job] = _refits(backend)
    assert job.status == "succeeded", job.error
    assert job.result["responses"] == FIRST_FIT_ANSWERS + 100
    assert (model_dir("bkt", backend.settings.data_dir) / "config.json").is_file()
    assert isinstance(live.current(), BKTMastery) and live.name == "bkt"
    assert fitted_answers(backend) == FIRST_FIT_ANSWERS + 100
    with backend.transaction() as s:  # every estimate rebuilt with the new model
        assert set(s.scalars(select(MasteryRow.model))) == {"bkt"}

    # the log has to grow by half before the next fit
    last = log.grow_to(int((FIRST_FIT_ANSWERS + 100) * REFIT_GROWTH) - 100)
    assert maybe_refit(backend, attempt_id=last) is False
    last = log.grow_to(int((FIRST_FIT_ANSWERS + 100) * REFIT_GROWTH))
    assert maybe_refit(backend, attempt_id=last) is True
    assert jobs.wait_for_threads(120)
    assert [j.status for j in _refits(backend)] == ["succeeded", "succeeded"]
    assert fitted_answers(backend) == int((FIRST_FIT_ANSWERS + 100) * REFIT_GROWTH)


def test_a_second_call_while_one_is_queued_starts_nothing(backend: Backend, log: Log) -> None:
    last = log.grow_to(FIRST_FIT_ANSWERS + 100)
    queued = jobs.create_job(backend, kind=REFIT_JOB, params={}, created_by=None)
    assert maybe_refit(backend, attempt_id=last) is False
    assert [j.id for j in _refits(backend)] == [queued]
    jobs.execute(backend, queued)  # once it has run, the next check may start another
    last = log.grow_to(int((FIRST_FIT_ANSWERS + 100) * REFIT_GROWTH))
    assert maybe_refit(backend, attempt_id=last) is True
    assert maybe_refit(backend, attempt_id=last) is False  # queued or running now
    assert jobs.wait_for_threads(120)
    assert len(_refits(backend)) == 2


def test_a_model_caught_half_written_keeps_the_last_one_serving(backend: Backend, log: Log) -> None:
    log.grow_to(100)
    jobs.execute(backend, jobs.create_job(backend, kind=REFIT_JOB, params={}, created_by=None))
    live = FittedMastery()
    assert live.name == "bkt"
    config = model_dir("bkt", backend.settings.data_dir) / "config.json"
    whole = config.read_text()
    config.write_text(whole[: len(whole) // 2])  # what a reader may see mid-write
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert live.name == "bkt" and live.p_mastery(live.initial_state("1")) > 0
    with pytest.raises(InvalidInputError, match="invalid JSON"):
        FittedMastery().current()  # nothing read before: the error says what is wrong
    config.write_text(whole)
    assert FittedMastery().name == "bkt"


def test_each_platform_serves_the_model_fitted_in_its_own_data_folder(
    tmp_path: Path, tiny_pack: Path
) -> None:
    """A backend opened with its own settings (the Python API, the benchmark's worlds) reads
    the model its re-fit saved, not whatever the process's settings point at."""
    from learnloop.services.progress import live_model
    from learnloop.settings import Settings

    def platform(name: str) -> Backend:
        b = Backend.open(
            Settings(
                database_url=f"sqlite:///{tmp_path / name}.db",
                data_dir=tmp_path / name,
                embedding_model="none",
            ),
            check_schema=False,
        )
        b.upgrade()
        return b

    fitted, fresh = platform("fitted"), platform("fresh")
    try:
        Log(fitted, tiny_pack).grow_to(200)
        jobs.execute(fitted, jobs.create_job(fitted, kind=REFIT_JOB, params={}, created_by=None))
        assert (model_dir("bkt", tmp_path / "fitted") / "config.json").is_file()
        with fitted.transaction() as s:
            assert live_model(s).name == "bkt"
            assert set(s.scalars(select(MasteryRow.model))) == {"bkt"}
        with fresh.transaction() as s:
            assert live_model(s).name == PRIOR_MODEL  # nothing fitted there
    finally:
        fitted.close()
        fresh.close()
