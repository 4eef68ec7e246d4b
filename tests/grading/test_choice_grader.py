"""Multiple choice: one right answer, or a set with partial credit."""

from __future__ import annotations

import pytest

from learnloop.domain import Verdict
from learnloop.grading import grade_response
from tests.grading.helpers import choice

OK, PART, WRONG = Verdict.CORRECT, Verdict.PARTIALLY_CORRECT, Verdict.INCORRECT

SINGLE = choice(["b"])


@pytest.mark.parametrize(
    ("answer", "verdict", "feedback"),
    [
        ("b", OK, "Correct. About b."),
        (["b"], OK, "Correct. About b."),
        (" B ", OK, "Correct. About b."),
        ("a", WRONG, "Not quite. About a."),
        ("a, b", WRONG, "Pick exactly one choice."),
        (["a", "b"], WRONG, "Pick exactly one choice."),
        ("z", WRONG, "There is no choice z; the choices are a, b, c, d."),
        ("", WRONG, "No choice was picked."),
    ],
)
def test_single_answer(answer: str | list[str], verdict: Verdict, feedback: str) -> None:
    grade = grade_response(SINGLE, answer)
    assert (grade.verdict, grade.feedback) == (verdict, feedback)
    assert grade.grader == "rules.choice"


SEVERAL = choice(["a", "b", "d"], "abcde", multiple=True)


@pytest.mark.parametrize(
    ("answer", "verdict", "score"),
    [
        (["a", "b", "d"], OK, 1.0),
        ("a,b,d", OK, 1.0),
        ("d, b, a", OK, 1.0),
        ("a b d", OK, 1.0),
        ("a、b、d", OK, 1.0),
        (["a", "a", "b", "d"], OK, 1.0),  # a repeat counts once
        (["a", "b"], PART, 2 / 3),
        (["a"], PART, 1 / 3),
        (["a", "b", "d", "c"], PART, 2 / 3),  # all right plus one wrong
        (["a", "b", "c"], PART, 1 / 3),
        (["a", "c"], WRONG, 0.0),
        (["c", "e"], WRONG, 0.0),
        (["a", "b", "c", "d", "e"], PART, 1 / 3),  # ticking everything is no strategy
    ],
)
def test_several_right_gets_partial_credit(
    answer: str | list[str], verdict: Verdict, score: float
) -> None:
    grade = grade_response(SEVERAL, answer)
    assert grade.verdict is verdict
    assert grade.score == pytest.approx(score)


def test_partial_feedback_counts_and_quotes_the_picked_choices_in_order() -> None:
    grade = grade_response(SEVERAL, ["c", "a"])
    assert grade.feedback == (
        "You picked 1 of the 3 right choices and 1 wrong one(s). About a. About c."
    )


def test_choice_feedback_in_chinese() -> None:
    assert grade_response(SINGLE, "a", "zh").feedback == "不正确。 关于 a。"
    grade = grade_response(SEVERAL, ["a"], "zh-CN")
    assert grade.feedback.startswith("你选对了 3 个正确选项中的 1 个")


def test_unknown_ids_say_which_exist() -> None:
    grade = grade_response(SEVERAL, ["a", "x", "y"])
    assert grade.verdict is WRONG
    assert grade.feedback == "There is no choice x, y; the choices are a, b, c, d, e."
