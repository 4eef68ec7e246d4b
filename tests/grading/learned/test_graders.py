"""Learned graders: what they predict, on seen and unseen questions, and their saved form."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.grading.learned import (
    GRADERS,
    LearnedGrader,
    MajorityGrader,
    OverlapTreeGrader,
    TfidfGrader,
    load_grader,
    make_grader,
)
from learnloop.training.examples import GradingDataset, GradingExample

SMALL = {
    "tfidf": {"min_df": 1},
    "overlap-tree": {"min_samples_leaf": 3},
    "majority": {},
}
"""Settings for answer sets of dozens, not thousands."""


def fitted(name: str, data: GradingDataset) -> LearnedGrader:
    return make_grader(name, **SMALL[name]).fit(data)


def accuracy(grader: LearnedGrader, data: GradingDataset) -> float:
    return float(np.mean([p == ex.label for p, ex in zip(grader.predict(data), data, strict=True)]))


@pytest.mark.parametrize("name", ["tfidf", "overlap-tree"])
def test_grades_answers_to_a_question_it_never_saw(
    name: str, circuits: GradingDataset, unseen: GradingDataset
) -> None:
    grader = fitted(name, circuits)
    assert accuracy(grader, unseen) == 1.0
    scores = grader.predict_score(unseen)
    right = np.array([ex.label == "correct" for ex in unseen])
    assert scores[right].min() > 0.5 > scores[~right].max()


def test_reference_overlap_is_what_carries_to_new_questions(
    circuits: GradingDataset, unseen: GradingDataset
) -> None:
    right = np.array([ex.label == "correct" for ex in unseen])

    def margin(grader: LearnedGrader) -> float:
        scores = grader.predict_score(unseen)
        return float(scores[right].mean() - scores[~right].mean())

    with_overlap = TfidfGrader(min_df=1).fit(circuits)
    answer_words_only = TfidfGrader(min_df=1, overlap=False).fit(circuits)
    assert margin(with_overlap) > 0.6
    assert margin(with_overlap) > margin(answer_words_only) + 0.3


def test_the_question_id_is_not_a_feature(circuits: GradingDataset) -> None:
    grader = TfidfGrader(min_df=1).fit(circuits)
    renamed = [replace(ex, question_id="some-new-id") for ex in circuits]
    np.testing.assert_array_equal(grader.predict_proba(circuits), grader.predict_proba(renamed))


def test_probabilities_have_one_column_per_label_worst_first(circuits: GradingDataset) -> None:
    grader = TfidfGrader(min_df=1).fit(circuits)
    assert grader.classes_ == ("incorrect", "correct")
    proba = grader.predict_proba(circuits.examples[:5])
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert grader.predict(circuits.examples[:1]) == ["correct"]
    assert grader.predict([]) == []


def test_five_way_labels_missing_from_training_get_probability_zero(
    circuits: GradingDataset,
) -> None:
    five = GradingDataset(
        [
            replace(ex, label="correct" if ex.label == "correct" else "contradictory")
            for ex in circuits
        ],
        label_set="5way",
    )
    for name in GRADERS:
        grader = fitted(name, five)
        proba = grader.predict_proba(five)
        assert grader.classes_ == five.labels
        assert proba.shape == (len(five), 5)
        assert np.all(proba[:, :2] == 0.0)  # non_domain and irrelevant were never seen
        assert set(grader.predict(five)) <= {"correct", "contradictory"}


def test_fitting_twice_with_the_same_random_state_gives_the_same_grades(
    circuits: GradingDataset, unseen: GradingDataset
) -> None:
    for name in ("tfidf", "overlap-tree"):
        first = fitted(name, circuits).predict_proba(unseen)
        second = fitted(name, circuits).predict_proba(unseen)
        np.testing.assert_array_equal(first, second)


def test_majority_baseline_predicts_the_commonest_label(circuits: GradingDataset) -> None:
    right = [i for i, ex in enumerate(circuits) if ex.label == "correct"]
    wrong = [i for i, ex in enumerate(circuits) if ex.label == "incorrect"]
    grader = MajorityGrader().fit(circuits.subset(right[:20] + wrong[:2]))
    assert set(grader.predict(circuits)) == {"correct"}
    np.testing.assert_allclose(grader.predict_proba(circuits)[0], [2 / 22, 20 / 22])


def test_scores_train_a_regression_in_chinese(chinese_scores: GradingDataset) -> None:
    for name in GRADERS:
        grader = fitted(name, chinese_scores)
        scores = grader.predict_score(chinese_scores)
        assert np.all((scores >= 0.0) & (scores <= 1.0))
        if name != "majority":
            truth = np.array([ex.score for ex in chinese_scores])
            assert np.corrcoef(scores, truth)[0, 1] > 0.8
        with pytest.raises(InvalidInputError, match="predict_score"):
            grader.predict(chinese_scores)


def test_chinese_labels_are_learned_from_characters(chinese_scores: GradingDataset) -> None:
    labelled = GradingDataset(
        [
            replace(ex, score=None, label="correct" if (ex.score or 0) >= 0.7 else "incorrect")
            for ex in chinese_scores
        ],
        label_set="2way",
    )
    grader = TfidfGrader(min_df=1).fit(labelled)
    probe = replace(labelled.examples[0], answer="商品养护员、理货员和保管员")
    assert grader.predict([probe, replace(probe, answer="出纳")]) == ["correct", "incorrect"]


@pytest.mark.parametrize("name", list(GRADERS))
def test_every_grader_refuses_to_predict_before_fit(name: str, unseen: GradingDataset) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        make_grader(name).predict(unseen)


@pytest.mark.parametrize("name", list(GRADERS))
def test_a_saved_grader_loads_without_pickle_and_grades_identically(
    name: str, circuits: GradingDataset, unseen: GradingDataset, tmp_path: Path
) -> None:
    grader = fitted(name, circuits)
    path = grader.save(tmp_path / name)
    config = json.loads((path / "config.json").read_text())
    assert config["model"] == name
    assert config["hyperparameters"] == json.loads(json.dumps(grader.get_params()))
    assert config["info"]["labels"] == ["incorrect", "correct"]
    assert "scikit-learn" in config["library_versions"]
    assert (path / "README.md").read_text().startswith("# ")
    with np.load(path / "weights.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)

    loaded = load_grader(path)
    assert type(loaded) is type(grader)
    assert loaded.get_params() == grader.get_params()
    for data in (circuits, unseen):
        np.testing.assert_array_equal(loaded.predict_proba(data), grader.predict_proba(data))


def test_tfidf_vocabularies_are_readable_json(circuits: GradingDataset, tmp_path: Path) -> None:
    path = TfidfGrader(min_df=1).fit(circuits).save(tmp_path / "g")
    vocabulary = json.loads((path / "vocabulary.json").read_text(encoding="utf-8"))
    assert "closed path" in vocabulary["word"]
    assert "evap" in {term.strip() for term in vocabulary["char"]}


def test_a_score_grader_round_trips(chinese_scores: GradingDataset, tmp_path: Path) -> None:
    grader = TfidfGrader(min_df=1).fit(chinese_scores)
    loaded = TfidfGrader.load(grader.save(tmp_path / "g"))
    np.testing.assert_array_equal(
        loaded.predict_score(chinese_scores), grader.predict_score(chinese_scores)
    )


def test_loading_refuses_pickled_arrays(circuits: GradingDataset, tmp_path: Path) -> None:
    path = MajorityGrader().fit(circuits).save(tmp_path / "g")
    np.savez(path / "weights.npz", prior=np.array([{"x": 1}], dtype=object))
    with pytest.raises(InvalidInputError, match="weights"):
        load_grader(path)


def test_loading_names_what_is_wrong(circuits: GradingDataset, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a saved grader"):
        load_grader(tmp_path)
    path = MajorityGrader().fit(circuits).save(tmp_path / "g")
    with pytest.raises(InvalidInputError, match="load_grader"):
        OverlapTreeGrader.load(path)
    config = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(json.dumps({**config, "model": "gpt"}))
    with pytest.raises(InvalidInputError, match="unknown grader 'gpt'"):
        load_grader(path)


def test_fitting_needs_two_labels_and_a_label_on_every_answer(circuits: GradingDataset) -> None:
    only_right = circuits.subset([i for i, ex in enumerate(circuits) if ex.label == "correct"])
    with pytest.raises(InvalidInputError, match="at least two labels"):
        TfidfGrader(min_df=1).fit(only_right)
    unlabelled = GradingDataset([*circuits.examples, replace(circuits.examples[0], label=None)])
    with pytest.raises(InvalidInputError, match="label None"):
        OverlapTreeGrader().fit(unlabelled)
    with pytest.raises(InvalidInputError, match="empty"):
        MajorityGrader().fit(GradingDataset([]))


def test_unknown_grader_names_the_choices() -> None:
    with pytest.raises(InvalidInputError, match="tfidf"):
        make_grader("bert")
    with pytest.raises(InvalidInputError, match="bad hyper-parameter"):
        make_grader("tfidf", depth=3)


def test_examples_need_no_label_to_be_graded(circuits: GradingDataset) -> None:
    grader = TfidfGrader(min_df=1).fit(circuits)
    answer = GradingExample(
        question_id="new",
        question="Why does bulb C light up?",
        references=("Bulb C is in a closed path with the battery.",),
        answer="bulb c is in a closed path with the battery",
    )
    assert grader.predict([answer]) == ["correct"]
