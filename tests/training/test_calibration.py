"""Temperature scaling and expected calibration error: confidence that means what it says."""

from __future__ import annotations

import numpy as np
import pytest

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.training.calibration import (
    TemperatureScaler,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from learnloop.training.metrics import expected_calibration_error


def calibrated_logits(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose softmax is the true distribution the labels are drawn from."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, size=(n, classes))
    probs = softmax(logits)
    labels = np.array([rng.choice(classes, p=p) for p in probs])
    return logits, labels


def test_temperature_scaling_lowers_ece_on_overconfident_logits() -> None:
    logits, labels = calibrated_logits(4000, 3, seed=0)
    overconfident = 4.0 * logits
    scaler = TemperatureScaler().fit(overconfident, labels)
    assert 3.0 < scaler.temperature_ < 5.5
    info = scaler.info_
    assert info["ece_before"] > 0.1
    assert info["ece_after"] < info["ece_before"] / 3
    assert info["nll_after"] < info["nll_before"]


def test_temperature_scaling_changes_no_verdict() -> None:
    logits, labels = calibrated_logits(500, 5, seed=1)
    scaler = TemperatureScaler().fit(3.0 * logits, labels)
    after = scaler.predict_proba(3.0 * logits)
    assert (after.argmax(axis=1) == logits.argmax(axis=1)).all()
    np.testing.assert_allclose(after.sum(axis=1), 1.0)


def test_underconfident_logits_get_a_temperature_below_one() -> None:
    logits, labels = calibrated_logits(4000, 2, seed=2)
    assert fit_temperature(0.3 * logits, labels) < 0.5


def test_ece_of_perfectly_calibrated_probabilities_is_small() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.0, 1.0, 20000)
    labels = (rng.uniform(0.0, 1.0, 20000) < p).astype(int)
    assert expected_calibration_error(p, labels) < 0.02
    logits, labels3 = calibrated_logits(20000, 3, seed=4)
    assert expected_calibration_error(softmax(logits), labels3) < 0.02


def test_ece_is_the_confidence_gap_when_always_certain() -> None:
    probs = np.tile([0.0, 1.0], (10, 1))
    labels = np.array([1] * 7 + [0] * 3)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.3)
    assert expected_calibration_error(probs[:, 1], labels) == pytest.approx(0.3)


def test_binary_logits_may_be_one_column() -> None:
    z = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(softmax(z)[:, 1], 1 / (1 + np.exp(-z)))
    assert negative_log_likelihood(z, [0, 1, 1]) == pytest.approx(
        negative_log_likelihood(np.stack([np.zeros(3), z], axis=1), [0, 1, 1])
    )


def test_bad_inputs_are_named() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        TemperatureScaler().predict_proba(np.zeros((2, 2)))
    with pytest.raises(InvalidInputError, match="no validation answers"):
        fit_temperature(np.zeros((0, 2)), [])
    with pytest.raises(InvalidInputError, match="class indices"):
        fit_temperature(np.zeros((2, 2)), [0, 2])
    with pytest.raises(InvalidInputError, match="do not match"):
        expected_calibration_error(np.full((3, 2), 0.5), [0, 1])
