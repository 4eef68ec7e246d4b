"""Numeric answers: forms, exactness, tolerances, units and the feedback a student reads."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from learnloop.domain import Verdict
from learnloop.grading import grade_response
from tests.grading.helpers import numeric

OK, PART, WRONG = Verdict.CORRECT, Verdict.PARTIALLY_CORRECT, Verdict.INCORRECT

SAME_VALUE = [
    # (expected value, answer) pairs that must all be correct
    ("3/4", "3/4"),
    ("3/4", "0.75"),
    ("3/4", "75%"),
    ("3/4", "75 %"),
    ("3/4", ".75"),
    ("3/4", "6/8"),
    ("0.75", "3/4"),
    ("75%", "0.75"),
    ("3/4", "３/４"),  # full-width digits
    ("3/4", "0.75."),  # a sentence's full stop
    ("3/4", "四分之三"),
    ("3/4", "4分之3"),
    ("3/4", "百分之七十五"),
    ("1 1/2", "1 1/2"),
    ("1 1/2", "3/2"),
    ("1 1/2", "1.5"),
    ("1 1/2", "1½"),
    ("1 1/2", "150%"),
    ("1 1/2", "一又二分之一"),
    ("-1 1/2", "-1 1/2"),
    ("-1 1/2", "-3/2"),
    ("-1 1/2", "负二分之三"),
    ("-5", "−5"),  # Unicode minus sign
    ("-5", "- 5"),
    ("1000000", "1,000,000"),
    ("1500", "1.5e3"),
    ("1500", "1.5×10³"),
    ("1500", "1.5*10^3"),
    ("0.0015", "1.5E-3"),
    ("3.5", "三点五"),
    ("105", "一百零五"),
    ("250000", "二十五万"),
    ("2", "2.0"),
    ("2", "4/2"),
]


@pytest.mark.parametrize(("value", "answer"), SAME_VALUE)
def test_the_same_number_written_any_accepted_way_is_correct(value: str, answer: str) -> None:
    grade = grade_response(numeric(value), answer)
    assert grade.verdict is OK, grade.feedback
    assert grade.score == 1.0
    assert grade.grader == "rules.numeric"


def test_three_quarters_as_fraction_decimal_and_percent_are_one_value() -> None:
    for value in ("3/4", "0.75", "75%"):
        item = numeric(value)
        assert {grade_response(item, a).verdict for a in ("3/4", "0.75", "75%")} == {OK}


CASES: list[tuple[str, dict[str, Any], str, Verdict, float, str]] = [
    # value, spec, answer, verdict, score, a fragment of the feedback
    ("3/4", {}, "3/5", WRONG, 0, "too small"),
    ("3/4", {}, "0.8", WRONG, 0, "too big"),
    ("3/4", {}, "-3/4", WRONG, 0, "should not be negative"),
    ("-5", {}, "5", WRONG, 0, "negative sign is missing"),
    ("3/4", {}, "4/3", WRONG, 0, "Upside down"),
    ("3/4", {}, "7.5", WRONG, 0, "factor of 10"),
    ("3/4", {}, "0.075", WRONG, 0, "factor of 10"),
    ("3/4", {}, "75", WRONG, 0, "percent sign"),
    ("2.5", {"forms": ["decimal"]}, "2500", WRONG, 0, "factor of 1,000"),
    ("3.5", {}, "350", WRONG, 0, "factor of 100: check the decimal point"),
    ("40%", {}, "40", WRONG, 0, "percent sign"),
    ("1/3", {}, "0.333", WRONG, 0, "Close, but not exact"),
    ("1/3", {}, "0.333", WRONG, 0, "a fraction is fine"),
    ("1/3", {"tolerance": 0.001}, "0.333", OK, 1, "within the allowed tolerance"),
    ("1/3", {"relative_tolerance": 0.01}, "0.33", OK, 1, "tolerance"),
    ("100", {"relative_tolerance": 0.01}, "101", OK, 1, "tolerance"),
    ("100", {"relative_tolerance": 0.01}, "102", WRONG, 0, "too big"),
    ("3/4", {"simplest_form": True}, "6/8", PART, 0.5, "not in simplest form"),
    ("3/4", {"simplest_form": True}, "3/4", OK, 1, "Correct"),
    ("3/4", {"simplest_form": True}, "0.75", OK, 1, "Correct"),
    ("1 1/2", {"simplest_form": True}, "1 2/4", PART, 0.5, "simplest form"),
    ("2", {"simplest_form": True}, "4/2", PART, 0.5, "simplest form"),
    ("3/4", {"forms": ["fraction"]}, "75%", PART, 0.5, "write it as a fraction"),
    ("3/4", {"forms": ["fraction"]}, "0.75", PART, 0.5, "write it as a fraction"),
    ("3/4", {"forms": ["fraction", "mixed"]}, "0.75", PART, 0.5, "a fraction or a mixed number"),
    ("3/4", {"forms": ["fraction"]}, "3/4", OK, 1, "Correct"),
    ("3/4", {"forms": ["percent"]}, "75%", OK, 1, "Correct"),
    ("2", {"forms": ["fraction"]}, "2", OK, 1, "Correct"),
    ("1 1/2", {}, "1-1/2", WRONG, 0, "1 1/2"),
    ("1.5", {}, "1,5", WRONG, 0, "write 1.5, not 1,5"),
    ("3/4", {}, "3/0", WRONG, 0, "denominator"),
    ("3/4", {}, "three quarters", WRONG, 0, "Could not read this as a number"),
    ("3/4", {}, "1e99999999", WRONG, 0, "too large"),
]


@pytest.mark.parametrize(("value", "spec", "answer", "verdict", "score", "says"), CASES)
def test_feedback_says_what_was_wrong(
    value: str, spec: dict[str, Any], answer: str, verdict: Verdict, score: float, says: str
) -> None:
    grade = grade_response(numeric(value, **spec), answer)
    assert (grade.verdict, grade.score) == (verdict, score), grade.feedback
    assert says in grade.feedback


UNITS = {"unit": "cm", "units": {"mm": 0.1, "m": 100}}
UNIT_CASES = [
    ("12 cm", OK, 1.0, "Correct"),
    ("12cm", OK, 1.0, "Correct"),
    ("120 mm", OK, 1.0, "given in mm"),
    ("0.12 m", OK, 1.0, "given in m"),
    ("12", PART, 0.5, "give the unit (cm)"),
    ("12 mm", PART, 0.25, "Right number, wrong unit"),
    ("12 m", PART, 0.25, "wrong unit"),
    ("12 kg", PART, 0.25, "wrong unit"),
    ("13 cm", WRONG, 0.0, "too big"),
    ("13 furlongs", WRONG, 0.0, "'furlongs' is not a unit this question accepts (cm, mm, m)"),
    ("-12 cm", WRONG, 0.0, "should not be negative"),
    ("12 CM", OK, 1.0, "Correct"),
]


@pytest.mark.parametrize(("answer", "verdict", "score", "says"), UNIT_CASES)
def test_units_are_converted_and_a_missing_or_wrong_unit_costs_credit(
    answer: str, verdict: Verdict, score: float, says: str
) -> None:
    grade = grade_response(numeric("12", **UNITS), answer)
    assert (grade.verdict, grade.score) == (verdict, score), grade.feedback
    assert says in grade.feedback


@pytest.mark.parametrize(("unit", "other"), [("cm^2", "mm^2"), ("cm²", "mm²")])
def test_area_units_written_with_superscripts_or_carets_are_one_unit(unit: str, other: str) -> None:
    item = numeric("5", unit=unit, units={other: 0.01})
    assert grade_response(item, "5 cm²").verdict is OK
    assert grade_response(item, "5 cm^2").verdict is OK
    assert grade_response(item, "500 mm²").verdict is OK
    assert grade_response(item, "500 mm^2").verdict is OK


def test_a_unit_where_none_is_needed_does_not_cost_credit() -> None:
    grade = grade_response(numeric("5"), "5 apples")
    assert grade.verdict is OK
    assert "no unit was needed" in grade.feedback


def test_feedback_is_in_chinese_for_chinese_students() -> None:
    assert grade_response(numeric("12", **UNITS), "12", "zh").feedback == (
        "数值正确，但请写上单位（cm）。"
    )
    assert "负号" in grade_response(numeric("-5"), "5", "zh-CN").feedback
    assert grade_response(numeric("3/4"), "3/4", "zh").feedback == "正确。"


def test_an_unknown_language_falls_back_to_english() -> None:
    assert grade_response(numeric("3/4"), "3/4", "fr").feedback == "Correct."


def test_chinese_style_mixed_number_with_digits() -> None:
    """Students in China often type 2又3/4 for two and three quarters."""
    from learnloop.grading.numparse import parse_number

    for text in ("2又3/4", "2 又 3/4"):
        parsed = parse_number(text)
        assert parsed.value == Fraction(11, 4) and parsed.form == "mixed" and parsed.unit == ""
    assert parse_number("2又3/4 升").unit == "升"
