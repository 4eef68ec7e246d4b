"""Grading metrics as plain data: what goes into info_, config.json and benchmark tables."""

from __future__ import annotations

import json

import pytest

from learnloop.errors import InvalidInputError
from learnloop.training.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    format_confusion,
    format_report,
    macro_f1,
    weighted_f1,
)

LABELS = ("incorrect", "contradictory", "correct")
TRUE = ["correct", "correct", "correct", "incorrect", "incorrect", "contradictory"]
PRED = ["correct", "correct", "incorrect", "incorrect", "correct", "incorrect"]


def test_headline_numbers() -> None:
    assert accuracy(TRUE, PRED) == pytest.approx(3 / 6)
    # contradictory is never predicted: its F1 of 0 still counts in the macro average
    assert macro_f1(TRUE, PRED, LABELS) == pytest.approx((0.4 + 0.0 + 2 / 3) / 3)
    assert weighted_f1(TRUE, PRED, LABELS) == pytest.approx((2 * 0.4 + 0 + 3 * 2 / 3) / 6)


def test_report_and_confusion_are_json_data_in_label_order() -> None:
    report = classification_report(TRUE, PRED, LABELS)
    confusion = confusion_matrix(TRUE, PRED, LABELS)
    json.dumps([report, confusion])
    assert report["labels"] == list(LABELS)
    assert report["per_class"]["correct"] == {
        "precision": pytest.approx(2 / 3, abs=1e-4),
        "recall": pytest.approx(2 / 3, abs=1e-4),
        "f1": pytest.approx(2 / 3, abs=1e-4),
        "support": 3,
    }
    assert confusion["matrix"] == [[1, 0, 1], [1, 0, 0], [1, 0, 2]]


def test_text_renderings_show_every_label() -> None:
    text = format_report(classification_report(TRUE, PRED, LABELS))
    grid = format_confusion(confusion_matrix(TRUE, PRED, LABELS))
    for label in LABELS:
        assert label in text and label in grid
    assert "macro F1" in text and "0.356" in text


def test_mismatched_lengths_are_an_error() -> None:
    with pytest.raises(InvalidInputError, match="2 true labels but 1 predictions"):
        accuracy(["correct", "correct"], ["correct"])
