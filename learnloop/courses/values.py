"""Checking answer values that a teacher writes as text: numbers and sympy expressions.

A typo here would only show when the first student answers and every answer is marked wrong,
so the pack validator reads them up front.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache
from typing import Any

_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_FORMS = (
    (re.compile(rf"^({_DECIMAL})$"), "decimal"),
    (re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$"), "fraction"),
    (re.compile(r"^([+-]?\d+)\s+(\d+)\s*/\s*(\d+)$"), "mixed"),
    (re.compile(rf"^({_DECIMAL})\s*%$"), "percent"),
)
NUMBER_HINT = "write a number as 0.75, 3/4, '1 1/2' (mixed number) or 75%"


def parse_number(text: str) -> Fraction | None:
    """The exact value of a teacher-written number, or None if it is not one."""
    t = text.strip()
    for pattern, form in _NUMBER_FORMS:
        m = pattern.match(t)
        if m is None:
            continue
        if form == "decimal":
            return Fraction(m.group(1))
        if form == "percent":
            return Fraction(m.group(1)) / 100
        if form == "fraction":
            den = int(m.group(2))
            return Fraction(int(m.group(1)), den) if den else None
        whole, num, den = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if den == 0:
            return None
        sign = -1 if m.group(1).startswith("-") else 1
        return whole + sign * Fraction(num, den)
    return None


_UNSAFE = re.compile(r"__|[\"'`\\\[\]{};:@$!?&|~<>]|\blambda\b|\bimport\b")


def expression_error(text: str, variables: list[str]) -> str | None:
    """Why sympy cannot read ``text``, or None when it can.

    Expressions come from the pack's author, but packs can be uploaded to a server, so anything
    that is not plain algebra is refused before sympy (which uses ``eval``) sees it.
    """
    if not text.strip():
        return "the expression is empty"
    if _UNSAFE.search(text):
        return "the expression contains characters that are not part of algebra"
    sides = text.split("=")
    if len(sides) > 2:
        return "an equation has one '='"
    from sympy import Symbol
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        parse_expr,
        standard_transformations,
    )

    local = {v: Symbol(v) for v in variables if v.isidentifier()}
    transformations = (*standard_transformations, implicit_multiplication, convert_xor)
    for side in sides:
        if not side.strip():
            return "one side of the equation is empty"
        try:
            parse_expr(
                side,
                local_dict=dict(local),
                global_dict=_sympy_namespace(),
                transformations=transformations,
            )
        except Exception as exc:  # sympy raises many kinds: SyntaxError, TypeError, TokenError
            return f"sympy cannot read {side.strip()!r}: {type(exc).__name__}"
    return None


@cache
def _sympy_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec("from sympy import *", namespace)
    namespace["__builtins__"] = {}
    return namespace
