"""Expressions and equations graded by equivalence, however the student writes them."""

from __future__ import annotations

import pytest

from learnloop.domain import Verdict
from learnloop.errors import InvalidInputError
from learnloop.grading import check_item, grade_response
from tests.grading.helpers import expression

OK, WRONG = Verdict.CORRECT, Verdict.INCORRECT

EQUIVALENT = [
    ("2*x + 2", "2(x+1)"),
    ("2*x + 2", "2x+2"),
    ("2*x + 2", "x*2+2"),
    ("2*x + 2", "2 + 2x"),
    ("2*x + 2", "2·x + 2"),
    ("2*x + 2", "２x＋２"),  # full width
    ("x**2 - 1", "(x-1)(x+1)"),
    ("x**2 - 1", "x^2 - 1"),
    ("x**2 - 1", "x² - 1"),
    ("(x+1)**2", "x^2 + 2x + 1"),
    ("x/2", "0.5x"),
    ("x/3", "1/3 x"),
    ("1/(x+1) + 1/(x-1)", "2x/(x^2-1)"),
    ("a*b + a*c", "a(b+c)"),
    ("x*y", "xy"),
    ("sin(x)**2 + cos(x)**2", "1"),
    ("sin(2*x)", "2sin(x)cos(x)"),
    ("sin(x)**2", "sin^2 x"),
    ("exp(2*x)", "e^(2x)"),
    ("exp(2*x)", "exp(x)^2"),
    ("sqrt(8)", "2√2"),
    ("log(8)", "3 ln 2"),
    ("log(x*y)", "log(x) + log(y)"),
    ("x", "sqrt(x^2)"),
    ("pi*r**2", "πr²"),
    ("2*pi*r", "2pir"),
    ("x**(1/2)", "√x"),
]


@pytest.mark.parametrize(("expected", "answer"), EQUIVALENT)
def test_equivalent_forms_are_correct(expected: str, answer: str) -> None:
    grade = grade_response(expression(expected), answer)
    assert grade.verdict is OK, (grade.feedback, grade.details)
    assert grade.score == 1.0
    assert grade.grader == "rules.expression"


NOT_EQUIVALENT = [
    ("2*x + 2", "2x+1"),
    ("2*x + 2", "2(x+2)"),
    ("x**2 - 1", "(x-1)^2"),
    ("(x+1)**2", "x^2 + 1"),
    ("x", "abs(x)"),
    ("abs(x)", "x"),
    ("sin(x)**2", "sin x^2"),
    ("1/(x+1)", "1/x + 1"),
    ("sqrt(2)", "1.414"),
]


@pytest.mark.parametrize(("expected", "answer"), NOT_EQUIVALENT)
def test_different_expressions_are_incorrect(expected: str, answer: str) -> None:
    grade = grade_response(expression(expected), answer)
    assert grade.verdict is WRONG
    assert grade.confidence == 1.0
    assert "not equivalent" in grade.feedback


EQUATIONS = [
    ("y = 2x + 1", "y = 2x + 1", OK),
    ("y = 2x + 1", "2x + 1 = y", OK),
    ("y = 2x + 1", "2y = 4x + 2", OK),
    ("y = 2x + 1", "y - 2x - 1 = 0", OK),
    ("y = 2x + 1", "-y = -2x - 1", OK),
    ("y = 2x + 1", "y = 2x", WRONG),
    ("y = 2x + 1", "y = 2x + 1 + x", WRONG),
    ("x^2 + y^2 = 1", "2x^2 + 2y^2 = 2", OK),
    ("x^2 + y^2 = 1", "x^2 = 1 - y^2", OK),
    ("x^2 + y^2 = 1", "x^2 + y^2 = 2", WRONG),
    ("y = sqrt(x)", "y^2 = x", WRONG),  # squaring both sides changes the solutions
]


@pytest.mark.parametrize(("expected", "answer", "verdict"), EQUATIONS)
def test_equations_match_when_one_is_a_nonzero_multiple_of_the_other(
    expected: str, answer: str, verdict: Verdict
) -> None:
    grade = grade_response(expression(expected, ["x", "y"]), answer)
    assert grade.verdict is verdict, grade.feedback


def test_an_expression_for_an_equation_and_back_is_explained() -> None:
    assert "Write an equation" in grade_response(expression("y = 2x", ["x", "y"]), "2x").feedback
    grade = grade_response(expression("2x + 2", ["x"]), "y = 2x + 2")
    assert grade.verdict is WRONG
    assert "without '='" in grade.feedback


def test_unknown_variables_are_named_with_the_ones_the_question_uses() -> None:
    grade = grade_response(expression("2x + 2", ["x"]), "2y + 2z")
    assert grade.verdict is WRONG
    assert grade.feedback == "Unknown name(s): y, z. This question uses x."
    zh = grade_response(expression("2x + 2", ["x"]), "2t", "zh")
    assert zh.feedback == "无法识别：t。这道题只使用 x。"


def test_python_and_unknown_function_names_are_refused_not_evaluated() -> None:
    item = expression("2x + 2", ["x"])
    for answer in ("factorial(x)", "x.real", "__import__('os')", "lambda x: x", "eval(x)"):
        grade = grade_response(item, answer)
        assert grade.verdict is WRONG, answer
        assert grade.details["reason"] in {"expr_unknown_names", "expr_char"}, answer


def test_variables_default_to_the_letters_of_the_expected_expression() -> None:
    item = expression("a*x**2 + b")
    assert grade_response(item, "b + ax^2").verdict is OK
    assert "Unknown name(s): c" in grade_response(item, "c").feedback


def test_a_constant_answer_is_compared_as_a_number() -> None:
    assert grade_response(expression("sqrt(2)/2"), "1/√2").verdict is OK
    assert grade_response(expression("sin(pi/6)"), "1/2").verdict is OK


def test_a_broken_expected_expression_is_an_authoring_error() -> None:
    item = expression("2x +* ", ["x"])
    with pytest.raises(InvalidInputError, match=item.id):
        grade_response(item, "2x")
    assert check_item(item)
    assert check_item(expression("2x + 2", ["x"])) == []
    assert check_item(expression("sin(x)", ["sin"]))


def test_undefined_answers_are_incorrect_with_a_reason() -> None:
    for answer in ("1/0", "log(0)", "x/(x-x)"):
        grade = grade_response(expression("2x", ["x"]), answer)
        assert grade.verdict is WRONG
        assert "undefined" in grade.feedback
