"""Checking the arithmetic in a tutor's reply with sympy instead of trusting the model.

A small model gets sums wrong now and then, and a wrong ``1/2 + 1/3 = 2/5`` in an explanation
teaches the very mistake the student is making. Every equation between numbers in a reply
(``3/4 + 1/8 = 7/8``, ``2 × 3/5 = 6/5``, ``\\frac{1}{2} = 0.5``) is evaluated exactly; the
ones that are false come back with their true value, to show beside the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from learnloop.grading.safe_math import parse_math

_LATEX_FRAC = re.compile(r"\\d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TERM = r"\(?-?(?:\d+\s+\d+/\d+|\d+(?:\.\d+)?)\)?(?:\s*%)?"
_OP = r"\s*[-+*/×÷·]\s*"
_EQUATION = re.compile(
    rf"(?<![\w.)/])((?:{_TERM})(?:{_OP}{_TERM})*)\s*=\s*((?:{_TERM})(?:{_OP}{_TERM})*)(?![\w/(]|\.\d)"
)
_MIXED = re.compile(r"(?<![\d./])(\d+)\s+(\d+)/(\d+)(?![\d/])")


@dataclass(frozen=True)
class WrongEquation:
    text: str
    """The equation as the reply wrote it."""
    left: str
    right: str
    true_value: str
    """What the left side really is, as a fraction or integer."""


def _value(side: str) -> sympy.Expr | None:
    side = _MIXED.sub(r"(\1 + \2/\3)", side).replace("%", "/100")
    try:
        math = parse_math(side, ())
    except Exception:
        return None
    value = math.sides[0]
    return value if value.is_number else None


def wrong_equations(text: str) -> list[WrongEquation]:
    """Every false equation between numbers in ``text``; chains (``a = b = c``) are checked
    link by link. Spans that do not parse are left alone: this checks, it does not judge."""
    text = _LATEX_FRAC.sub(r"(\1)/(\2)", text).replace("\\times", "×").replace("\\div", "÷")
    wrong: list[WrongEquation] = []
    pos = 0
    while (match := _EQUATION.search(text, pos)) is not None:
        pos = match.start(2)  # a chain's next link starts at this right side
        left, right = match.group(1), match.group(2)
        if not re.search(r"[-+*/×÷·%]", left + right) and left.strip() == right.strip():
            continue
        a, b = _value(left), _value(right)
        if a is None or b is None:
            continue
        if sympy.simplify(a - b) != 0:
            decimal = re.search(r"\.\d|%", right) is not None
            true = f"{float(a):.6g}" if decimal else str(sympy.nsimplify(a))
            shown = f"{left.strip()} = {right.strip()}"
            wrong.append(WrongEquation(shown, left.strip(), right.strip(), true))
    return wrong


def correction_note(wrong: list[WrongEquation], language: str) -> str:
    """One line per false equation, in the student's language."""
    if language == "zh":
        lines = [f"核对：{w.text} 不对，{w.left} 等于 {w.true_value}。" for w in wrong]
    else:
        lines = [f"Check: {w.text} is not right; {w.left} is {w.true_value}." for w in wrong]
    return "\n".join(lines)
