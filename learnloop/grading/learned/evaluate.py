"""Measuring a grader on labelled answers, and grading answers with feedback for students.

Both work on any grader (``learnloop.grading.learned.Grader``: the TF-IDF family or the
fine-tuned encoder), so the command line, the benchmark and the web app report the same
numbers the same way. A grader's verdicts are compared in its own label set: finer labels
in the data are folded into it (5-way into 3-way into 2-way), never the other way round,
because a 2-way "incorrect" hides whether the answer was contradictory or just incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from learnloop.errors import InvalidInputError
from learnloop.grading.learned import Grader
from learnloop.grading.learned.coverage import Coverage, coverage, coverage_feedback
from learnloop.training.examples import GradingDataset, GradingExample
from learnloop.training.metrics import (
    Report,
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    score_summary,
)
from learnloop.training.readers import FINENESS


@dataclass
class Evaluation:
    """How one grader did on one dataset: headline numbers, the per-class report and
    confusion matrix (labels), and the prediction speed."""

    dataset: str
    answers: int
    target: str
    """``label`` (accuracy, macro_f1, weighted_f1, ece) or ``score`` (rmse, mae, pearson)."""
    metrics: dict[str, float | None]
    predict_seconds: float
    report: Report | None = None
    confusion: Report | None = None

    @property
    def answers_per_second(self) -> float:
        return self.answers / max(self.predict_seconds, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "predict_seconds": round(self.predict_seconds, 4),
            "answers_per_second": round(self.answers_per_second, 2),
        }


def align(grader: Grader, data: GradingDataset) -> GradingDataset:
    """``data`` with labels in the grader's label set, or a clear error why it cannot be."""
    name = data.name or "(unnamed)"
    if not grader.classes_:
        missing = next((ex for ex in data if ex.score is None), None)
        if missing is not None:
            raise InvalidInputError(
                f"the grader predicts scores but answer {missing.id or missing.source} of "
                f"{name} has no score; evaluate it on data with a score in [0, 1] per answer"
            )
        return data
    wanted = grader.label_set_
    if data.label_set is None or any(ex.label is None for ex in data):
        raise InvalidInputError(
            f"the grader gives {wanted} labels but {name} has answers without a label; "
            "evaluate it on labelled answers"
        )
    if wanted is None or data.label_set == wanted:
        return data
    if FINENESS.index(data.label_set) < FINENESS.index(wanted):
        raise InvalidInputError(
            f"{name} has {data.label_set} labels, coarser than the grader's {wanted}; "
            f"evaluate on answers labelled in {wanted} or finer (for SemEval, pass the 5-way "
            "gold tables)"
        )
    return data.with_label_set(wanted)


def evaluate_grader(grader: Grader, data: GradingDataset) -> Evaluation:
    """Predict every answer of ``data`` in one batch and measure the predictions.

    ECE is measured on the probabilities as the grader gives them (calibrated, for a
    fine-tuned grader that was calibrated), since those are what a review queue acts on.
    """
    data = align(grader, data)
    if len(data) == 0:
        raise InvalidInputError(f"{data.name or 'the dataset'} is empty; nothing to evaluate")
    started = time.perf_counter()
    if not grader.classes_:
        scores = grader.predict_score(data.examples)
        seconds = time.perf_counter() - started
        truth = [float(ex.score) for ex in data if ex.score is not None]
        return Evaluation(
            dataset=data.name,
            answers=len(data),
            target="score",
            metrics=dict(score_summary(truth, scores.tolist())),
            predict_seconds=seconds,
        )
    proba = np.asarray(grader.predict_proba(data.examples))
    seconds = time.perf_counter() - started
    classes = list(grader.classes_)
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    true = [str(ex.label) for ex in data]
    index = {label: i for i, label in enumerate(classes)}
    report = classification_report(true, predicted, classes)
    ece = expected_calibration_error(proba, [index[label] for label in true])
    return Evaluation(
        dataset=data.name,
        answers=len(data),
        target="label",
        metrics={
            "accuracy": report["accuracy"],
            "macro_f1": report["macro_f1"],
            "weighted_f1": report["weighted_f1"],
            "ece": round(ece, 5),
        },
        predict_seconds=seconds,
        report=report,
        confusion=confusion_matrix(true, predicted, classes),
    )


@dataclass(frozen=True)
class GradedAnswer:
    """A grader's verdict on one answer, with what a student needs to improve it."""

    id: str
    label: str | None
    """The most probable label; ``None`` for a grader of scores."""
    confidence: float | None
    """The probability of ``label``."""
    probabilities: dict[str, float]
    score: float
    """P(correct) for a grader of labels, the predicted score for a grader of scores."""
    coverage: Coverage
    feedback: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "confidence": self.confidence,
            "probabilities": self.probabilities,
            "score": self.score,
            "covered": self.coverage.covered,
            "missing": self.coverage.missing,
            "coverage": round(self.coverage.ratio, 4),
            "feedback": self.feedback,
        }


def grade_answers(grader: Grader, examples: Sequence[GradingExample]) -> list[GradedAnswer]:
    """Grade ``examples`` in one batch; each gets the key phrases of its reference it covers
    and misses, because a verdict alone does not tell a student what to add."""
    examples = list(examples)
    if not examples:
        return []
    classes = list(grader.classes_)
    if classes:
        proba = np.asarray(grader.predict_proba(examples))
        scores = proba[:, classes.index("correct")]
    else:
        proba = np.zeros((len(examples), 0))
        scores = np.asarray(grader.predict_score(examples))
    out = []
    for i, ex in enumerate(examples):
        covered = coverage(ex.answer, ex.references, question=ex.question, language=ex.language)
        best = int(proba[i].argmax()) if classes else None
        shares = {c: round(float(p), 5) for c, p in zip(classes, proba[i], strict=True)}
        out.append(
            GradedAnswer(
                id=ex.id,
                label=classes[best] if best is not None else None,
                confidence=round(float(proba[i, best]), 5) if best is not None else None,
                probabilities=shares,
                score=round(float(scores[i]), 5),
                coverage=covered,
                feedback=coverage_feedback(covered, ex.language),
            )
        )
    return out
