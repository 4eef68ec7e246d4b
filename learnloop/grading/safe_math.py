"""Reading a formula typed by a student into sympy without ever running their text as Python.

sympy's ``parse_expr`` compiles its input with ``eval``, so nothing reaches it but a string
rebuilt here from whitelisted tokens: numbers, the item's variables, a few functions and
constants, ``+ - * / ^ ( )``. Names map to sympy objects through a local dictionary and the
global dictionary holds only the constructors the parser emits (no ``__builtins__``), so no
name can reach Python. Implicit multiplication (``2x``, ``2(x+1)``, ``sin x``) and ``^`` for
powers come from sympy's own transformations.

Work is bounded before anything is evaluated. The answer is first parsed with
``evaluate=False``; that tree is walked to bound every exponent and the size of every number
that evaluation could build (``9**9**9**9``, ``10^10^10^10`` and ``x^(10^9)`` stop here), and
numbers that are not real (``sqrt(-1)``, ``log(-2)``) are refused. Only then is the text parsed
again with evaluation on. Token count and bracket depth are capped too, so the Python parser
and sympy never recurse deeply.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    rationalize,
    standard_transformations,
)

from learnloop.grading.safe_input import UnreadableAnswer

MAX_TOKENS = 400
MAX_DEPTH = 30
MAX_EXPONENT = 1000
MAX_DIGITS = 2000
"""No number built while evaluating may have more digits than this."""
MAX_ROOT_DIGITS = 100
"""sympy looks for perfect powers in a root's radicand; that costs seconds at 1,000 digits."""
VARIABLE_DIGITS = 0.5
"""log10 of the largest variable value used when comparing numerically (about 3)."""

FUNCTIONS: dict[str, str] = {
    "sqrt": "sqrt", "cbrt": "cbrt", "exp": "exp", "log": "log", "ln": "log", "abs": "Abs",
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "asin": "asin", "acos": "acos", "atan": "atan",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan",
}  # fmt: skip
"""What a student may write -> the sympy name. ``log`` is the natural logarithm, as in sympy."""
CONSTANTS: dict[str, str] = {"pi": "pi", "e": "E"}
"""``e`` is Euler's number unless the item declares a variable called ``e``."""

_SYMPY: dict[str, Any] = {
    "sqrt": sympy.sqrt, "cbrt": sympy.cbrt, "exp": sympy.exp, "log": sympy.log,
    "Abs": sympy.Abs, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot,
    "sec": sympy.sec, "csc": sympy.csc, "asin": sympy.asin, "acos": sympy.acos,
    "atan": sympy.atan, "pi": sympy.pi, "E": sympy.E,
}  # fmt: skip
_GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "Integer": sympy.Integer,
    "Float": sympy.Float,
    "Rational": sympy.Rational,
    "Symbol": sympy.Symbol,
    "Add": sympy.Add,
    "Mul": sympy.Mul,
    "Pow": sympy.Pow,
}
_TRANSFORMATIONS = (
    *standard_transformations,
    implicit_multiplication_application,
    convert_xor,
    rationalize,
)

_SYMBOL_WORDS = str.maketrans({"π": " pi ", "√": " sqrt ", "∛": " cbrt "})
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+", re.ASCII)
_WORD = re.compile(r"[^\W\d_]\w*")
_DIGITS = re.compile(r"\d+", re.ASCII)


@dataclass(frozen=True)
class Math:
    """A parsed answer: one expression, or the two sides of an equation."""

    sides: tuple[sympy.Expr, ...]

    @property
    def is_equation(self) -> bool:
        return len(self.sides) == 2

    def as_zero_form(self) -> sympy.Expr:
        """``lhs - rhs`` for an equation, the expression itself otherwise."""
        if self.is_equation:
            return self.sides[0] - self.sides[1]
        return self.sides[0]


def parse_math(text: str, variables: tuple[str, ...]) -> Math:
    """Parse folded text (``safe_input.fold_math``); ``UnreadableAnswer`` says what is wrong."""
    text = text.translate(_SYMBOL_WORDS)
    sides = text.split("=")
    if len(sides) > 2:
        raise UnreadableAnswer("expr_one_equals")
    scope = dict(_scope(variables))
    return Math(tuple(_parse_side(side, variables, scope) for side in sides))


