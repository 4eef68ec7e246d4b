"""Reading a number the way a student writes it, as an exact fraction plus the form used.

Accepted (after ``safe_input.fold_math``, so full-width digits, ``½`` and ``−`` work too):

========  =========================================================================
integer   ``12``, ``-3``, ``1,000`` (commas only as thousands separators in groups of 3)
decimal   ``0.75``, ``.5``, ``2.``, ``1.5e3``, ``1.5*10^3``, ``1.5×10³``
fraction  ``3/4``, ``-3/4``
mixed     ``1 1/2``, ``-1 1/2`` (= -3/2), ``1½``, ``1又1/2``
percent   ``75%``, ``12.5 %``
Chinese   ``四分之三``, ``负二分之一``, ``一又二分之一``, ``百分之七十五``, ``三点五``, ``4分之3``
========  =========================================================================

Anything after the number is its unit (``12 cm``, ``3 m/s``, ``5厘米``).

``1-1/2`` is refused with a hint rather than read as a mixed number: it equally reads as the
subtraction 1 − 1/2, and guessing either way would grade some students wrongly. ``0,75`` is
refused with a hint too: learnloop's languages write decimals with a point, so a comma between
digits is only a thousands separator (``1,000``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Literal

from learnloop.grading.safe_input import UnreadableAnswer

Form = Literal["integer", "decimal", "fraction", "mixed", "percent"]

MAX_POWER_OF_TEN = 1000
"""``1e400`` is fine, ``1e999999999`` would build a billion-digit integer."""


@dataclass(frozen=True)
class ParsedNumber:
    value: Fraction
    form: Form
    unit: str
    """What followed the number, as written (``""`` when nothing did)."""
    lowest_terms: bool = True
    """False for ``6/8``, ``4/2`` or ``1 6/4``: the value is right but not simplified."""


_ASCII_NUMBER = re.compile(
    r"""
    (?P<sign>[+-])?\s*
    (?:
        (?P<whole>\d+)(?:\s+|\s*又\s*)(?P<mnum>\d+)\s*/\s*(?P<mden>\d+)
      | (?P<num>\d+)\s*/\s*(?P<den>\d+)
      | (?P<dec>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)
        (?:\s*(?:[eE](?P<exp>[+-]?\d+)|[x*]\s*10\s*\^\s*\(?\s*(?P<exp10>[+-]?\d+)\s*\)?))?
        (?P<pct>\s*%)?
    )
    \s*(?P<rest>.*)
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)
_HYPHEN_MIXED = re.compile(r"-\s*(\d+)\s*/\s*(\d+)", re.ASCII)
_DECIMAL_COMMA = re.compile(r",(\d+)", re.ASCII)
_TRAILING_STOP = re.compile(r"[.。!！]+$")
_UNIT_START = re.compile(r"[^\W\d_]|[°µμΩ'\"$€£¥]")


def parse_number(text: str) -> ParsedNumber:
    """Parse folded text (see ``safe_input.fold_math``); raise ``UnreadableAnswer`` on failure."""
    text = _TRAILING_STOP.sub("", text.strip()).strip()
    zh = _parse_chinese(text) if _looks_chinese(text) else None
    if zh is not None:
        return zh
    match = _ASCII_NUMBER.fullmatch(text)
    if match is None:
        raise UnreadableAnswer("num_unreadable")
    rest = match["rest"].strip()
    _refuse_ambiguous(match, rest)
    if rest and not _UNIT_START.match(rest):
        raise UnreadableAnswer("num_unreadable")
    negative = match["sign"] == "-"
    if match["whole"] is not None:
        whole, num, den = int(match["whole"]), int(match["mnum"]), _denominator(match["mden"])
        value = whole + Fraction(num, den)
        lowest = whole > 0 and 0 < num < den and _coprime(num, den)
        return ParsedNumber(-value if negative else value, "mixed", rest, lowest)
    if match["num"] is not None:
        num, den = int(match["num"]), _denominator(match["den"])
        lowest = den > 1 and _coprime(num, den)
        value = Fraction(num, den)
        return ParsedNumber(-value if negative else value, "fraction", rest, lowest)
    digits = match["dec"].replace(",", "")
    value = Fraction(digits if not digits.endswith(".") else digits[:-1])
    exponent = match["exp"] or match["exp10"]
    if exponent is not None:
        if len(exponent) > 6 or abs(int(exponent)) > MAX_POWER_OF_TEN:
            raise UnreadableAnswer("num_too_big", max=MAX_POWER_OF_TEN)
        value *= Fraction(10) ** int(exponent)
    form: Form = "decimal" if "." in digits or exponent is not None else "integer"
    if match["pct"]:
        value /= 100
        form = "percent"
    return ParsedNumber(-value if negative else value, form, rest)


