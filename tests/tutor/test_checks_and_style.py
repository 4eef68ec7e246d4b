"""Arithmetic checked with sympy, and a student's ratings steering the tutor's style."""

from __future__ import annotations

from learnloop.tutor.checks import correction_note, wrong_equations
from learnloop.tutor.style import Rating, style_from_ratings


def test_a_wrong_sum_is_found_with_its_true_value():
    [wrong] = wrong_equations("So 1/2 + 1/3 = 2/5.")
    assert (wrong.left, wrong.right, wrong.true_value) == ("1/2 + 1/3", "2/5", "5/6")
    assert "5/6" in correction_note([wrong], "en")
    assert "等于 5/6" in correction_note([wrong], "zh")


def test_right_arithmetic_and_non_arithmetic_pass():
    text = r"1/2 + 1/3 = 5/6, 3 × 4 = 12, 2 1/2 = 5/2, 0.5 = 50%, \frac{1}{2} = 0.5 and x = 3."
    assert wrong_equations(text) == []


def test_each_link_of_a_chain_is_checked_and_decimals_answer_in_decimals():
    assert [w.text for w in wrong_equations("1/2 = 2/4 = 3/5")] == ["2/4 = 3/5"]
    [wrong] = wrong_equations("3/4 = 0.7")
    assert wrong.true_value == "0.75"


def test_ratings_set_the_style_and_helpful_ones_change_nothing():
    assert style_from_ratings([]).length == "normal"
    style = style_from_ratings([Rating(False, "too_long"), Rating(True)])
    assert style.length == "short" and style.max_tokens < style_from_ratings([]).max_tokens
    later = style_from_ratings([Rating(False, "too_long"), Rating(False, "too_short")])
    assert later.length == "detailed"
    both = style_from_ratings([Rating(False, "need_example"), Rating(False, "too_hard: big words")])
    assert both.examples and both.simpler


def test_only_recent_ratings_count():
    old = [Rating(False, "too_long")] + [Rating(True)] * 5
    assert style_from_ratings(old).length == "normal"
