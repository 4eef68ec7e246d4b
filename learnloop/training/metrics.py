"""How well a grader's verdicts and probabilities match the labels, as plain data.

Everything here returns JSON-ready values (floats, lists, dicts with string keys) so a report
can go straight into a model's ``info_``, its ``config.json`` and a benchmark's results file;
``format_report`` and ``format_confusion`` render the same data for a terminal. Labels are
given as strings (the label set's names) and ``labels`` fixes the order of the rows, so a
class that never occurs still gets a row instead of silently vanishing from macro-F1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from learnloop.errors import InvalidInputError

Report = dict[str, Any]


def _check(y_true: Sequence[str], y_pred: Sequence[str]) -> None:
    if len(y_true) != len(y_pred):
        raise InvalidInputError(
            f"{len(y_true)} true labels but {len(y_pred)} predictions; pass one of each per answer"
        )
    if len(y_true) == 0:
        raise InvalidInputError("no answers to measure; pass at least one labelled prediction")


def _labels(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    if labels is not None:
        return list(labels)
    return sorted({*map(str, y_true), *map(str, y_pred)})


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    _check(y_true, y_pred)
    return float(np.mean([t == p for t, p in zip(y_true, y_pred, strict=True)]))


def macro_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1: the SemEval-2013 headline number, which a grader
    cannot raise by always saying the majority verdict."""
    from sklearn.metrics import f1_score

    _check(y_true, y_pred)
    return float(
        f1_score(
            y_true, y_pred, labels=_labels(y_true, y_pred, labels), average="macro", zero_division=0
        )
    )


def weighted_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    from sklearn.metrics import f1_score

    _check(y_true, y_pred)
    return float(
        f1_score(
            y_true,
            y_pred,
            labels=_labels(y_true, y_pred, labels),
            average="weighted",
            zero_division=0,
        )
    )


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> Report:
    """Per-class precision, recall, F1 and support, plus accuracy and the two F1 averages."""
    from sklearn.metrics import precision_recall_fscore_support

    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=names, average=None, zero_division=0
    )
    return {
        "labels": names,
        "per_class": {
            name: {
                "precision": round(float(p[i]), 5),
                "recall": round(float(r[i]), 5),
                "f1": round(float(f[i]), 5),
                "support": int(s[i]),
            }
            for i, name in enumerate(names)
        },
        "accuracy": round(accuracy(y_true, y_pred), 5),
        "macro_f1": round(macro_f1(y_true, y_pred, names), 5),
        "weighted_f1": round(weighted_f1(y_true, y_pred, names), 5),
        "support": len(y_true),
    }


def confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> Report:
    """``matrix[i][j]``: answers labelled ``labels[i]`` that the grader called ``labels[j]``."""
    from sklearn.metrics import confusion_matrix as sk_confusion

    _check(y_true, y_pred)
    names = _labels(y_true, y_pred, labels)
    matrix = sk_confusion(y_true, y_pred, labels=names)
    return {"labels": names, "matrix": matrix.astype(int).tolist()}


def format_report(report: Report) -> str:
    """The report as the fixed-width table people know from scikit-learn."""
    names = report["labels"]
    width = max(12, *(len(n) for n in names))
    lines = [f"{'':<{width}}  precision  recall     f1  support"]
    for name in names:
        row = report["per_class"][name]
        lines.append(
            f"{name:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
            f"{row['f1']:5.3f}  {row['support']:7d}"
        )
    total = report["support"]
    lines += [
        "",
        f"{'accuracy':<{width}}  {'':9}  {'':6}  {report['accuracy']:5.3f}  {total:7d}",
        f"{'macro F1':<{width}}  {'':9}  {'':6}  {report['macro_f1']:5.3f}  {total:7d}",
        f"{'weighted F1':<{width}}  {'':9}  {'':6}  {report['weighted_f1']:5.3f}  {total:7d}",
    ]
    return "\n".join(lines)


def format_confusion(confusion: Report) -> str:
    """Rows are the true labels, columns the predicted ones."""
    names = confusion["labels"]
    corner = "true \\ predicted"
    width = max(len(corner), *(len(n) for n in names))
    cell = max(7, *(len(n) for n in names))
    head = f"{corner:<{width}}" + "".join(f"  {n:>{cell}}" for n in names)
    rows = [
        f"{name:<{width}}" + "".join(f"  {v:>{cell}d}" for v in confusion["matrix"][i])
        for i, name in enumerate(names)
    ]
    return "\n".join([head, *rows])


def expected_calibration_error(
    probs: np.ndarray | Sequence[Sequence[float]] | Sequence[float],
    labels: np.ndarray | Sequence[int],
    n_bins: int = 15,
) -> float:
    """Top-label ECE: how far, on average over equal-width confidence bins, the grader's
    confidence in its verdict is from how often that verdict is right.

    A teacher reviewing "uncertain" grades relies on confidence meaning what it says, so this
    is what temperature scaling is judged by. ``probs`` is ``[n, classes]`` (rows sum to 1),
    or ``[n]`` for the probability of class 1 of two; ``labels`` are class indices.
    """
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    if p.ndim == 1:
        p = np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2 or len(p) != len(y):
        raise InvalidInputError(
            f"probabilities of shape {p.shape} do not match {len(y)} labels; pass one row of "
            "class probabilities per label"
        )
    if n_bins < 1:
        raise InvalidInputError(f"n_bins must be at least 1, not {n_bins}")
    if len(y) == 0:
        return 0.0
    if y.min() < 0 or y.max() >= p.shape[1]:
        raise InvalidInputError(
            f"labels must be class indices in [0, {p.shape[1] - 1}], found {y.min()}..{y.max()}"
        )
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    # Bins are (lo, hi], with a confidence of exactly 0 put in the first one.
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        in_bin = bins == b
        total += in_bin.sum() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total / len(y))


def grading_summary(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, float]:
    """The three headline numbers, for a table row."""
    names = _labels(y_true, y_pred, labels)
    return {
        "accuracy": round(accuracy(y_true, y_pred), 5),
        "macro_f1": round(macro_f1(y_true, y_pred, names), 5),
        "weighted_f1": round(weighted_f1(y_true, y_pred, names), 5),
    }


def score_summary(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, float | None]:
    """RMSE, MAE and Pearson's r of predicted scores: the Chinese LE set's measures, where
    partial credit matters and a verdict would hide it. Pearson's r is ``None`` when either
    side is constant (a mean-score baseline), since no correlation is defined there."""
    if len(y_true) != len(y_pred):
        raise InvalidInputError(
            f"{len(y_true)} true scores but {len(y_pred)} predictions; pass one of each per answer"
        )
    if len(y_true) == 0:
        raise InvalidInputError("no answers to measure; pass at least one scored prediction")
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    error = p - t
    t_dev, p_dev = t - t.mean(), p - p.mean()
    constant = np.ptp(t) == 0 or np.ptp(p) == 0  # exact: a mean of equal floats may not be
    spread = 0.0 if constant else math.sqrt(float(np.sum(t_dev**2)) * float(np.sum(p_dev**2)))
    return {
        "rmse": round(float(np.sqrt(np.mean(error**2))), 5),
        "mae": round(float(np.mean(np.abs(error))), 5),
        "pearson": round(float(np.sum(t_dev * p_dev)) / spread, 5) if spread > 0 else None,
    }