def _refuse_ambiguous(match: re.Match[str], rest: str) -> None:
    if match["dec"] is None or match["pct"] or match["exp"] or match["exp10"]:
        return
    sign = match["sign"] or ""
    hyphen = _HYPHEN_MIXED.match(rest)
    if hyphen and "." not in match["dec"]:
        whole, num, den = match["dec"], hyphen[1], hyphen[2]
        raise UnreadableAnswer(
            "num_mixed_hyphen",
            fixed=f"{sign}{whole} {num}/{den}",
            given=f"{sign}{whole}-{num}/{den}",
        )
    comma = _DECIMAL_COMMA.match(rest)
    if comma and "." not in match["dec"] and "," not in match["dec"]:
        given = f"{sign}{match['dec']},{comma[1]}"
        raise UnreadableAnswer("num_decimal_comma", fixed=given.replace(",", "."), given=given)


def _denominator(digits: str) -> int:
    den = int(digits)
    if den == 0:
        raise UnreadableAnswer("num_zero_denominator")
    return den


def _coprime(a: int, b: int) -> bool:
    return gcd(a, b) == 1


# Chinese numerals ---------------------------------------------------------------------------

_ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_INT = "[0-9零〇一二两三四五六七八九十百千万亿]+"
_ZH_DEC = f"{_ZH_INT}(?:[点.][0-9零〇一二三四五六七八九]+)?"
_ZH_NUMBER = re.compile(
    rf"""
    (?P<neg>负|-)?\s*
    (?:
        百分之\s*(?P<pct>{_ZH_DEC})
      | (?:(?P<whole>{_ZH_INT})\s*又\s*)?(?P<den>{_ZH_INT})\s*分之\s*(?P<num>{_ZH_INT})
      | (?P<dec>{_ZH_DEC})
    )
    \s*(?P<rest>.*)
    """,
    re.VERBOSE | re.DOTALL,
)
_ZH_TRIGGER = re.compile(r"^[-+]?\s*(?:负|百分之|[零〇一二两三四五六七八九十])|分之|又")
_ZH_MAX_CHARS = 40


def _looks_chinese(text: str) -> bool:
    return _ZH_TRIGGER.search(text) is not None


def _parse_chinese(text: str) -> ParsedNumber | None:
    match = _ZH_NUMBER.fullmatch(text)
    if match is None:
        return None
    if match.start("rest") > _ZH_MAX_CHARS:
        raise UnreadableAnswer("num_unreadable")
    rest = match["rest"].strip()
    if rest.startswith("又") or (rest and not _UNIT_START.match(rest)):
        return None  # "2又3/4" is an ASCII mixed number, read by the other parser
    sign = -1 if match["neg"] else 1
    if match["pct"] is not None:
        return ParsedNumber(sign * _zh_decimal(match["pct"]) / 100, "percent", rest)
    if match["den"] is not None:
        den, num = _zh_int(match["den"]), _zh_int(match["num"])
        if den == 0:
            raise UnreadableAnswer("num_zero_denominator")
        if match["whole"] is not None:
            whole = _zh_int(match["whole"])
            lowest = whole > 0 and 0 < num < den and _coprime(num, den)
            return ParsedNumber(sign * (whole + Fraction(num, den)), "mixed", rest, lowest)
        lowest = den > 1 and _coprime(num, den)
        return ParsedNumber(sign * Fraction(num, den), "fraction", rest, lowest)
    dec = match["dec"]
    form: Form = "decimal" if ("点" in dec or "." in dec) else "integer"
    return ParsedNumber(sign * _zh_decimal(dec), form, rest)


def _zh_decimal(text: str) -> Fraction:
    whole, _, frac = text.replace("点", ".").partition(".")
    value = Fraction(_zh_int(whole))
    if frac:
        digits = "".join(str(_ZH_DIGITS.get(ch, ch)) for ch in frac)
        value += Fraction(int(digits), 10 ** len(digits))
    return value


def _zh_int(text: str) -> int:
    """``一百零五`` = 105, ``二十五万`` = 250000, ``十五`` = 15; ``12万`` works too."""
    if text.isdigit() and text.isascii():
        return int(text)
    yi = wan = section = 0
    digit: int | None = None
    for ch in text:
        if ch.isascii():
            digit = (digit or 0) * 10 + int(ch)
        elif ch in _ZH_DIGITS:
            digit = (digit or 0) * 10 + _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL_UNITS:
            section += (1 if digit is None else digit) * _ZH_SMALL_UNITS[ch]
            digit = None
        elif ch == "万":
            wan = (wan + section + (digit or 0)) * 10**4
            section, digit = 0, None
        else:  # 亿
            yi = (yi + wan + section + (digit or 0)) * 10**8
            wan = section = 0
            digit = None
    return yi + wan + section + (digit or 0)
