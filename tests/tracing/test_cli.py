"""``learnloop kt evaluate`` on small synthetic logs in each format."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from click.testing import CliRunner, Result

from learnloop.cli import cli
from learnloop.tracing import InteractionLog
from learnloop.tracing.simulate import simulate_bkt

from .conftest import numeric, write_sequences


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _aucs(output: str) -> list[float]:
    return [float(m) for m in re.findall(r"│\s+\d+ │\s+([01]\.\d{4}) │", output)]


def _fold_folder(root: Path, log: InteractionLog, *, folds: int) -> Path:
    root.mkdir()
    parts = np.array_split(np.unique(log.student), folds)
    for k in range(folds):
        test = log.select_students(parts[k])
        train = log.select_students(np.concatenate([p for j, p in enumerate(parts) if j != k]))
        write_sequences(root / f"toy_train{k + 1}.csv", train)
        write_sequences(root / f"toy_test{k + 1}.csv", test)
        write_sequences(root / f"toy_valid{k + 1}.csv", test)
    return root


def test_evaluate_on_a_four_line_fold_folder(tmp_path: Path) -> None:
    log = numeric(simulate_bkt(n_students=240, n_skills=3, length=15, random_state=4)[0])
    folder = _fold_folder(tmp_path / "folds", log, folds=3)
    result = run("kt", "evaluate", "--data", str(folder), "--model", "bkt", "--folds", "2")
    assert result.exit_code == 0, result.output
    aucs = _aucs(result.output)
    assert len(aucs) == 2 and min(aucs) > 0.65
    assert "mean" in result.output and "sd" in result.output


def test_evaluate_a_csv_with_student_folds_and_mapped_columns(tmp_path: Path) -> None:
    log, _ = simulate_bkt(n_students=150, n_skills=3, length=12, random_state=5)
    path = tmp_path / "log.csv"
    lines = ["learner,question,kc,right"]
    for i in range(len(log)):
        student = log.students[log.student[i]]
        lines.append(f"{student},{log.item_of(i)},{';'.join(log.skills_of(i))},{log.correct[i]}")
    path.write_text("\n".join(lines) + "\n")
    args = ["kt", "evaluate", "--data", str(path), "--model", "pfa", "--folds", "3"]
    cols = [
        "--column",
        "student=learner",
        "--column",
        "item=question",
        "--column",
        "skills=kc",
        "--column",
        "correct=right",
    ]
    result = run(*args, *cols)
    assert result.exit_code == 0, result.output
    assert len(_aucs(result.output)) == 3
    again = run(*args, *cols)
    assert _aucs(again.output) == _aucs(result.output)  # the seed fixes the folds


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("0,u1\n1,2\n1,2\n1,7\n")
    result = CliRunner().invoke(cli, ["kt", "evaluate", "--data", str(path), "--folds", "2"])
    assert result.exit_code == 1
    assert "bad.csv:4: correctness '7'" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["kt", "evaluate", "--data", str(path), "--param", "forgets"])
    assert result.exit_code == 1 and "KEY=VALUE" in result.output
