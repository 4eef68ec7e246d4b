"""PFA and online IRT beat a constant prediction and match their online updates."""

from __future__ import annotations

import numpy as np
import pytest

from learnloop.tracing import PFA, InteractionLog, OnlineIRT, make_model
from learnloop.tracing.evaluate import metrics, scored


@pytest.mark.parametrize("name", ["pfa", "irt"])
def test_beats_a_constant_baseline(
    name: str, logistic_logs: tuple[InteractionLog, InteractionLog]
) -> None:
    train, test = logistic_logs
    p = make_model(name).fit(train).predict_proba(test)
    mask = scored(test)
    constant = np.full(mask.sum(), train.correct.mean())
    ours = metrics(test.correct[mask], p[mask])
    base = metrics(test.correct[mask], constant)
    assert ours["auc"] > 0.7
    assert ours["rmse"] < base["rmse"] - 0.02


@pytest.mark.parametrize("model", [PFA(), PFA(counts="linear", student_counts=False), OnlineIRT()])
def test_online_updates_match_batch_predictions(
    model: PFA | OnlineIRT, logistic_logs: tuple[InteractionLog, InteractionLog]
) -> None:
    train, test = logistic_logs
    model.fit(train)
    batch = model.predict_proba(test)
    for code in np.unique(test.student)[:3]:
        state = model.initial_state()
        for i in np.flatnonzero(test.student == code):
            response = test.response(i)
            p = model.predict_next(state, skills=response.skills, item=response.item)
            assert p == pytest.approx(batch[i], abs=1e-9)
            state = model.update(state, response)


def test_practice_on_a_skill_raises_pfa_predictions(
    logistic_logs: tuple[InteractionLog, InteractionLog],
) -> None:
    model = PFA().fit(logistic_logs[0])
    response = logistic_logs[0].response(0)
    state = model.initial_state()
    before = model.predict_next(state, skills=response.skills)
    for _ in range(5):
        state = model.update(state, response.__class__(skills=response.skills, correct=1))
    assert model.predict_next(state, skills=response.skills) > before
