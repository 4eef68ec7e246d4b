"""Temperature scaling: one number that makes a fine-tuned grader's confidence honest.

Fine-tuned networks are over-confident (Guo et al., 2017, "On Calibration of Modern Neural
Networks"): a grader that says 0.99 is right far less often than 99 % of the time, so a review
queue that routes "uncertain" answers to a teacher would see too few of them. Dividing the
logits by a temperature ``T`` fitted on held-out answers fixes most of it without changing a
single verdict (the arg-max is the same for every ``T > 0``).

``T`` minimises the negative log-likelihood of the validation labels; it is searched on
``log T`` (bounded, so ``T`` stays positive and finite) with scipy's bounded scalar minimiser.
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.training.metrics import expected_calibration_error

MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0


def _as_logits(logits: np.ndarray | Any) -> np.ndarray:
    """``[n, classes]`` float64 logits; a 1-D array is one binary logit per row."""
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim == 1:
        z = np.stack([np.zeros_like(z), z], axis=1)
    if z.ndim != 2 or z.shape[1] < 2:
        raise InvalidInputError(
            f"logits of shape {z.shape} are not one row of class scores per answer; pass an "
            "[n, classes] array (or [n] binary logits)"
        )
    return z


def softmax(logits: np.ndarray | Any, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities of ``logits / temperature``, computed without overflow."""
    z = _as_logits(logits) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_likelihood(
    logits: np.ndarray | Any, labels: np.ndarray | Any, temperature: float = 1.0
) -> float:
    """Mean NLL of the true classes under ``softmax(logits / temperature)``."""
    z = _as_logits(logits) / temperature
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    shifted = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_norm - shifted[np.arange(len(y)), y]))


def fit_temperature(logits: np.ndarray | Any, labels: np.ndarray | Any) -> float:
    """The ``T`` in [0.05, 20] that minimises the NLL of ``labels`` (class indices)."""
    from scipy.optimize import minimize_scalar

    z = _as_logits(logits)
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(z) != len(y):
        raise InvalidInputError(f"{len(z)} rows of logits but {len(y)} labels; pass one of each")
    if len(y) == 0:
        raise InvalidInputError(
            "no validation answers to fit a temperature on; keep some labelled answers aside"
        )
    if y.min() < 0 or y.max() >= z.shape[1]:
        raise InvalidInputError(
            f"labels must be class indices in [0, {z.shape[1] - 1}], found {y.min()}..{y.max()}"
        )
    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(z, y, math.exp(log_t)),
        bounds=(math.log(MIN_TEMPERATURE), math.log(MAX_TEMPERATURE)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(math.exp(result.x))


class TemperatureScaler:
    """Estimator wrapper of ``fit_temperature`` that also records what it changed.

    ``info_`` holds the temperature and the ECE and NLL of the validation answers before and
    after scaling, which a model card reports so a reader can see calibration was checked.
    """

    def __init__(self, *, n_bins: int = 15) -> None:
        self.n_bins = n_bins

    def fit(self, logits: np.ndarray | Any, labels: np.ndarray | Any) -> Self:
        z = _as_logits(logits)
        y = np.asarray(labels, dtype=np.int64).reshape(-1)
        t = fit_temperature(z, y)
        self.temperature_ = t
        self.info_: dict[str, Any] = {
            "temperature": round(t, 5),
            "ece_before": round(expected_calibration_error(softmax(z), y, self.n_bins), 5),
            "ece_after": round(expected_calibration_error(softmax(z, t), y, self.n_bins), 5),
            "nll_before": round(negative_log_likelihood(z, y), 5),
            "nll_after": round(negative_log_likelihood(z, y, t), 5),
            "n": len(y),
        }
        return self

    def predict_proba(self, logits: np.ndarray | Any) -> np.ndarray:
        if not hasattr(self, "temperature_"):
            raise NotFittedError(
                "this TemperatureScaler is not fitted yet; call fit(valid_logits, valid_labels)"
            )
        return softmax(logits, self.temperature_)
