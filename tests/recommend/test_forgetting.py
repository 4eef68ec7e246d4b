"""The forgetting models: recall fades with time, practice makes it last, and the better model
is kept by held-out log-loss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from learnloop.recommend.forgetting import (
    FORGETTING,
    Event,
    live_forgetting,
    make_forgetting,
    save_forgetting,
    select_model,
)

T0 = datetime(2026, 9, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("name", sorted(FORGETTING))
def test_recall_fades_and_practice_makes_it_last(name: str) -> None:
    model = make_forgetting(name)
    once = model.update({}, 1.0, T0, p_mastery=0.9, mastered=0.8)
    assert model.recall(once, T0) == pytest.approx(1.0, abs=0.02)
    week = T0 + timedelta(days=7)
    assert model.recall(once, week) < model.recall(once, T0 + timedelta(days=1))
    # three spaced right answers: the same week later is recalled better
    thrice = once
    for day in (1, 3):
        thrice = model.update(thrice, 1.0, T0 + timedelta(days=day), p_mastery=0.9, mastered=0.8)
    assert model.recall(thrice, T0 + timedelta(days=10)) > model.recall(once, week)
    # due when recall reaches the threshold
    due = model.due(once, 0.7)
    assert due is not None and due > T0
    assert model.recall(once, due) == pytest.approx(0.7, abs=0.01)
    assert once["once"] and once["n"] == 1 and once["ok"] == 1
    assert model.recall_and_due(once, week, 0.7) == (model.recall(once, week), due)
    assert model.recall_and_due({}, week, 0.7) == (None, None)


@pytest.mark.parametrize("name", sorted(FORGETTING))
def test_a_wrong_answer_does_not_make_memory_last(name: str) -> None:
    model = make_forgetting(name)
    first = model.update({}, 1.0, T0, p_mastery=0.9, mastered=0.8)
    right = model.update(first, 1.0, T0 + timedelta(days=2), p_mastery=0.9, mastered=0.8)
    wrong = model.update(first, 0.0, T0 + timedelta(days=2), p_mastery=0.6, mastered=0.8)
    later = T0 + timedelta(days=6)
    assert model.recall(wrong, later) < model.recall(right, later)


def _synthetic(half_life_days: float, n: int, seed: int) -> list[list[Event]]:
    """Students whose recall halves every ``half_life_days`` after each answer."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = T0
        seq = []
        last = None
        for _ in range(6):
            t = t + timedelta(days=float(rng.exponential(3.0)))
            recall = 1.0 if last is None else 0.5 ** ((t - last).days / half_life_days)
            p = 0.2 + 0.7 * recall
            seq.append(Event(at=t, score=float(rng.random() < p)))
            last = t
        out.append(seq)
    return out


def test_the_selection_is_by_held_out_log_loss_and_saved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sel = select_model(_synthetic(4.0, 300, seed=1))
    assert set(sel.test_loss) == set(FORGETTING)
    assert sel.chosen == min(sel.test_loss, key=sel.test_loss.__getitem__)
    assert sel.test_answers >= 400
    # fitted: better than a coin on answers it never saw
    assert sel.test_loss[sel.chosen] < np.log(2)
    save_forgetting(sel, tmp_path)
    live = live_forgetting(tmp_path, "decay")
    assert live.name == sel.chosen
    assert live.params() == sel.models[sel.chosen].params()
    # without a fitted model, the setting's default
    assert live_forgetting(tmp_path / "empty", "decay").name == "decay"
