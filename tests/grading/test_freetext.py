"""A learned model's prediction turned into the grade a student sees."""

from __future__ import annotations

import pytest

from learnloop.domain import Item, Verdict
from learnloop.grading.freetext import grade_free_text, pending_grade, predict
from learnloop.grading.learned import TfidfGrader
from learnloop.training.examples import GradingDataset
from tests.freetext_data import BAD, GOOD, QUESTION, REFERENCES, labelled

ITEM = Item.model_validate(
    {
        "id": "q3",
        "type": "free_text",
        "prompt": {"en": QUESTION, "zh": "为什么 2/4 等于 1/2？"},
        "concepts": ["halves"],
        "reference_answers": [{"en": REFERENCES[0], "zh": "分子分母都乘以 2。"}],
    }
)


@pytest.fixture(scope="module")
def labels() -> TfidfGrader:
    data = GradingDataset(labelled(GOOD[:12], "correct") + labelled(BAD[:12], "incorrect"))
    return TfidfGrader().fit(data)


@pytest.fixture(scope="module")
def scores() -> TfidfGrader:
    """A grader of scores: right answers 1, wrong ones 0, so unclear ones land between."""
    examples = [
        ex.__class__(**{**ex.__dict__, "label": None, "score": 1.0 if i < 12 else 0.0})
        for i, ex in enumerate(labelled(GOOD[:12], "correct") + labelled(BAD[:12], "incorrect"))
    ]
    return TfidfGrader().fit(GradingDataset(examples, label_set=None))


def test_a_confident_label_is_final_and_says_what_was_covered(labels: TfidfGrader) -> None:
    grade, review = grade_free_text(
        labels, ITEM, GOOD[0], "en", threshold=0.5, grader="learned.tfidf"
    )
    assert not review
    assert grade.verdict is Verdict.CORRECT and grade.score == 1.0
    assert grade.confidence == pytest.approx(max(grade.details["probabilities"].values()), 1e-3)
    assert grade.feedback.startswith("Correct. You covered the key point")
    assert grade.details["coverage"]["covered"] == ["Both numerator and denominator are doubled"]


def test_below_the_threshold_the_grade_is_provisional(labels: TfidfGrader) -> None:
    grade, review = grade_free_text(labels, ITEM, BAD[0], "en", threshold=1.0, grader="g")
    assert review
    assert grade.verdict is Verdict.INCORRECT and grade.score == 0.0
    assert grade.feedback == (
        "Not quite. Your answer is still missing “Both numerator and denominator are "
        "doubled”. This grade is provisional: your teacher will check it."
    )
    _, review = grade_free_text(labels, ITEM, BAD[0], "en", threshold=grade.confidence, grader="g")
    assert not review  # "below" the threshold: a grade exactly at it stands


def test_chinese_feedback_uses_the_chinese_reference(labels: TfidfGrader) -> None:
    grade, _ = grade_free_text(labels, ITEM, "分母乘以 3", "zh-CN", threshold=1.0, grader="g")
    assert grade.feedback.endswith(
        "你的回答还缺少要点：“分子分母都乘”。这是暂定的评分，老师会进行复核。"
    )


def test_an_empty_answer_needs_no_model_and_no_teacher(labels: TfidfGrader) -> None:
    grade, review = grade_free_text(labels, ITEM, ["  ", ""], "en", threshold=1.0, grader="g")
    assert not review
    assert (grade.verdict, grade.confidence, grade.feedback) == (
        Verdict.INCORRECT,
        1.0,
        "No answer was given.",
    )


def test_a_score_model_is_unsure_near_a_verdict_boundary(scores: TfidfGrader) -> None:
    [sure, unsure] = predict(
        scores,
        [
            labelled([GOOD[0]], "correct")[0],
            labelled(["the numerator and the denominator"], "correct")[0],
        ],
    )
    assert sure.label is None and sure.probabilities == {}
    assert sure.verdict is Verdict.CORRECT and sure.score > 0.75
    assert sure.confidence > unsure.confidence
    for p in (sure, unsure):
        edge = min(abs(p.score - 0.75), abs(p.score - 0.25))
        assert p.confidence == pytest.approx(min(1.0, edge / 0.25))


def test_without_a_model_the_answer_waits_for_a_teacher() -> None:
    grade = pending_grade("zh")
    assert (grade.grader, grade.confidence) == ("pending.teacher", 0.0)
    assert grade.feedback == "你的答案已保存，老师会批改。"
