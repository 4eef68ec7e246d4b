"""Coverage feedback: the key points a teacher would tick off, in English and Chinese."""

from __future__ import annotations

import pytest

from learnloop.errors import InvalidInputError
from learnloop.grading.learned import Coverage, coverage, coverage_feedback, key_phrases

PLANTS_Q = "What does a plant need for photosynthesis?"
PLANTS = "Plants need sunlight, water and carbon dioxide."

STORE_Q = "在仓储企业中，一般包括什么岗位？"
STORE = "在仓储企业中，一般包括保管员、理货员、商品养护员等岗位。"


def test_a_list_answer_is_split_into_its_items() -> None:
    assert key_phrases(PLANTS, question=PLANTS_Q) == [
        "Plants need sunlight",
        "water",
        "carbon dioxide",
    ]


def test_partial_answer_names_what_is_covered_and_what_is_missing() -> None:
    result = coverage("They need water and sunlight.", PLANTS, question=PLANTS_Q)
    assert result == Coverage(
        covered=["Plants need sunlight", "water"], missing=["carbon dioxide"], ratio=2 / 3
    )
    assert coverage_feedback(result) == (
        "You covered “Plants need sunlight” and “water”, "
        "but your answer is still missing “carbon dioxide”."
    )


def test_words_the_question_gives_away_do_not_count_as_covering() -> None:
    result = coverage("A plant needs things for photosynthesis.", PLANTS, question=PLANTS_Q)
    assert result.covered == []
    assert coverage_feedback(result) == (
        "Your answer is still missing “Plants need sunlight”, “water” and “carbon dioxide”."
    )


def test_other_word_forms_and_small_typos_still_cover() -> None:
    reference = "The terminals are separated by a gap."
    for answer in ("the terminal is seperated by gaps", "a gap separates the terminals"):
        assert coverage(answer, reference).ratio == 1.0, answer


def test_saying_the_opposite_does_not_cover_a_point() -> None:
    reference = "Terminal 1 and the positive terminal are not connected."
    assert coverage("terminal 1 is connected to the positive terminal", reference).ratio == 0.0
    assert coverage("terminal 1 is not connected to the positive one", reference).ratio == 1.0
    negated = coverage("the bulb is not in a closed path", "The bulb is in a closed path.")
    assert negated.missing == ["The bulb is in a closed path"]


def test_the_answer_is_measured_against_the_reference_it_follows() -> None:
    references = [
        "Terminal 1 and the positive terminal are separated by the gap",
        "Terminal 1 and the positive terminal are not connected",
    ]
    question = "Why was the voltage 1.5 between terminal 1 and the positive terminal?"
    result = coverage("they are not connected", references, question=question)
    assert result.covered == ["Terminal 1 and the positive terminal are not connected"]
    assert result.ratio == 1.0


def test_complete_answer_gets_praise_naming_the_points() -> None:
    result = coverage("sunlight, water and carbon dioxide", PLANTS, question=PLANTS_Q)
    assert result.missing == []
    assert coverage_feedback(result).startswith("You covered every key point: ")


def test_long_lists_are_shortened_in_the_sentence() -> None:
    result = Coverage(covered=[], missing=["a", "b", "c", "d", "e", "f"], ratio=0.0)
    assert coverage_feedback(result, max_items=3) == (
        "Your answer is still missing “a”, “b”, “c” and 3 more points."
    )
    assert coverage_feedback(Coverage([], [], 0.0)) == ""


def test_chinese_reference_is_split_into_positions_without_the_question_words() -> None:
    assert key_phrases(STORE, question=STORE_Q) == ["保管员", "理货员", "商品养护员等岗位"]


def test_chinese_partial_answer_and_feedback() -> None:
    result = coverage("有保管员和理货员", STORE, question=STORE_Q)
    assert result.covered == ["保管员", "理货员"]
    assert result.missing == ["商品养护员等岗位"]
    assert (
        coverage_feedback(result, "zh-CN")
        == "你答到了“保管员”和“理货员”，但还缺少“商品养护员等岗位”。"
    )


def test_chinese_answer_that_names_every_item_is_complete() -> None:
    result = coverage("保管员、商品养护员、理货员", STORE, question=STORE_Q)
    assert result.ratio == 1.0
    assert coverage_feedback(result, "zh") == (
        "你答到了所有要点：“保管员”、“理货员”和“商品养护员等岗位”。"
    )
    nothing = coverage("司机", STORE, question=STORE_Q)
    assert coverage_feedback(nothing, "zh") == (
        "你的回答还缺少这些要点：“保管员”、“理货员”和“商品养护员等岗位”。"
    )


def test_chinese_headings_before_a_dash_or_colon_are_not_points() -> None:
    reference = "水路运输的优缺点：优点——运量大、运费低。缺点——速度慢、易受天气影响。"
    question = "水路运输的优缺点有哪些？"
    assert key_phrases(reference, question=question) == [
        "运量大",
        "运费低",
        "速度慢",
        "易受天气影响",
    ]
    result = coverage("运费低，但是速度慢", reference, question=question)
    assert result.covered == ["运费低", "速度慢"]
    assert result.ratio == 0.5


def test_a_reference_is_required() -> None:
    with pytest.raises(InvalidInputError, match="reference"):
        coverage("anything", ["", "  "])
