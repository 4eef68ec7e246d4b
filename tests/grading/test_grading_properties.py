"""Properties over many generated answers: any text grades safely; equal values grade equal."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.domain import Grade, Item, Verdict
from learnloop.grading import grade_response
from tests.grading.helpers import choice, expression, numeric, text

ITEMS: dict[str, Item] = {
    "choice": choice(["a", "c"], multiple=True),
    "numeric": numeric("3/4", unit="cm", units={"mm": 0.1}),
    "expression": expression("x^2 + 2x + 1", ["x", "y"]),
    "equation": expression("y = 2x + 1", ["x", "y"]),
    "text": text(["chlorophyll", "叶绿素"], patterns=[r"chloroph[iy]ll", r"\d+ ?cm"]),
}

MATH_ALPHABET = "0123456789xy+-*/^()=. ,%episnqrtcolgab" + "²½√π×÷−（）"
answers = st.one_of(
    st.text(),
    st.text(alphabet=MATH_ALPHABET, max_size=60),
    st.text(min_size=1_990, max_size=2_010),
    st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=4), st.integers(1, 5_000)),
    st.lists(st.text(max_size=10), max_size=4),
)
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", sorted(ITEMS))
@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_OK)
@given(answer=answers)
def test_any_text_gets_a_valid_grade(kind: str, answer: str | list[str]) -> None:
    grade = grade_response(ITEMS[kind], answer)
    assert isinstance(grade, Grade)
    assert 0.0 <= grade.score <= 1.0
    assert grade.feedback
    assert grade.details.get("reason") != "internal_error"


def _decimal(value: Fraction) -> str:
    """Exact decimal digits of a fraction whose denominator is 2^a 5^b."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    digits = str(int(value * 10**places)).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


terminating = st.builds(
    lambda p, a, b: Fraction(p, 2**a * 5**b),
    st.integers(-(10**6), 10**6),
    st.integers(0, 6),
    st.integers(0, 6),
)


@settings(max_examples=200, deadline=None)
@given(value=terminating)
def test_decimal_fraction_and_percent_of_one_value_are_all_correct(value: Fraction) -> None:
    item = numeric(f"{value.numerator}/{value.denominator}")
    for answer in (
        f"{value.numerator}/{value.denominator}",
        _decimal(value),
        _decimal(value * 100) + "%",
    ):
        grade = grade_response(item, answer)
        assert grade.verdict is Verdict.CORRECT, (answer, grade.feedback)


@settings(max_examples=100, deadline=None)
@given(p=st.integers(-999, 999), q=st.integers(1, 999))
def test_rounded_decimals_are_correct_within_a_relative_tolerance(p: int, q: int) -> None:
    value = Fraction(p, q)
    item = numeric(f"{p}/{q}", relative_tolerance=1e-6, tolerance=1e-9)
    assert grade_response(item, f"{float(value):.12g}").verdict is Verdict.CORRECT
    assert grade_response(item, f"{p}/{q}").verdict is Verdict.CORRECT


x = sympy.Symbol("x")
roots = st.lists(st.integers(-9, 9), min_size=1, max_size=4)
leading = st.integers(-5, 5).filter(bool)


def _factored(a: int, rs: list[int]) -> str:
    factors = "".join(f"(x{-r:+d})" if r else "x" for r in rs)
    return f"{a}{factors}"


@settings(max_examples=60, deadline=None)
@given(a=leading, rs=roots)
def test_expanded_and_factored_polynomials_are_equivalent(a: int, rs: list[int]) -> None:
    factored = _factored(a, rs)
    expanded = sympy.expand(a * sympy.prod([x - r for r in rs]))
    assert grade_response(expression(factored, ["x"]), str(expanded)).verdict is Verdict.CORRECT
    assert grade_response(expression(str(expanded), ["x"]), factored).verdict is Verdict.CORRECT
    wrong = str(expanded + 1)
    assert grade_response(expression(factored, ["x"]), wrong).verdict is Verdict.INCORRECT
