"""A free-text answer graded by a learned model: verdict, score, confidence and feedback.

The model (``grading.learned.TfidfGrader``, ``training.finetune.CrossEncoderGrader``) says
how likely each label is; this turns that into the ``Grade`` a student sees. The feedback
does not come from the model, which cannot say *why*: it names the key points of the item's
reference answer the student covered and the ones still missing (``learned.coverage``), in the
student's language. A grade less confident than the course's threshold is provisional, and
the feedback says a teacher will check it, so a student is never told a machine's guess as
if it were final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from learnloop.domain import Grade, Item, Verdict, pick
from learnloop.errors import InvalidInputError
from learnloop.grading.learned.coverage import coverage, coverage_feedback
from learnloop.grading.messages import message, normalize_lang
from learnloop.training.examples import GradingExample

VERDICT_OF_LABEL: dict[str, Verdict] = {
    "correct": Verdict.CORRECT,
    "partially_correct_incomplete": Verdict.PARTIALLY_CORRECT,
}
"""Labels of every SemEval label set that are not ``incorrect``; all others
(``contradictory``, ``irrelevant``, ``non_domain``, ``incorrect``) are."""

CREDIT: dict[Verdict, float] = {
    Verdict.CORRECT: 1.0,
    Verdict.PARTIALLY_CORRECT: 0.5,
    Verdict.INCORRECT: 0.0,
}
"""The score a verdict earns when a teacher or a label model gives no number of its own."""

PENDING_GRADER = "pending.teacher"
"""The grader name of a placeholder grade: there is nothing for a teacher to confirm."""

SCORE_BANDS = ((0.75, Verdict.CORRECT), (0.25, Verdict.PARTIALLY_CORRECT))
"""A score model's verdict: 0.75 and above is correct, 0.25 and above partly correct."""


class FreeTextModel(Protocol):
    """What the answer loop needs of a fitted grader, whatever its kind."""

    classes_: tuple[str, ...]
    """Labels, worst first; empty for a grader that predicts scores."""

    def predict_proba(self, examples: list[GradingExample]) -> Any: ...

    def predict_score(self, examples: list[GradingExample]) -> Any: ...


@dataclass(frozen=True)
class Prediction:
    verdict: Verdict
    score: float
    confidence: float
    label: str | None
    probabilities: dict[str, float]


def example_for(item: Item, answer: str, lang: str) -> GradingExample:
    """The answer as the graders were trained on it: question and references in the
    student's language (falling back as ``pick`` does)."""
    references = tuple(r for r in (pick(ref, lang) for ref in item.reference_answers) if r)
    if not references:
        raise InvalidInputError(
            f"item {item.id!r} has no reference answer, so it cannot be graded by a learned "
            "grader; add one under 'reference_answers' in the course pack"
        )
    return GradingExample(
        question_id=item.id,
        question=pick(item.prompt, lang),
        references=references,
        answer=answer,
        language=lang,
    )


def predict(model: FreeTextModel, examples: list[GradingExample]) -> list[Prediction]:
    """The model's verdict on each answer, with a confidence in [0, 1].

    For a label model the confidence is the probability of the label it chose (calibrated
    for the cross-encoder by temperature scaling, a logistic regression's own for TF-IDF).
    A score model has no probabilities: its confidence is how far the score is from the
    nearest verdict boundary, a quarter of the scale away counting as certain, so scores
    near a boundary go to a teacher.
    """
    if not examples:
        return []
    if model.classes_:
        out = []
        for proba in np.asarray(model.predict_proba(examples), dtype=np.float64):
            best = int(np.argmax(proba))
            label = model.classes_[best]
            verdict = label_verdict(label)
            out.append(
                Prediction(
                    verdict=verdict,
                    score=CREDIT[verdict],
                    confidence=float(np.clip(proba[best], 0.0, 1.0)),
                    label=label,
                    probabilities={
                        c: round(float(p), 4) for c, p in zip(model.classes_, proba, strict=True)
                    },
                )
            )
        return out
    scores = np.clip(np.asarray(model.predict_score(examples), dtype=np.float64), 0.0, 1.0)
    return [
        Prediction(
            verdict=score_verdict(float(score)),
            score=float(score),
            confidence=float(min(1.0, min(abs(score - low) for low, _ in SCORE_BANDS) / 0.25)),
            label=None,
            probabilities={},
        )
        for score in scores
    ]


def score_verdict(score: float) -> Verdict:
    return next((v for low, v in SCORE_BANDS if score >= low), Verdict.INCORRECT)


def label_verdict(label: str) -> Verdict:
    return VERDICT_OF_LABEL.get(label, Verdict.INCORRECT)


def verdict_message(verdict: Verdict, lang: str) -> str:
    key = {
        Verdict.CORRECT: "correct",
        Verdict.PARTIALLY_CORRECT: "partly_correct",
        Verdict.INCORRECT: "incorrect",
    }[verdict]
    return message(key, lang)


def _answer_text(response: str | Iterable[str]) -> str:
    return response if isinstance(response, str) else " ".join(response)


def grade_free_text(
    model: FreeTextModel,
    item: Item,
    response: str | list[str],
    lang: str,
    *,
    threshold: float,
    grader: str,
    details: dict[str, Any] | None = None,
) -> tuple[Grade, bool]:
    """Grade one free-text answer; returns the grade and whether a teacher must review it
    (its confidence is below ``threshold``)."""
    lang = normalize_lang(lang)
    answer = _answer_text(response).strip()
    if not answer:
        return (
            Grade(
                verdict=Verdict.INCORRECT,
                score=0.0,
                feedback=message("no_answer", lang),
                grader=grader,
                confidence=1.0,
                details={**(details or {}), "empty": True},
            ),
            False,
        )
    example = example_for(item, answer, lang)
    found = predict(model, [example])[0]
    covered = coverage(answer, example.references, question=example.question, language=lang)
    confidence = round(found.confidence, 4)  # as stored and shown: the threshold sees the same
    provisional = confidence < threshold
    parts = [verdict_message(found.verdict, lang), coverage_feedback(covered, lang)]
    if provisional:
        parts.append(message("learned_provisional", lang))
    joiner = "" if lang == "zh" else " "
    return (
        Grade(
            verdict=found.verdict,
            score=found.score,
            feedback=joiner.join(p for p in parts if p),
            grader=grader,
            confidence=confidence,
            details={
                **(details or {}),
                "label": found.label,
                "probabilities": found.probabilities,
                "threshold": threshold,
                "coverage": {
                    "covered": covered.covered,
                    "missing": covered.missing,
                    "ratio": round(covered.ratio, 4),
                },
            },
        ),
        provisional,
    )


def pending_grade(lang: str) -> Grade:
    """The placeholder grade of an answer no model can grade: a teacher will."""
    return Grade(
        verdict=Verdict.INCORRECT,
        score=0.0,
        feedback=message("learned_pending", normalize_lang(lang)),
        grader=PENDING_GRADER,
        confidence=0.0,
    )
