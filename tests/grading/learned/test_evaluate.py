"""Measuring graders and grading answers with feedback, for any kind of grader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learnloop.errors import InvalidInputError
from learnloop.grading.learned import (
    CROSS_ENCODER,
    MajorityGrader,
    TfidfGrader,
    load_any_grader,
    make_any_grader,
)
from learnloop.grading.learned.evaluate import evaluate_grader, grade_answers
from learnloop.training.examples import GradingDataset, GradingExample
from learnloop.training.finetune import CrossEncoderGrader


def test_evaluation_has_the_headline_numbers_report_and_speed(
    circuits: GradingDataset,
) -> None:
    grader = TfidfGrader(min_df=1).fit(circuits)
    result = evaluate_grader(grader, circuits)
    assert result.target == "label" and result.answers == len(circuits)
    assert set(result.metrics) == {"accuracy", "macro_f1", "weighted_f1", "ece"}
    assert result.report is not None and result.confusion is not None
    assert result.metrics["accuracy"] == result.report["accuracy"] > 0.9
    assert sum(map(sum, result.confusion["matrix"])) == len(circuits)
    assert result.answers_per_second > 0
    json.dumps(result.to_dict())


def test_finer_labels_are_folded_but_coarser_ones_refused(circuits: GradingDataset) -> None:
    three = GradingDataset(
        [
            GradingExample(**{**ex.__dict__, "label": "contradictory"})
            if ex.label == "incorrect" and i % 2
            else ex
            for i, ex in enumerate(circuits)
        ],
        label_set="3way",
        name="three",
    )
    two_way = TfidfGrader(min_df=1).fit(circuits)
    folded = evaluate_grader(two_way, three).report
    assert folded is not None and folded["labels"] == ["incorrect", "correct"]
    three_way = TfidfGrader(min_df=1).fit(three)
    with pytest.raises(InvalidInputError, match="coarser than the grader's 3way"):
        evaluate_grader(three_way, circuits)


def test_score_graders_get_rmse_mae_and_no_pearson_when_constant(
    chinese_scores: GradingDataset,
) -> None:
    result = evaluate_grader(MajorityGrader().fit(chinese_scores), chinese_scores)
    assert result.target == "score" and result.report is None
    assert result.metrics["pearson"] is None  # a constant prediction has no correlation
    assert result.metrics["rmse"] is not None and result.metrics["rmse"] > 0
    tfidf = evaluate_grader(TfidfGrader(min_df=1).fit(chinese_scores), chinese_scores)
    assert tfidf.metrics["pearson"] is not None and tfidf.metrics["pearson"] > 0.5


def test_graded_answers_carry_coverage_feedback(circuits: GradingDataset) -> None:
    grader = TfidfGrader(min_df=1).fit(circuits)
    good = next(ex for ex in circuits if ex.label == "correct")
    bad = GradingExample(**{**good.__dict__, "answer": "i do not know"})
    right, wrong = grade_answers(grader, [good, bad])
    assert right.label == "correct" and wrong.label == "incorrect"
    assert right.confidence == max(right.probabilities.values())
    assert right.score == right.probabilities["correct"]
    assert wrong.coverage.missing and "missing" in wrong.feedback
    assert set(right.to_dict()) >= {"label", "covered", "missing", "feedback"}
    assert grade_answers(grader, []) == []


def test_any_grader_is_made_and_loaded_by_kind(circuits: GradingDataset, tmp_path: Path) -> None:
    cross = make_any_grader(CROSS_ENCODER, preset="plain", max_length=32)
    assert isinstance(cross, CrossEncoderGrader) and cross.epochs == 3 and cross.max_length == 32
    with pytest.raises(InvalidInputError, match="bad hyper-parameter for cross-encoder"):
        make_any_grader(CROSS_ENCODER, depth=2)
    with pytest.raises(InvalidInputError, match="unknown grader 'bert'"):
        make_any_grader("bert")
    path = make_any_grader("tfidf", min_df=1).fit(circuits).save(tmp_path / "tfidf")
    assert isinstance(load_any_grader(path), TfidfGrader)
    with pytest.raises(InvalidInputError, match="has no config"):
        load_any_grader(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text("{")
    with pytest.raises(InvalidInputError, match="not a readable grader config"):
        load_any_grader(tmp_path / "bad")
