"""The public entry point: dispatch by item type, free text refused, broken items reported."""

from __future__ import annotations

import pytest

from learnloop.domain import ItemType, Verdict
from learnloop.errors import InvalidInputError
from learnloop.grading import CATALOGUE, GRADERS, check_item, grade_response, supports
from tests.grading.helpers import choice, expression, make_item, numeric, text


def test_every_objective_item_type_has_a_rule_grader() -> None:
    assert set(GRADERS) == set(ItemType) - {ItemType.FREE_TEXT}
    examples = [choice(["a"]), numeric("1"), expression("x"), text(["yes"])]
    names = {grade_response(item, "?").grader for item in examples}
    assert names == {"rules.choice", "rules.numeric", "rules.expression", "rules.text"}


def test_free_text_is_not_rule_gradable_and_says_so() -> None:
    item = make_item("free_text", reference_answers=["Because chlorophyll reflects green."])
    assert not supports(item)
    assert supports(numeric("1"))
    with pytest.raises(InvalidInputError, match="learned grader"):
        grade_response(item, "It reflects green light.")
    assert check_item(item) == []


def test_a_broken_numeric_value_is_an_authoring_error_naming_the_item() -> None:
    item = numeric("three quarters")
    with pytest.raises(InvalidInputError, match=item.id) as raised:
        grade_response(item, "3/4")
    assert "course pack" in raised.value.message
    assert check_item(item) == ["'value' 'three quarters' is not a number learnloop can read"]


def test_check_item_flags_misleading_numeric_specs() -> None:
    assert check_item(numeric("3/4")) == []
    assert check_item(numeric("1/3", forms=["decimal"]))  # no exact decimal, no tolerance
    assert check_item(numeric("1/3", forms=["decimal"], tolerance=0.001)) == []
    assert check_item(numeric("12", units={"mm": 0.1}))  # other units without the main one
    assert check_item(text([]))


def test_every_message_has_english_and_chinese() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) == {"en", "zh"}, key


def test_scores_and_verdicts_agree() -> None:
    grade = grade_response(choice(["a", "b"], multiple=True), ["a"])
    assert (grade.verdict, grade.score) == (Verdict.PARTIALLY_CORRECT, 0.5)
