"""Telling data formats apart and joining several files into one dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnloop.errors import InvalidInputError
from learnloop.training.datafiles import describe, detect_format, join, read_answers
from learnloop.training.examples import GradingDataset, GradingExample

XML = """<?xml version="1.0"?>
<question id="Q1" module="M">
  <questionText>Why?</questionText>
  <referenceAnswers><referenceAnswer id="r1">Because.</referenceAnswer></referenceAnswers>
  <studentAnswers>
    <studentAnswer id="M-Q1.s1" accuracy="correct">because</studentAnswer>
    <studentAnswer id="M-Q1.s2" accuracy="incorrect">no idea</studentAnswer>
  </studentAnswers>
</question>
"""


def test_formats_are_told_apart_by_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "xml").mkdir()
    (tmp_path / "xml" / "q1.xml").write_text(XML)
    (tmp_path / "le").mkdir()
    (tmp_path / "le" / "qa.csv").write_text("")
    (tmp_path / "le" / "s_eval_zh.csv").write_text("")
    (tmp_path / "empty").mkdir()
    assert detect_format(tmp_path / "xml") == "semeval"
    assert detect_format(tmp_path / "xml" / "q1.xml") == "semeval"
    assert detect_format(tmp_path / "le") == "chinese-le"
    assert detect_format(tmp_path / "le" / "s_eval_zh.csv") == "chinese-le"
    assert detect_format(tmp_path / "answers.jsonl") == "table"
    with pytest.raises(InvalidInputError, match="cannot tell what this folder holds"):
        detect_format(tmp_path / "empty")
    with pytest.raises(InvalidInputError, match=r"extension '\.txt'"):
        detect_format(tmp_path / "answers.txt")


def test_options_for_another_format_are_errors(tmp_path: Path) -> None:
    (tmp_path / "q1.xml").write_text(XML)
    with pytest.raises(InvalidInputError, match="column names apply to tables only"):
        read_answers(tmp_path, columns={"answer": "text"})
    table = tmp_path / "a.csv"
    table.write_text("reference,answer,label\nBecause.,because,correct\n")
    with pytest.raises(InvalidInputError, match="apply to SemEval XML files only"):
        read_answers(table, five_way_gold=tmp_path)
    assert len(read_answers(tmp_path)) == 2 and len(read_answers(table)) == 1
    todo = tmp_path / "todo.csv"
    todo.write_text("reference,answer\nBecause.,because\n")
    with pytest.raises(InvalidInputError, match="neither a 'label' nor a 'score' column"):
        read_answers(todo)
    unlabelled = read_answers(todo, labelled=False)
    assert unlabelled.label_set is None and unlabelled.examples[0].label is None


def _data(label_set: str | None, label: str | None, score: float | None = None) -> GradingDataset:
    ex = GradingExample("q", "Why?", ("Because.",), "because", label=label, score=score)
    return GradingDataset([ex], label_set=label_set, name=f"{label_set}")


def test_joined_labels_meet_in_the_coarsest_set() -> None:
    joined, note = join([_data("3way", "contradictory"), _data("2way", "correct")])
    assert joined.label_set == "2way" and [ex.label for ex in joined] == ["incorrect", "correct"]
    assert "folded into 2way" in note
    assert join([_data("2way", "correct")])[1] == ""
    with pytest.raises(InvalidInputError, match="labels and scores at once"):
        join([_data("2way", "correct"), _data(None, None, 0.5)])
    assert describe(joined) == "2 answers to 1 question, 2way labels (incorrect 1, correct 1)"
    assert "mean 0.500" in describe(_data(None, None, 0.5))
