"""The fitted BKT behind the live system: from the platform's log to mastery per concept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from learnloop.cli import cli
from learnloop.errors import InvalidInputError
from learnloop.services import Backend, courses
from learnloop.services.tracing import build_log, fit_from_database
from learnloop.storage.tables import AttemptRow, ConceptRow, GradeRow, ItemRow, User
from learnloop.tracing import BKT, BKTMastery, FittedMastery, RunningEstimate, model_dir
from learnloop.tracing.simulate import simulate_bkt


def _answers(backend: Backend, pack: Path) -> dict[str, int]:
    """Ten students answer q1 (halves), q2 (quarters) and q3 (both) in turn."""
    with backend.transaction() as s:
        courses.import_path(s, path=pack)
        items = {i.key: i.id for i in s.scalars(select(ItemRow))}
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for n in range(10):
            user = User(username=f"student{n}")
            s.add(user)
            s.flush()
            for t, key in enumerate(["q1", "q2", "q3", "q1", "q2"]):
                attempt = AttemptRow(
                    user_id=user.id, item_id=items[key], submitted_at=start + timedelta(minutes=t)
                )
                s.add(attempt)
                s.flush()
                score = float((n + t) % 3 != 0)
                s.add(
                    GradeRow(
                        attempt_id=attempt.id,
                        verdict="x",
                        score=score,
                        grader="rule",
                        provisional=key == "q3" and n == 0,
                    )
                )
        return {c.key: c.id for c in s.scalars(select(ConceptRow))}


def test_fit_from_the_database_and_serve_it_live(backend: Backend, tiny_pack: Path) -> None:
    concepts = _answers(backend, tiny_pack)
    with backend.transaction() as s:
        log = build_log(s, course="tiny")
    assert len(log) == 49  # one provisional grade left out
    multi = [log.skills_of(i) for i in range(len(log)) if len(log.skills_of(i)) > 1]
    assert multi[0] == (str(concepts["quarters"]), str(concepts["halves"]))

    live = FittedMastery("bkt")
    assert isinstance(live.current(), RunningEstimate)
    report = fit_from_database(backend, model="bkt")
    assert report.path == model_dir("bkt", backend.settings.data_dir)
    assert report.responses == 49 and report.skills == 2
    assert live.name == "bkt"
    halves = str(concepts["halves"])
    state = live.initial_state(halves)
    fitted = BKT.load(report.path)
    assert live.p_mastery(state) == pytest.approx(fitted.params_of(halves)["prior"])
    up = live.update(state, 1.0)
    down = live.update(state, 0.0)
    assert live.p_mastery(down) < live.p_mastery(state) < live.p_mastery(up)
    assert live.confidence(up) > live.confidence(state) == 0.0


def test_kt_fit_command(backend: Backend, tiny_pack: Path) -> None:
    _answers(backend, tiny_pack)
    result = CliRunner().invoke(cli, ["kt", "fit", "--model", "pfa", "--name", "mine"])
    assert result.exit_code == 0, result.output
    assert "fitted pfa on 49 responses of 10 students" in result.output
    assert (model_dir("mine", backend.settings.data_dir) / "config.json").is_file()


def test_fit_without_answers_says_so(backend: Backend) -> None:
    with pytest.raises(InvalidInputError, match="no graded answers"):
        fit_from_database(backend)


def test_mastery_adapter_matches_bkt_updates() -> None:
    log, _ = simulate_bkt(n_students=100, n_skills=2, length=10, random_state=3)
    model = BKT().fit(log)
    live = BKTMastery(model)
    state = live.initial_state("k0")
    student = model.initial_state()
    for score in (1, 0, 1, 1):
        state = live.update(state, score)
        from learnloop.tracing import Response

        student = model.update(student, Response(skills=("k0",), correct=score))
        assert live.p_mastery(state) == pytest.approx(model.p_known(student, "k0"))
    # a state written by the running estimate carries on
    assert 0 < live.p_mastery(live.update({"p": 0.3, "n": 2}, 1.0)) <= 1
