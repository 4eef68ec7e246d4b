"""A new installation starts from BKT priors fitted on public data, with an honest range."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learnloop.errors import InvalidInputError
from learnloop.tracing import (
    BKT,
    FittedMastery,
    InteractionLog,
    Record,
    RunningEstimate,
    TracerMastery,
    make_model,
)
from learnloop.tracing import priors as priors_module
from learnloop.tracing.base import beta_interval
from learnloop.tracing.bkt import PARAMS
from learnloop.tracing.live import PRIOR_MODEL, prior_mastery
from learnloop.tracing.priors import DEFAULT_PRIORS, available, load_priors
from learnloop.tracing.simulate import simulate_bkt


def test_the_shipped_priors_load_with_their_provenance() -> None:
    assert {"bkt-assist2009", "bkt-assist2015"} <= set(available())
    shipped = load_priors()
    assert shipped.name == DEFAULT_PRIORS
    p = shipped.params
    assert set(p) == set(PARAMS)
    assert 0.2 < p["prior"] < 0.9
    assert 0.01 < p["learn"] < 0.5
    assert p["forget"] == 0.0
    assert 0.05 < p["guess"] < 0.45 and 0.05 < p["slip"] < 0.45
    assert p["guess"] + p["slip"] < 1  # a right answer is evidence of mastery
    assert shipped.provenance["responses"] > 100_000 and shipped.provenance["fold"] == 1
    assert "ASSISTments" in shipped.provenance["dataset"]
    # measured on held-out students: better than the running estimate it replaces
    running = shipped.raw["baseline_held_out"]["running"]
    assert shipped.held_out["log_loss"] < running["log_loss"]


def test_a_new_concept_starts_at_the_shipped_prior() -> None:
    live = FittedMastery()  # nothing fitted on this platform yet
    assert live.name == PRIOR_MODEL
    state = live.initial_state("42")
    assert live.p_mastery(state) == pytest.approx(load_priors().params["prior"])
    assert live.confidence(state) == 0.0
    # every concept alike: nothing is known about one more than another
    assert live.p_mastery(live.initial_state("7")) == live.p_mastery(state)


def test_one_answer_moves_mastery_less_than_the_running_estimate_did() -> None:
    live = prior_mastery()
    start = live.initial_state("1")
    up, down = live.update(start, 1.0), live.update(start, 0.0)
    assert live.p_mastery(down) < live.p_mastery(start) < live.p_mastery(up)
    old = RunningEstimate()
    old_jump = old.p_mastery(old.update(old.initial_state(), 1.0)) - old.prior  # 0.3 -> 0.58
    assert live.p_mastery(up) - live.p_mastery(start) < old_jump
    # a partly right answer lands in between
    half = live.update(start, 0.5)
    assert live.p_mastery(down) < live.p_mastery(half) < live.p_mastery(up)


def test_the_interval_narrows_with_answers_and_holds_the_estimate() -> None:
    live = prior_mastery()
    state = live.initial_state("1")
    widths = []
    for score in [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        lo, hi = live.interval(state)
        assert 0.0 <= lo <= live.p_mastery(state) <= hi <= 1.0
        widths.append(hi - lo)
        state = live.update(state, score)
    lo, hi = live.interval(state)
    widths.append(hi - lo)
    assert widths[0] > 0.5  # before any answer, most of the range is plausible
    assert widths[-1] < 0.4
    # at the same estimate, more answers leave less room
    spans = [hi - lo for lo, hi in (beta_interval(0.5, n) for n in (0, 1, 5, 20, 100))]
    assert spans == sorted(spans, reverse=True) and spans[-1] < 0.15
    assert beta_interval(1.0, 3)[1] == 1.0 and beta_interval(0.0, 3)[0] == 0.0


def test_every_live_model_has_an_interval() -> None:
    log, _ = simulate_bkt(n_students=100, n_skills=2, length=10, random_state=3)
    tracer = TracerMastery(make_model("pfa").fit(log))
    state = tracer.update(tracer.initial_state("k0"), 1.0)
    lo, hi = tracer.interval(state)
    assert lo <= tracer.p_mastery(state) <= hi
    running = RunningEstimate()
    assert running.interval(running.initial_state())[0] < running.prior
    # FittedMastery forwards it to the model it serves
    live = FittedMastery()
    first = live.initial_state("1")
    assert live.interval(first) == prior_mastery().interval(first)


def test_priors_serve_every_concept_through_save_and_load(tmp_path: Path) -> None:
    model = load_priors().model()
    again = BKT.load(model.save(tmp_path / "prior"))
    for skill in ("1", "anything", None):
        assert again.params_of(skill) == pytest.approx(load_priors().params)
    # concepts the model never saw keep chains of their own in batch prediction too: three
    # wrong answers on one leave the first answer on another at the prior
    log = InteractionLog.from_records(
        [Record("s", f"i{t}", ("a",), 0) for t in range(3)] + [Record("s", "i9", ("b",), 1)]
    )
    p = again.params_of(None)
    at_prior = p["prior"] * (1 - p["slip"]) + (1 - p["prior"]) * p["guess"]
    proba = again.predict_proba(log)
    assert proba[3] == pytest.approx(at_prior) and proba[2] < proba[1] < proba[0] == proba[3]


def test_broken_or_missing_priors_say_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInputError, match="no shipped tracing priors 'nope'; available"):
        load_priors("nope")
    monkeypatch.setattr(priors_module, "PRIORS_DIR", tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"model": "bkt", "params": {"prior": 2}}))
    load_priors.cache_clear()
    try:
        with pytest.raises(InvalidInputError, match=r"not a BKT prior.*prior, learn"):
            load_priors("bad")
    finally:
        load_priors.cache_clear()
