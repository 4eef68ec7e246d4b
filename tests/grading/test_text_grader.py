"""Short text answers: normalisation, accepted spellings, patterns and near misses."""

from __future__ import annotations

import pytest

from learnloop.domain import Verdict
from learnloop.grading import grade_response, normalize_text, regex_guard
from tests.grading.helpers import text

OK, WRONG = Verdict.CORRECT, Verdict.INCORRECT


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("  Chlorophyll. ", "chlorophyll"),
        ("ＣＨＬＯＲＯＰＨＹＬＬ", "chlorophyll"),
        ('"chlorophyll"', "chlorophyll"),
        ("photo   synthesis", "photo synthesis"),
        ("叶绿素。", "叶绿素"),
        ("「叶绿素」，", "叶绿素"),
        ("叶 绿 素", "叶绿素"),
        ("¡Hola!", "hola"),
        ("C++", "c++"),
        ("...", ""),
    ],
)
def test_normalisation_ignores_case_width_spacing_and_edge_punctuation(
    raw: str, normalised: str
) -> None:
    assert normalize_text(raw) == normalised


LEAF = text(["chlorophyll", "叶绿素"], patterns=["chloroph[iy]ll"])
CASES = [
    ("chlorophyll", OK, "Correct."),
    ("Chlorophyll!", OK, "Correct."),
    ("  CHLOROPHYLL  ", OK, "Correct."),
    ("chlorophill", OK, "Correct."),  # the pattern allows it
    ("叶绿素。", OK, "Correct."),
    ("叶 绿 素", OK, "Correct."),
    ("chlorophyl", WRONG, "check your spelling"),
    ("chlorofyll", WRONG, "check your spelling"),
    ("xylem", WRONG, "Not quite."),
    ("the chlorophyll", WRONG, "Not quite."),
]


@pytest.mark.parametrize(("answer", "verdict", "says"), CASES)
def test_accepted_answers_patterns_and_spelling_hints(
    answer: str, verdict: Verdict, says: str
) -> None:
    grade = grade_response(LEAF, answer)
    assert grade.verdict is verdict
    assert says in grade.feedback
    assert grade.grader == "rules.text"


def test_spelling_hint_in_chinese() -> None:
    assert grade_response(LEAF, "chlorophyl", "zh").feedback == "很接近了，请检查拼写。"


def test_short_words_get_no_spelling_hint_because_they_are_other_words() -> None:
    assert grade_response(text(["cat"]), "car").feedback == "Not quite."


def test_case_sensitive_answers_point_at_the_capital_letters() -> None:
    item = text(["NaCl"], case_sensitive=True)
    assert grade_response(item, "NaCl").verdict is OK
    grade = grade_response(item, "nacl")
    assert grade.verdict is WRONG
    assert "capital letters" in grade.feedback


def test_patterns_match_the_whole_answer_case_insensitively() -> None:
    item = text([], patterns=[r"\d+ ?(cm|centimet(er|re)s?)"])
    assert grade_response(item, "12 cm").verdict is OK
    assert grade_response(item, "12 Centimetres").verdict is OK
    assert grade_response(item, "about 12 cm").verdict is WRONG


def test_a_backtracking_pattern_runs_in_a_process_and_still_matches() -> None:
    item = text([], patterns=[r"(ab|cd)+"])
    assert regex_guard.is_risky(r"(ab|cd)+")
    assert grade_response(item, "abcdab").verdict is OK
    assert grade_response(item, "abce").verdict is WRONG


@pytest.mark.timeout(10)
def test_a_catastrophic_pattern_is_cut_off_and_left_for_review(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(regex_guard, "TIMEOUT_SECONDS", 0.5)
    item = text(["no"], patterns=[r"(a+)+b"])
    grade = grade_response(item, "a" * 60 + "c")
    assert grade.verdict is WRONG
    assert grade.confidence == 0.0
    assert grade.details["reason"] == "pattern_timeout"
    assert "teacher" in grade.feedback


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        ("chloroph[iy]ll", False),
        (r"\d+ ?cm", False),
        ("colou?r", False),
        ("(a+)+b", True),
        ("(a|aa)*", True),
        (r"(\w+\s?)*$", True),
        (r"(a)\1", True),
        (".*a.*b.*c", True),
    ],
)
def test_risky_pattern_shapes_are_recognised(pattern: str, risky: bool) -> None:
    assert regex_guard.is_risky(pattern) is risky
