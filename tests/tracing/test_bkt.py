"""BKT: recovers the parameters it was simulated with, and predicts online as in batch."""

from __future__ import annotations

import numpy as np
import pytest

from learnloop.errors import NotFittedError
from learnloop.tracing import BKT, InteractionLog, Record, Response
from learnloop.tracing.evaluate import metrics
from learnloop.tracing.simulate import BKTTruth, simulate_bkt


def test_recovers_simulated_parameters() -> None:
    truth = BKTTruth(
        prior=np.array([0.2, 0.5, 0.3]),
        learn=np.array([0.15, 0.08, 0.25]),
        guess=np.array([0.2, 0.25, 0.1]),
        slip=np.array([0.1, 0.05, 0.15]),
    )
    log, _ = simulate_bkt(n_students=1500, n_skills=3, length=25, truth=truth, random_state=1)
    model = BKT().fit(log)
    order = [int(np.flatnonzero(model.skills_ == f"k{k}")[0]) for k in range(3)]
    for name in ("prior", "learn", "guess", "slip"):
        fitted = getattr(model, f"{name}_")[order]
        np.testing.assert_allclose(fitted, getattr(truth, name), atol=0.05, err_msg=name)
    assert np.all(model.forget_ == 0.0)


def test_predicts_held_out_students_well(bkt_log: InteractionLog) -> None:
    students = np.unique(bkt_log.student)
    train = bkt_log.select_students(students[:300])
    test = bkt_log.select_students(students[300:])
    p = BKT().fit(train).predict_proba(test)
    assert metrics(test.correct, p)["auc"] > 0.7


def test_online_updates_match_batch_predictions(bkt_log: InteractionLog) -> None:
    model = BKT(forgets=True).fit(bkt_log)
    batch = model.predict_proba(bkt_log)
    for code in (0, 5):
        state = model.initial_state()
        for i in np.flatnonzero(bkt_log.student == code):
            response = bkt_log.response(i)
            p = model.predict_next(state, skills=response.skills, item=response.item)
            assert p == pytest.approx(batch[i], abs=1e-12)
            state = model.update(state, response)


def test_update_does_not_mutate_the_state(bkt_log: InteractionLog) -> None:
    model = BKT().fit(bkt_log)
    state = model.update(model.initial_state(), Response(skills=("k0",), correct=1))
    copy = {"p": dict(state["p"])}
    model.update(state, Response(skills=("k0", "k1"), correct=0))
    assert state == copy


def test_bounds_hold_on_degenerate_data() -> None:
    """All-correct and all-wrong skills would push guess or slip to the edges unbounded."""
    records = [
        Record(student=f"s{s}", item=None, skills=(skill,), correct=label)
        for s in range(30)
        for skill, label in (("easy", 1), ("hard", 0))
        for _ in range(5)
    ]
    model = BKT(forgets=True, n_init=3, random_state=0).fit(InteractionLog.from_records(records))
    for name in ("prior", "learn", "forget", "guess", "slip"):
        lo, hi = getattr(model, f"{name}_bounds")
        values = getattr(model, f"{name}_")
        assert np.all((values >= lo) & (values <= hi)), name
        assert np.all(np.isfinite(values))


def test_unseen_skill_uses_median_parameters(bkt_log: InteractionLog) -> None:
    model = BKT().fit(bkt_log)
    p = model.predict_next(model.initial_state(), skills=["never-seen"])
    assert 0.0 < p < 1.0
    assert model.params_of("never-seen")["learn"] == pytest.approx(np.median(model.learn_))


def test_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        BKT().predict_next({}, skills=["k0"])


def test_multi_skill_product_is_below_mean(bkt_log: InteractionLog) -> None:
    mean = BKT().fit(bkt_log)
    product = BKT(multi_skill="product").fit(bkt_log)
    state = mean.initial_state()
    assert product.predict_next(state, skills=["k0", "k1"]) < mean.predict_next(
        state, skills=["k0", "k1"]
    )


def test_forgetting_is_learnt_when_enabled() -> None:
    """Students who forget: a known skill is lost again with probability 0.2 per step."""
    rng = np.random.default_rng(0)
    records = []
    for s in range(400):
        known = False
        for _ in range(20):
            p = 0.9 if known else 0.15
            records.append(
                Record(student=f"s{s}", item=None, skills=("k",), correct=int(rng.random() < p))
            )
            known = rng.random() < (0.8 if known else 0.3)
    log = InteractionLog.from_records(records)
    assert BKT(forgets=True).fit(log).forget_[0] == pytest.approx(0.2, abs=0.07)
    assert BKT().fit(log).forget_[0] == 0.0
