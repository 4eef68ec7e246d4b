"""Algebraic answers graded by equivalence, not by how they are written.

Two expressions are equivalent when their difference is zero:

1. sympy's automatic evaluation already makes the difference ``0`` (``x*2+2`` vs ``2*x+2``);
2. for polynomials and rational functions with rational coefficients of modest size, the
   numerator of the difference is expanded exactly: zero means equivalent, anything else
   means not (both verdicts are proofs);
3. otherwise (roots, logarithms, trigonometry, or too big to expand) both are evaluated at
   seeded random points with 20 significant digits: one clear disagreement proves they differ;
   agreement at several points is taken as equivalence.

Variables are taken positive when roots or logarithms appear (the school convention that makes
``sqrt(x^2)`` equal ``x``); otherwise negative points are tried too, so ``abs(x)`` is not ``x``.
A false "equivalent" from step 3 would need two different functions to agree to ten digits at
four or more random points.

``sympy.simplify`` is deliberately not used: its running time has no bound, the grader runs in
a thread pool where nothing can interrupt it, and steps 1-3 decide every answer with bounded
work (``safe_math`` bounds the size of what is parsed; step 2 checks the size of the expansion
first; step 3 evaluates at most ten points, with bounded precision, within
``TIME_BUDGET_SECONDS``).

Equations are equivalent when one side-difference is a nonzero constant multiple of the other:
``y = 2x + 1``, ``2y = 4x + 2`` and ``2x + 1 - y = 0`` all match. That is sound (a multiple has
the same solutions) but conservative: rewritings that change more than a factor, such as
squaring both sides, are marked not equivalent.
"""

from __future__ import annotations

import enum
import math
import random
import time
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import sympy

from learnloop.domain.course import ExpressionAnswer
from learnloop.domain.grade import Grade, Verdict
from learnloop.grading.base import REVIEW_CONFIDENCE, RuleGrader, SpecError
from learnloop.grading.messages import message
from learnloop.grading.safe_input import UnreadableAnswer, fold_math, read_text
from learnloop.grading.safe_math import CONSTANTS, FUNCTIONS, Math, infer_variables, parse_math

MAX_EXPANDED_TERMS = 400
MAX_EXACT_DEGREE = 64
MAX_DENOMINATORS = 4
MAX_COEFFICIENT_DIGITS = 20_000
"""Expanding ``(x + 10**500)**300`` is exact but slow; such answers are compared numerically."""
TIME_BUDGET_SECONDS = 2.0
"""Numeric checks stop early past this; the grade is then left to a teacher."""

_PRECISION = 20
_MAX_PRECISION = 50
_POINTS = 10
_POINTS_NEEDED = 4
_SEED = 20240611
_RELATIVE_TOLERANCE = mpmath.mpf("1e-10")


class Outcome(enum.Enum):
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Comparison:
    outcome: Outcome
    method: str
    """``symbolic``, ``expanded`` or ``numeric``: how the outcome was reached."""


@dataclass(frozen=True)
class _Expected:
    math: Math
    variables: tuple[str, ...]
    symbols: tuple[sympy.Symbol, ...]


class ExpressionGrader(RuleGrader[ExpressionAnswer]):
    name = "rules.expression"
    spec_type = ExpressionAnswer

    def evaluate(self, spec: ExpressionAnswer, response: object, lang: str) -> Grade:
        expected = _expected(spec.expression, tuple(spec.variables))
        text = fold_math(read_text(response))
        if ("=" in text) != expected.math.is_equation:
            key = "expr_need_equation" if expected.math.is_equation else "expr_need_expression"
            raise UnreadableAnswer(key)
        answer = parse_math(text, expected.variables)
        if expected.math.is_equation:
            comparison = proportional(
                answer.as_zero_form(), expected.math.as_zero_form(), expected.symbols
            )
            wrong = "expr_equation_not_equivalent"
        else:
            comparison = equivalent(answer.sides[0], expected.math.sides[0], expected.symbols)
            wrong = "expr_not_equivalent"
        details: dict[str, object] = {"method": comparison.method}
        if comparison.outcome is Outcome.EQUIVALENT:
            return self.result(Verdict.CORRECT, 1.0, message("correct", lang), details=details)
        if comparison.outcome is Outcome.DIFFERENT:
            return self.result(Verdict.INCORRECT, 0.0, message(wrong, lang), details=details)
        return self.result(
            Verdict.INCORRECT,
            0.0,
            message("needs_review", lang),
            confidence=REVIEW_CONFIDENCE,
            details=details,
        )

    def check_spec(self, spec: ExpressionAnswer) -> list[str]:
        clashes = [v for v in spec.variables if v in FUNCTIONS or (v in CONSTANTS and v != "e")]
        if clashes:
            return [f"variables {clashes} clash with function or constant names"]
        _expected(spec.expression, tuple(spec.variables))
        return []


