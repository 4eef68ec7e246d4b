"""Broken, huge and malicious answers: each gets a clear verdict quickly, none crashes a worker."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from learnloop.domain import Grade, Item, Verdict
from learnloop.grading import MAX_ANSWER_CHARS, grade_response
from tests.grading.helpers import choice, expression, numeric, text

ITEMS: dict[str, Item] = {
    "choice": choice(["a", "c"], multiple=True),
    "numeric": numeric("3/4", unit="cm", units={"mm": 0.1}),
    "expression": expression("2x + 2", ["x"]),
    "equation": expression("y = 2x + 1", ["x", "y"]),
    "text": text(["chlorophyll"], patterns=["chloroph[iy]ll"]),
}

HOSTILE: list[Any] = [
    "x" * 1_000_000,
    "9" * 5_000_000,
    "9**9**9**9",
    "10^10^10^10",
    "x^(10^9)",
    "2^2^2^2^2^2^2^2",
    "x^x^x^x",
    "exp(exp(exp(exp(x))))",
    "100000!",
    "factorial(100000)",
    "(" * 100 + "x" + ")" * 100,
    "(" * 5000 + ")" * 5000,
    "x" + "^x" * 300,
    "+".join(["x"] * 900),
    "sqrt(" + "9" * 1500 + ")",
    "(x+y+1)^1000",
    "(x+10^500)^300",
    "sin(" * 50 + "x" + ")" * 50,
    "tan(cot(sec(999^3^x*e(3*999)/asin(pi)**asin(0.5)+999)))",
    "9999999999^abs(9999999999)",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u202e\u2066x\u2069\u200f",
    "😀🙃" * 10,
    "\ud800\udfff\ud83d",
    "\x00\x01\x1b[2J",
    "",
    "   \t\n ",
    None,
    "None",
    "null",
    "NaN",
    "inf",
    "-0",
    ["1", "2"],
    [],
    [None],
    42,
    4.5,
    True,
    {"a": 1},
    b"2x+2",
    "﷽" * 300,
    "ａ" * MAX_ANSWER_CHARS,
    "一" * 1000,
    "亿" * 1000,
    "四分之" * 600,
    "1e99999999999",
    "1,2,3,4,5,6,7,8,9",
    "=" * 10,
    "x==2",
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
]


def _run(item: Item, answer: Any) -> tuple[Grade, float]:
    start = time.perf_counter()
    grade = grade_response(item, answer)
    return grade, time.perf_counter() - start


@pytest.mark.timeout(10)
@pytest.mark.parametrize("index", range(len(HOSTILE)))
@pytest.mark.parametrize("kind", sorted(ITEMS))
def test_every_hostile_answer_gets_a_valid_grade(kind: str, index: int) -> None:
    answer = HOSTILE[index]
    grade, seconds = _run(ITEMS[kind], answer)
    assert isinstance(grade, Grade)
    assert 0.0 <= grade.score <= 1.0
    assert grade.feedback
    assert grade.details.get("reason") != "internal_error", grade
    assert seconds < 10


HOSTILE_VERDICTS: list[tuple[str, Any, str]] = [
    ("expression", "x" * 1_000_000, "Your answer is too long (max 2,000 characters)."),
    ("numeric", "9" * 5_000_000, "Your answer is too long (max 2,000 characters)."),
    ("text", "a" * 10_000, "Your answer is too long (max 2,000 characters)."),
    ("choice", ["a"] * 1000, "Your answer is too long (max 2,000 characters)."),
    ("expression", "9**9**9**9", "An exponent in this expression is too large (max 1,000)."),
    ("expression", "10^10^10^10", "An exponent in this expression is too large (max 1,000)."),
    ("expression", "x^(10^9)", "An exponent in this expression is too large (max 1,000)."),
    ("expression", "100000!", "The character '!' cannot be used in this answer."),
    ("expression", "(" * 100 + "x" + ")" * 100, "Too many nested brackets (max 30)."),
    ("expression", "+".join(["x"] * 900), "This expression is too long (max 400 symbols)."),
    ("expression", "sqrt(" + "9" * 1500 + ")", "too large to work with"),
    ("expression", "2x+2\u200b\u202e", "Correct."),
    ("expression", "😀", "The character '😀' cannot be used in this answer."),
    ("expression", "", "No answer was given."),
    ("expression", "  \t ", "No answer was given."),
    ("expression", None, "No answer was given."),
    ("expression", ["2x+2", "x"], "Give one answer, not a list of 2."),
    ("expression", "None", "Unknown name(s): None. This question uses x."),
    ("numeric", "NaN", "Could not read this as a number"),
    ("numeric", "inf", "Could not read this as a number"),
    ("numeric", "null", "Could not read this as a number"),
    ("numeric", "😀", "Could not read this as a number"),
    ("numeric", {"a": 1}, "This answer could not be read."),
    ("numeric", ["3/4 cm"], "Correct."),
    ("numeric", "1e99999999999", "too large to check"),
    ("choice", "", "No choice was picked."),
    ("choice", [None], "No choice was picked."),
    ("choice", "a" * 100, "There is no choice aaaaaaaaaaaaaaaaaaaa…"),
    ("text", "\u200b", "No answer was given."),
    ("text", "。！", "No answer was given."),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("kind", "answer", "says"), HOSTILE_VERDICTS)
def test_hostile_answers_get_a_clear_reason(kind: str, answer: Any, says: str) -> None:
    grade, _ = _run(ITEMS[kind], answer)
    expected = Verdict.CORRECT if says.startswith("Correct") else Verdict.INCORRECT
    assert grade.verdict is expected
    assert says in grade.feedback


@pytest.mark.timeout(60)
def test_graders_are_safe_to_call_from_a_thread_pool() -> None:
    jobs = [(kind, answer) for kind in sorted(ITEMS) for answer in HOSTILE[2:20]]
    expected = [grade_response(ITEMS[k], a) for k, a in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda job: grade_response(ITEMS[job[0]], job[1]), jobs))
    assert got == expected
