"""Fitted models behind the live system: from the platform's log to mastery per concept."""

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
from learnloop.storage.tables import AttemptRow, ConceptRow, GradeRow, ItemRow, MasteryRow, User
from learnloop.tracing import (
    BKT,
    BKTMastery,
    FittedMastery,
    TracerMastery,
    make_model,
    model_dir,
)
from learnloop.tracing.live import PRIOR_MODEL
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
    assert live.name == PRIOR_MODEL  # nothing fitted here yet: the shipped priors serve
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
    assert "not the live model: set LEARNLOOP_TRACING_MODEL=mine" in result.output
    assert (model_dir("mine", backend.settings.data_dir) / "config.json").is_file()


def test_refitting_the_live_model_rebuilds_every_estimate(
    backend: Backend, tiny_pack: Path
) -> None:
    """Estimates made before the fit are replaced by the fitted model's, replayed
    from each student's graded answers; provisional grades do not count."""
    concepts = _answers(backend, tiny_pack)
    report = fit_from_database(backend, model="bkt")
    assert report.retraced == 20  # 10 students x 2 concepts
    assert "20 mastery estimates rebuilt" in report.summary()
    model = BKT.load(report.path)
    live = BKTMastery(model)
    with backend.transaction() as s:
        rows = {(r.user_id, r.concept_id): r for r in s.scalars(select(MasteryRow))}
        first = s.scalar(select(User.id).where(User.username == "student0"))
    assert {r.model for r in rows.values()} == {"bkt"}
    halves = concepts["halves"]
    # student0's answers on halves: q1 wrong, q3 provisional (skipped), q1 wrong
    state = live.initial_state(str(halves))
    for score in (0.0, 0.0):
        state = live.update(state, score)
    row = rows[(first, halves)]
    assert row.attempts == 2
    assert row.p_mastery == pytest.approx(live.p_mastery(state))
    assert row.confidence == pytest.approx(2 / 5)


def test_any_fitted_model_serves_mastery_per_concept(backend: Backend, tiny_pack: Path) -> None:
    _answers(backend, tiny_pack)
    fit_from_database(backend, model="pfa", name="bkt")  # served under the live name
    live = FittedMastery()
    assert isinstance(live.current(), TracerMastery) and live.name == "pfa"


@pytest.mark.parametrize("name", ["pfa", "irt"])
def test_tracer_mastery_follows_the_answers(name: str) -> None:
    log, _ = simulate_bkt(n_students=200, n_skills=2, length=12, random_state=5)
    live = TracerMastery(make_model(name).fit(log))
    start = live.initial_state("k1")
    up, down = live.update(start, 1.0), live.update(start, 0.0)
    assert live.p_mastery(down) < live.p_mastery(start) < live.p_mastery(up)
    assert live.confidence(start) == 0.0 and live.confidence(up) == pytest.approx(0.25)
    # a state left by another model (the running estimate) starts afresh instead of failing
    assert live.p_mastery(live.update({"p": 0.9, "n": 4}, 1.0)) == pytest.approx(
        live.p_mastery(live.update(live.initial_state(), 1.0))
    )


def test_a_broken_model_directory_is_reported(backend: Backend) -> None:
    path = model_dir("bkt", backend.settings.data_dir)
    path.mkdir(parents=True)
    (path / "config.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="not a saved tracing model"):
        FittedMastery().current()


def test_the_tracing_model_setting_picks_the_served_model(
    backend: Backend, tiny_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answers(backend, tiny_pack)
    monkeypatch.setenv("LEARNLOOP_TRACING_MODEL", "pfa-live")
    from learnloop.settings import get_settings

    get_settings.cache_clear()
    fit_from_database(backend, model="bkt")
    assert FittedMastery().name == PRIOR_MODEL  # a model under another name is not served
    fit_from_database(
        Backend.open(get_settings(), check_schema=False), model="pfa", name="pfa-live"
    )
    assert FittedMastery().name == "pfa"


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