def infer_variables(expression: str) -> tuple[str, ...]:
    """Every letter of a teacher's expression that is not part of a function or constant name."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(expression.translate(_SYMBOL_WORDS)):
        pieces = _segment(match.group(), _known_names(()), any_letter=True)
        for piece in pieces or ():
            if piece not in FUNCTIONS and piece not in CONSTANTS and not piece.isdigit():
                found[piece] = None
    return tuple(found)


def _parse_side(text: str, variables: tuple[str, ...], scope: dict[str, Any]) -> sympy.Expr:
    source = " ".join(tokenize(text, variables))
    if not source:
        raise UnreadableAnswer("expr_unreadable")
    unevaluated = _parse(source, dict(scope), evaluate=False)
    check_bounds(unevaluated)
    check_real_constants(unevaluated)
    expr = _parse(source, dict(scope), evaluate=True)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.AccumBounds):
        raise UnreadableAnswer("expr_undefined")
    return expr


def _parse(source: str, scope: dict[str, Any], *, evaluate: bool) -> sympy.Expr:
    try:
        expr = parse_expr(source, scope, _TRANSFORMATIONS, dict(_GLOBALS), evaluate=evaluate)
    except UnreadableAnswer:
        raise
    except Exception as exc:  # SyntaxError, TokenError, TypeError, SympifyError, ...
        raise UnreadableAnswer("expr_unreadable") from exc
    if not isinstance(expr, sympy.Expr):
        raise UnreadableAnswer("expr_unreadable")
    return expr


def tokenize(text: str, variables: tuple[str, ...]) -> list[str]:
    """The answer as sympy-ready tokens, or ``UnreadableAnswer`` naming the first problem."""
    names = _known_names(variables)
    tokens: list[str] = []
    unknown: dict[str, None] = {}
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == " ":
            i += 1
            continue
        if number := _NUMBER.match(text, i):
            if tokens and _NUMBER.fullmatch(tokens[-1]):
                raise UnreadableAnswer("expr_adjacent_numbers")
            tokens.append(number.group())
            i = number.end()
        elif word := _WORD.match(text, i):
            pieces = _segment(word.group(), names, any_letter=False)
            if pieces is None:
                unknown[word.group()] = None
            else:
                tokens.extend(_canonical(p, variables) for p in pieces)
            i = word.end()
        elif text.startswith("**", i) or ch == "^":
            # After a function name (sin^2 x) sympy wants '**'; elsewhere '^' parses best.
            tokens.append(
                "**" if tokens and tokens[-1] in _SYMPY and tokens[-1] not in ("pi", "E") else "^"
            )
            i += 2 if ch == "*" else 1
        elif ch in "+-*/()":
            if ch == "/" and text.startswith("//", i):
                raise UnreadableAnswer("expr_char", char="//")
            if ch == ")" and tokens and tokens[-1] == "(":
                raise UnreadableAnswer("expr_unreadable")  # Python would read () as a tuple
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                raise UnreadableAnswer("expr_brackets")
            if depth > MAX_DEPTH:
                raise UnreadableAnswer("expr_nesting", max=MAX_DEPTH)
            tokens.append(ch)
            i += 1
        else:
            raise UnreadableAnswer("expr_char", char=ch)
        if len(tokens) > MAX_TOKENS:
            raise UnreadableAnswer("expr_too_many_tokens", max=MAX_TOKENS)
    if unknown:
        allowed = ", ".join(variables) if variables else "-"
        shown = [name if len(name) <= 20 else name[:20] + "…" for name in list(unknown)[:5]]
        raise UnreadableAnswer("expr_unknown_names", names=", ".join(shown), allowed=allowed)
    if depth != 0:
        raise UnreadableAnswer("expr_brackets")
    return tokens


def _known_names(variables: tuple[str, ...]) -> tuple[str, ...]:
    names = set(variables) | set(FUNCTIONS) | {c for c in CONSTANTS if c not in variables}
    return tuple(sorted(names, key=len, reverse=True))


def _canonical(piece: str, variables: tuple[str, ...]) -> str:
    if piece in variables or piece.isdigit():
        return piece
    return FUNCTIONS.get(piece) or CONSTANTS[piece]


def _segment(word: str, names: tuple[str, ...], *, any_letter: bool) -> list[str] | None:
    """Split ``sinx`` into ``sin x`` and ``2pix`` into ``pi x``: fewest pieces wins.

    Pieces are known names, digit runs and (``any_letter``) single letters. ``None`` when the
    word cannot be split; the whole word is then reported as unknown.
    """
    n = len(word)
    count: list[int | None] = [None] * (n + 1)
    step: list[str] = [""] * (n + 1)
    count[n] = 0
    for start in range(n - 1, -1, -1):
        options: list[str] = [name for name in names if word.startswith(name, start)]
        if digits := _DIGITS.match(word, start):
            options.append(digits.group())
        if any_letter and word[start].isalpha():
            options.append(word[start])
        for piece in options:
            rest = count[start + len(piece)]
            current = count[start]
            if rest is not None and (current is None or rest + 1 < current):
                count[start], step[start] = rest + 1, piece
    if count[0] is None:
        return None
    pieces, at = [], 0
    while at < n:
        pieces.append(step[at])
        at += len(step[at])
    return pieces


@lru_cache(maxsize=256)
def _scope(variables: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    scope = dict(_SYMPY)
    if "e" in variables:
        scope.pop("E")
    scope.update({v: sympy.Symbol(v) for v in variables})
    return tuple(scope.items())


# Static bounds ------------------------------------------------------------------------------

_LOG10_E = math.log10(math.e)
_PHASE = math.pi * _LOG10_E
"""|b**e| can exceed |b|**Re(e) by exp(pi * |Im(e)|) when the exponent is complex."""
_POLE_DIGITS = 60.0
"""tan, cot, sec, csc near a pole: as large as the working precision allows, no larger."""
_BOUNDED = (sympy.sin, sympy.cos)
_POLES = (sympy.tan, sympy.cot, sympy.sec, sympy.csc)
_INVERSE = (sympy.asin, sympy.acos, sympy.atan)


@dataclass(frozen=True)
class _Size:
    magnitude: float
    """Upper bound of |log10 |value|| wherever the variables are at most about 3."""
    height: float
    """Upper bound of the digits of the exact rational a subtree without variables becomes."""
    constant: bool
    """No variables below: sympy evaluates this subtree exactly, so its height is real work."""
    real: bool
    """Real at real points. Trigonometry of a complex number grows like ``exp``."""


def check_bounds(expr: sympy.Basic) -> None:
    """Refuse an unevaluated tree whose evaluation could build huge numbers.

    Two kinds of work are bounded: exact arithmetic on numbers (``height``, for subtrees
    without variables) and floating-point evaluation at the comparison points
    (``magnitude``: arguments of trigonometric functions need that many digits of pi).
    """
    _size(expr)


def _size(node: sympy.Basic) -> _Size:
    if isinstance(node, sympy.Rational):
        digits = max(math.log10(abs(node.p)) if node.p else 0.0, math.log10(node.q))
        return _Size(digits, digits, True, True)
    if isinstance(node, sympy.Symbol):
        return _Size(VARIABLE_DIGITS, 0.0, False, True)
    if node.is_NumberSymbol:
        return _Size(0.5, 1.0, True, True)
    args = [_size(arg) for arg in node.args]
    constant = all(a.constant for a in args)
    real = all(a.real for a in args)
    heights = sum(a.height for a in args)
    if isinstance(node, sympy.Add):
        spread = math.log10(len(args))
        magnitude = max(a.magnitude for a in args) + spread
        return _check(_Size(magnitude, heights + spread, constant, real))
    if isinstance(node, sympy.Mul):
        return _check(_Size(sum(a.magnitude for a in args), heights, constant, real))
    if isinstance(node, sympy.Pow):
        return _check(_power(node, *args))
    if isinstance(node, sympy.exp):
        return _check(_Size(_exp_like(args[0], "expr_exponent"), heights + 1, constant, real))
    if isinstance(node, sympy.log):
        positive = _is_positive_number(node.args[0])
        magnitude = math.log10(args[0].magnitude * 2.31 + 1) + 0.5
        return _check(_Size(magnitude, heights + 1, constant, positive))
    if isinstance(node, sympy.Abs):
        return _Size(args[0].magnitude, heights, constant, True)
    if isinstance(node, (*_BOUNDED, *_POLES)):
        if not real:
            magnitude = _exp_like(args[0], "expr_too_big")
        else:
            magnitude = 1.0 if isinstance(node, _BOUNDED) else _POLE_DIGITS
        return _check(_Size(max(magnitude, args[0].magnitude), heights + 1, constant, real))
    if isinstance(node, _INVERSE):
        magnitude = math.log10(args[0].magnitude * 2.31 + 1) + 1
        stays_real = real and isinstance(node, sympy.atan)
        return _check(_Size(magnitude, heights + 1, constant, stays_real))
    raise UnreadableAnswer("expr_unreadable")  # nothing else can come out of the tokenizer


def _power(node: sympy.Basic, base: _Size, exponent: _Size) -> _Size:
    integer = isinstance(node.args[1], sympy.Integer)
    if base.constant and base.height > MAX_ROOT_DIGITS and not integer:
        raise UnreadableAnswer("expr_too_big")
    if exponent.magnitude > math.log10(MAX_EXPONENT) + 1e-9:
        raise UnreadableAnswer("expr_exponent", max=MAX_EXPONENT)
    bound = 10**exponent.magnitude
    magnitude = base.magnitude * bound + (0.0 if exponent.real else _PHASE * bound)
    real = base.real and (integer or (exponent.real and _is_positive_number(node.args[0])))
    return _Size(
        magnitude,
        base.height * bound + exponent.height,
        base.constant and exponent.constant,
        real,
    )


def _exp_like(argument: _Size, key: str) -> float:
    """exp(a), and sin(a) for complex a, reach e**|a|: |a| itself must stay small."""
    if argument.magnitude > math.log10(MAX_EXPONENT) + 1e-9:
        raise UnreadableAnswer(key, max=MAX_EXPONENT)
    return _LOG10_E * 10**argument.magnitude


def _is_positive_number(node: sympy.Basic) -> bool:
    """Decided from the tree's shape alone: sympy's assumptions could evaluate the tree."""
    return (isinstance(node, sympy.Rational) and node.p > 0) or bool(node.is_NumberSymbol)


def check_real_constants(expr: sympy.Basic) -> None:
    """Refuse numbers that are not real, such as ``sqrt(-4)``, ``log(-1)`` or ``asin(2)``.

    School answers never need them, and sympy rewrites expressions built on them into
    real and imaginary parts whose size can explode (``abs(asin(pi)^asin(2))`` takes seconds).
    Each is found by evaluating the unevaluated subtree numerically, which the size bounds
    keep cheap.
    """
    for node in sympy.preorder_traversal(expr):
        if node.free_symbols or not _may_leave_the_reals(node):
            continue
        value = node.evalf(15)
        real, imag = value.as_real_imag()
        if not (isinstance(real, sympy.Number) and isinstance(imag, sympy.Number)):
            continue  # undefined (log(0)) is reported after evaluation
        if imag != 0 and abs(imag) > 1e-12 * max(1, abs(real)):
            raise UnreadableAnswer("expr_not_real")


def _may_leave_the_reals(node: sympy.Basic) -> bool:
    if isinstance(node, sympy.Pow):
        return not isinstance(node.exp, sympy.Integer)
    return isinstance(node, sympy.log | sympy.asin | sympy.acos)


def _check(size: _Size) -> _Size:
    if size.magnitude > MAX_DIGITS or (size.constant and size.height > MAX_DIGITS):
        raise UnreadableAnswer("expr_too_big")
    return size