@lru_cache(maxsize=1024)
def _expected(expression: str, declared: tuple[str, ...]) -> _Expected:
    variables = declared or infer_variables(fold_math(expression))
    try:
        parsed = parse_math(fold_math(expression), variables)
    except UnreadableAnswer as exc:
        raise SpecError(
            f"'expression' {expression!r} cannot be read ({exc.key}); "
            f"declared variables: {list(variables)}"
        ) from exc
    return _Expected(parsed, variables, tuple(sympy.Symbol(v) for v in variables))


def equivalent(a: sympy.Expr, b: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> Comparison:
    """Whether ``a`` and ``b`` are the same function of ``symbols``."""
    difference = a - b
    if difference == 0:
        return Comparison(Outcome.EQUIVALENT, "symbolic")
    if _exactly_expandable(difference, symbols):
        numerator, _ = sympy.fraction(sympy.together(difference))
        zero = sympy.expand(numerator) == 0
        return Comparison(Outcome.EQUIVALENT if zero else Outcome.DIFFERENT, "expanded")
    return _numeric(a, b, symbols, ratio=False)


def proportional(a: sympy.Expr, b: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> Comparison:
    """Whether ``a == k * b`` for a constant ``k != 0`` (``a = 0`` and ``b = 0`` as equations)."""
    if a == b or a == -b:
        return Comparison(Outcome.EQUIVALENT, "symbolic")
    if _exactly_expandable(a, symbols) and _exactly_expandable(b, symbols):
        a_num, a_den = sympy.fraction(sympy.together(a))
        b_num, b_den = sympy.fraction(sympy.together(b))
        a_num, b_num = sympy.expand(a_num), sympy.expand(b_num)
        if a_num == 0 or b_num == 0:
            same = a_num == b_num
        else:
            ratio = sympy.cancel(a_num * b_den / (b_num * a_den))
            same = not (ratio.free_symbols & set(symbols)) and ratio != 0
        return Comparison(Outcome.EQUIVALENT if same else Outcome.DIFFERENT, "expanded")
    return _numeric(a, b, symbols, ratio=True)


def _exactly_expandable(expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> bool:
    """A rational function over the rationals, small enough to expand in a few milliseconds."""
    for atom in expr.atoms():
        if not (atom in symbols or isinstance(atom, sympy.Rational)):
            return False
    denominators = {p.base for p in expr.atoms(sympy.Pow) if p.exp.is_negative}
    if len(denominators) > MAX_DENOMINATORS:
        return False
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and not isinstance(node.exp, sympy.Integer):
            return False
        if not isinstance(node, sympy.Add | sympy.Mul | sympy.Pow | sympy.Symbol | sympy.Rational):
            return False
    terms, degree = _expansion(expr)
    digits = sum(_digits(r) for r in expr.atoms(sympy.Rational))
    return (
        terms <= MAX_EXPANDED_TERMS
        and degree <= MAX_EXACT_DEGREE
        and digits * max(degree, 1) <= MAX_COEFFICIENT_DIGITS
    )


def _digits(number: sympy.Rational) -> int:
    return len(str(abs(number.p))) + len(str(number.q))


def _expansion(expr: sympy.Expr) -> tuple[int, int]:
    """Upper bounds for the number of terms and the degree of ``expr`` once expanded."""
    cap = MAX_EXPANDED_TERMS + 1
    if isinstance(expr, sympy.Add):
        parts = [_expansion(arg) for arg in expr.args]
        return min(cap, sum(t for t, _ in parts)), max(d for _, d in parts)
    if isinstance(expr, sympy.Mul):
        terms, degree = 1, 0
        for arg in expr.args:
            t, d = _expansion(arg)
            terms, degree = min(cap, terms * t), degree + d
        return terms, degree
    if isinstance(expr, sympy.Pow):
        t, d = _expansion(expr.base)
        n = abs(int(expr.exp))
        if n > MAX_EXACT_DEGREE:
            return cap, n * max(d, 1)
        return min(cap, math.comb(t + n - 1, n) if t > 1 else 1), d * n
    return 1, 1 if isinstance(expr, sympy.Symbol) else 0


def _numeric(
    a: sympy.Expr, b: sympy.Expr, symbols: tuple[sympy.Symbol, ...], *, ratio: bool
) -> Comparison:
    """Compare values (or, for ``ratio``, look for a constant ratio) at seeded random points.

    Variables are positive unless both sides are free of roots, logarithms and inverse sines,
    the usual convention of school algebra: ``sqrt(x^2)`` is ``x`` and ``log(xy)`` is
    ``log(x) + log(y)``, while ``abs(x)`` is still told apart from ``x``.
    """
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    rng = random.Random(_SEED)
    signs = _real_everywhere(a) and _real_everywhere(b)
    agreeing = one_sided = 0
    first_ratio: mpmath.mpc | None = None
    for index in range(_POINTS if symbols else 1):
        if time.monotonic() > deadline:
            break
        negative = signs and index >= _POINTS_NEEDED
        point = {s: _random_value(rng, negative_allowed=negative) for s in symbols}
        va, vb = _value_at(a, point), _value_at(b, point)
        if va is None or vb is None:
            one_sided += (va is None) != (vb is None)
            continue
        if not ratio:
            if not _close(va, vb):
                return Comparison(Outcome.DIFFERENT, "numeric")
            agreeing += 1
            continue
        if _is_zero(va) != _is_zero(vb):
            return Comparison(Outcome.DIFFERENT, "numeric")
        if _is_zero(va):
            continue
        current = va / vb
        if first_ratio is None:
            first_ratio = current
        elif not _close(current, first_ratio):
            return Comparison(Outcome.DIFFERENT, "numeric")
        agreeing += 1
    if agreeing >= (_POINTS_NEEDED if symbols else 1):
        return Comparison(Outcome.EQUIVALENT, "numeric")
    if one_sided:
        # Defined where the other is not, and never shown equal: not the same function.
        return Comparison(Outcome.DIFFERENT, "numeric")
    return Comparison(Outcome.UNDECIDED, "numeric")


def _real_everywhere(expr: sympy.Expr) -> bool:
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.log | sympy.asin | sympy.acos):
            return False
        if isinstance(node, sympy.Pow) and not isinstance(node.exp, sympy.Integer):
            return False
    return True


def _random_value(rng: random.Random, *, negative_allowed: bool) -> sympy.Float:
    """Non-integer values near 1 (0.2-2.2 in size): away from poles at 0 and special angles."""
    value = 0.2 + 2.0 * rng.random()
    if negative_allowed and rng.random() < 0.5:
        value = -value
    return sympy.Float(repr(value), _PRECISION)


def _value_at(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Float]) -> mpmath.mpc | None:
    try:
        value = expr.evalf(_PRECISION, subs=point, maxn=_MAX_PRECISION)
        real, imag = value.as_real_imag()
        if not (isinstance(real, sympy.Number) and isinstance(imag, sympy.Number)):
            return None
        if not (real.is_finite and imag.is_finite):
            return None
        return mpmath.mpc(mpmath.mpf(real), mpmath.mpf(imag))
    except (ArithmeticError, ValueError, TypeError):
        return None


def _is_zero(value: mpmath.mpc) -> bool:
    return bool(abs(value) < mpmath.mpf("1e-20"))


def _close(x: mpmath.mpc, y: mpmath.mpc) -> bool:
    scale = max(mpmath.mpf(1), abs(x), abs(y))
    return bool(abs(x - y) <= _RELATIVE_TOLERANCE * scale)
