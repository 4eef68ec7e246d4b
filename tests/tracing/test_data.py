"""Readers: a generic CSV, the 4-line and 3-line sequence formats, and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from learnloop.errors import InvalidInputError
from learnloop.tracing import read_csv, read_log, read_sequences

FOUR = """\
0,u1
10,10,11,12
1,2,3,3
1,1,0,1
1,u2
12,13
3,1
0,1
"""


def test_four_line_format_merges_expanded_rows(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(FOUR)
    log = read_sequences(path)
    assert len(log) == 5
    assert log.skills_of(0) == ("1", "2")  # problem 10 was one response with two skills
    assert [log.item_of(i) for i in range(3)] == ["10", "11", "12"]
    assert log.correct.tolist() == [1, 0, 1, 0, 1]
    assert log.first_of_sequence().tolist() == [True, False, False, True, False]
    expanded = read_sequences(path, merge_repeats=False)
    assert len(expanded) == 6


def test_three_line_format(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("0,7\n4,4,5\n0,1,1\n1,8\n5\n1\n")
    log = read_sequences(path)
    assert len(log) == 4
    assert log.item_of(0) is None
    assert [log.skills_of(i) for i in range(4)] == [("4",), ("4",), ("5",), ("5",)]
    assert log.students.tolist() == ["7", "8"]


def test_read_log_tells_the_formats_apart(tmp_path: Path) -> None:
    seq = tmp_path / "seq.csv"
    seq.write_text(FOUR)
    assert len(read_log(seq)) == 5
    table = tmp_path / "table.csv"
    table.write_text("student,skills,correct\na,x,1\n")
    assert len(read_log(table)) == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("0,u1\n10,11\n1,2\n1,x\n", 4, "correctness 'x'"),
        ("0,u1\n10,11\n1,2,3\n1,0\n", 1, "different lengths"),
        ("0,u1\n10,11\n1,,2\n1,0\n", 3, "empty value"),
        ("0,u1,extra\n10\n1\n1\n", 1, "header"),
        ("0,u1\n10\n1\n1\n1,u2\n10\n1\n1\n2,u3\n10\n", 10, "ends inside a sequence"),
    ],
)
def test_malformed_sequences_name_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InvalidInputError) as err:
        read_sequences(path, lines_per_sequence=4)
    assert f"bad.csv:{line}:" in err.value.message
    assert message in err.value.message


def test_csv_with_mapped_columns_multi_skill_and_time(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "user,problem,kc,score,when\n"
        "a,p2,x;y,0,2024-01-02T10:00:00Z\n"
        "a,p1,x,1,2024-01-01T10:00:00Z\n"
        "b,p1,x,true,5\n"
        "b,p3,z,0.4,6\n"
    )
    log = read_csv(
        path,
        columns={
            "student": "user",
            "item": "problem",
            "skills": "kc",
            "correct": "score",
            "timestamp": "when",
        },
    )
    assert [log.item_of(i) for i in range(4)] == ["p1", "p2", "p1", "p3"]  # a sorted by time
    assert log.skills_of(1) == ("x", "y")
    assert log.correct.tolist() == [1, 0, 1, 0]
    assert log.timestamp is not None and np.all(np.diff(log.timestamp[:2]) > 0)


def test_csv_without_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("student,skills,correct\na,x,1\na,x,0\n")
    log = read_csv(path)
    assert len(log) == 2 and log.item_of(0) is None and log.timestamp is None


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("a,x,1\nb,x,2\n", 3, "correctness '2'"),
        ("a,x,1\nb,,1\n", 3, "no skill"),
        ("a,x,1\n,x,1\n", 3, "empty student"),
        ("a,x,1\nb,x\n", 3, "expected 3 fields"),
    ],
)
def test_malformed_csv_rows_name_the_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("student,skills,correct\n" + body)
    with pytest.raises(InvalidInputError) as err:
        read_csv(path)
    assert f"bad.csv:{line}:" in err.value.message
    assert message in err.value.message


def test_csv_missing_column_says_how_to_map_it(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user_id,skills,correct\na,x,1\n")
    with pytest.raises(InvalidInputError, match="student=COLUMN"):
        read_csv(path)
