"""Numeric answers: exact comparison of fractions, tolerances, forms and units.

Values are compared as ``fractions.Fraction``, so ``3/4``, ``0.75`` and ``75%`` are the same
number with no floating-point doubt, and ``0.333`` is *not* ``1/3`` unless the item allows a
tolerance (the student is then told to give the exact value).

Partial credit (``PARTIAL_SCORE``) goes to a right value with a presentation problem: a form the
item does not allow, a fraction not in lowest terms, a missing unit. A right number in the wrong
unit earns less (``WRONG_UNIT_SCORE``), because as a quantity it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from learnloop.domain.course import NumberForm, NumericAnswer
from learnloop.domain.grade import Grade, Verdict
from learnloop.grading.base import RuleGrader, SpecError, verdict_for
from learnloop.grading.messages import form_names, join_list, message
from learnloop.grading.numparse import ParsedNumber, parse_number
from learnloop.grading.safe_input import UnreadableAnswer, fold_math, read_text

PARTIAL_SCORE = 0.5
WRONG_UNIT_SCORE = 0.25
CLOSE_RELATIVE = Fraction(1, 100)
"""Within 1 % but outside the tolerance: tell the student they are close, not just wrong."""

_INTEGER_FORMS: frozenset[NumberForm] = frozenset({"decimal", "fraction", "mixed"})


@dataclass(frozen=True)
class _Expected:
    value: Fraction
    tolerance: Fraction
    units: dict[str, Fraction]
    """Every accepted unit (normalised) with its factor to the main unit; the main unit is 1."""


class NumericGrader(RuleGrader[NumericAnswer]):
    name = "rules.numeric"
    spec_type = NumericAnswer

    def evaluate(self, spec: NumericAnswer, response: object, lang: str) -> Grade:
        expected = _expected(spec)
        answer = parse_number(fold_math(read_text(response)))
        unit_key = _unit_key(answer.unit)
        factor: Fraction | None = Fraction(1)
        if spec.unit and unit_key:
            factor = expected.units.get(unit_key)
            if factor is None:
                factor = _unit_case_insensitive(expected.units, unit_key)
        if factor is not None and _matches(answer.value * factor, expected):
            return self._right_value(spec, expected, answer, factor, lang)
        return self._wrong_value(spec, expected, answer, factor, lang)

    def _right_value(
        self,
        spec: NumericAnswer,
        expected: _Expected,
        answer: ParsedNumber,
        factor: Fraction,
        lang: str,
    ) -> Grade:
        unit_key = _unit_key(answer.unit)
        problems: list[str] = []
        if not _form_allowed(answer.form, spec.forms):
            problems.append(message("num_form", lang, forms=form_names(spec.forms, lang)))
        if spec.simplest_form and answer.form in ("fraction", "mixed") and not answer.lowest_terms:
            problems.append(message("num_not_simplest", lang))
        if spec.unit and not unit_key:
            problems.append(message("num_missing_unit", lang, unit=spec.unit))
        details: dict[str, object] = {"form": answer.form, "unit": _short(answer.unit)}
        if problems:
            return self.result(
                Verdict.PARTIALLY_CORRECT, PARTIAL_SCORE, " ".join(problems), details=details
            )
        if answer.value * factor != expected.value:
            feedback = message("num_within_tolerance", lang)
        elif spec.unit and unit_key and unit_key.casefold() != _unit_key(spec.unit).casefold():
            feedback = message("num_converted", lang, unit=_short(answer.unit))
        elif not spec.unit and unit_key:
            feedback = message("num_unit_not_needed", lang)
        else:
            feedback = message("correct", lang)
        return self.result(Verdict.CORRECT, 1.0, feedback, details=details)

    def _wrong_value(
        self,
        spec: NumericAnswer,
        expected: _Expected,
        answer: ParsedNumber,
        factor: Fraction | None,
        lang: str,
    ) -> Grade:
        unit_key = _unit_key(answer.unit)
        details: dict[str, object] = {"form": answer.form, "unit": _short(answer.unit)}
        if spec.unit and unit_key and _matches(answer.value, expected):
            score = WRONG_UNIT_SCORE
            return self.result(
                verdict_for(score),
                score,
                message("num_wrong_unit", lang, given=_short(answer.unit)),
                details=details,
            )
        lines: list[str] = []
        if factor is None:
            known = join_list([spec.unit or "", *spec.units], lang)
            lines.append(message("num_unknown_unit", lang, given=_short(answer.unit), known=known))
            factor = Fraction(1)
        lines.append(_diagnose(answer.value * factor, answer, expected, spec, lang))
        return self.result(Verdict.INCORRECT, 0.0, " ".join(lines), details=details)

    def check_spec(self, spec: NumericAnswer) -> list[str]:
        expected = _expected(spec)
        problems: list[str] = []
        if spec.units and not spec.unit:
            problems.append("'units' lists other units but 'unit' (the main one) is missing")
        if any(f <= 0 for f in expected.units.values()):
            problems.append("every factor in 'units' must be a positive number")
        exact_forms = {"fraction", "mixed"} & set(spec.forms)
        if (
            not exact_forms
            and not _terminates(expected.value)
            and expected.tolerance == 0
            and spec.relative_tolerance == 0
        ):
            problems.append(
                f"{spec.value} has no exact decimal form and 'forms' allows no fraction: "
                "set 'tolerance' or 'relative_tolerance', or allow 'fraction'"
            )
        return problems


def _diagnose(
    value: Fraction, answer: ParsedNumber, expected: _Expected, spec: NumericAnswer, lang: str
) -> str:
    """Say what kind of wrong it is: sign, decimal point, upside down, close, or just size."""
    target = expected.value
    if target != 0 and _matches(-value, expected):
        return message("num_sign_missing" if target < 0 else "num_sign_extra", lang)
    if target != 0 and value != 0:
        ratio = value / target
        for power in (1, 2, 3):
            factor = Fraction(10) ** power
            if ratio in (factor, 1 / factor):
                if power == 2 and _looks_like_percent_slip(answer, spec, target):
                    return message("num_percent", lang)
                return message("num_factor", lang, factor=int(factor))
        if value == 1 / target and abs(target) != 1:
            return message("num_reciprocal", lang)
        if abs(value - target) <= CLOSE_RELATIVE * abs(target):
            key = "num_close_fraction" if "fraction" in spec.forms else "num_close"
            return message(key, lang)
    return message("num_too_large" if value > target else "num_too_small", lang)


def _looks_like_percent_slip(answer: ParsedNumber, spec: NumericAnswer, target: Fraction) -> bool:
    """``75`` for 75 %, ``0.75%`` for 0.75: the digits are right, the percent sign is not."""
    return (
        answer.form == "percent"
        or spec.value.strip().endswith("%")
        or ("percent" in spec.forms and abs(target) < 1)
    )


def _short(unit: str) -> str:
    return unit if len(unit) <= 20 else unit[:20] + "…"


def _matches(value: Fraction, expected: _Expected) -> bool:
    return abs(value - expected.value) <= expected.tolerance


def _form_allowed(form: str, forms: list[NumberForm]) -> bool:
    if form == "integer":
        return bool(_INTEGER_FORMS & set(forms))
    return form in forms


def _terminates(value: Fraction) -> bool:
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def _unit_key(unit: str) -> str:
    """``cm^2``, ``cm²`` and ``cm 2`` are one unit; case still matters (``mm`` is not ``Mm``)."""
    return "".join(ch for ch in fold_math(unit) if ch not in " ^()*.")


def _unit_case_insensitive(units: dict[str, Fraction], key: str) -> Fraction | None:
    matches = [factor for name, factor in units.items() if name.casefold() == key.casefold()]
    return matches[0] if len(matches) == 1 else None


def _exact(number: float) -> Fraction:
    """``0.1`` in YAML means one tenth, not the binary float nearest to it."""
    return Fraction(repr(float(number)))


@lru_cache(maxsize=1024)
def _expected_cached(
    value: str, tolerance: float, relative: float, unit: str, units: tuple[tuple[str, float], ...]
) -> _Expected:
    try:
        parsed = parse_number(fold_math(value))
    except UnreadableAnswer as exc:
        raise SpecError(f"'value' {value!r} is not a number learnloop can read") from exc
    if parsed.unit:
        raise SpecError(f"'value' {value!r} has text after the number; put a unit in 'unit'")
    try:
        factors = {_unit_key(name): _exact(factor) for name, factor in units}
        tol = _exact(tolerance) + _exact(relative) * abs(parsed.value)
    except (ValueError, OverflowError, UnreadableAnswer) as exc:
        raise SpecError("'tolerance' and the factors in 'units' must be finite numbers") from exc
    if unit:
        factors[_unit_key(unit)] = Fraction(1)
    return _Expected(parsed.value, tol, factors)


def _expected(spec: NumericAnswer) -> _Expected:
    return _expected_cached(
        spec.value,
        spec.tolerance,
        spec.relative_tolerance,
        spec.unit or "",
        tuple(sorted(spec.units.items())),
    )
