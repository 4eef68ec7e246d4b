"""No response is predicted from its own label, also when one item practises several skills."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from learnloop.tracing import MODELS, InteractionLog, make_model, read_sequences
from learnloop.tracing.deep import DeepTracer
from learnloop.tracing.evaluate import metrics, scored
from learnloop.tracing.stack import StackedTracer

from .conftest import multi_skill_log, numeric, write_sequences

CLASSIC = sorted(
    name
    for name, cls in MODELS.items()
    if not issubclass(cls, DeepTracer) and cls is not StackedTracer
)
"""The deep models (torch) pass the same two tests in test_deep.py, at a size fit for tests."""


def _position(log: InteractionLog) -> np.ndarray:
    starts = np.flatnonzero(log.first_of_sequence())
    return np.arange(len(log)) - np.repeat(starts, np.diff(np.r_[starts, len(log)]))


@pytest.mark.parametrize("name", CLASSIC)
def test_flipping_a_label_does_not_change_its_prediction(name: str) -> None:
    log = multi_skill_log(seed=1)
    model = make_model(name).fit(log)
    before = model.predict_proba(log)
    pos = _position(log)
    flipped = InteractionLog(
        **{
            **log.__dict__,
            "correct": np.where(pos >= 10, 1 - log.correct, log.correct).astype(np.int8),
        }
    )
    after = model.predict_proba(flipped)
    np.testing.assert_array_equal(before[pos <= 10], after[pos <= 10])
    assert not np.allclose(before[pos > 10], after[pos > 10])


def test_expanded_multi_skill_rows_do_not_leak(tmp_path: Path) -> None:
    """Coin-flip labels on 2-3-skill items, written one row per skill. On the copies after
    the first, repeating the previous row's label scores a perfect AUC: any model that saw
    the first copy's label would too. Read back, the copies are one response again, and
    every model is at chance on exactly those responses."""
    log = numeric(multi_skill_log(n_students=200, random=True, seed=2))
    students = np.unique(log.student)
    train_path = write_sequences(tmp_path / "train.csv", log.select_students(students[:120]))
    test_path = write_sequences(tmp_path / "test.csv", log.select_students(students[120:]))

    rows = read_sequences(test_path, merge_repeats=False)
    copy = np.r_[False, (rows.item[1:] == rows.item[:-1]) & (rows.student[1:] == rows.student[:-1])]
    previous_label = np.r_[0, rows.correct[:-1]]
    assert metrics(rows.correct[copy], previous_label[copy])["auc"] == 1.0

    train, test = read_sequences(train_path), read_sequences(test_path)
    assert len(test) == len(rows) - copy.sum()
    multi = np.diff(test.skill_ptr) > 1
    assert multi.all()
    for name in CLASSIC:
        p = make_model(name).fit(train).predict_proba(test)
        mask = scored(test) & multi
        assert metrics(test.correct[mask], p[mask])["auc"] < 0.58, name
