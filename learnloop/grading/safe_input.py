"""Turning whatever a client sent into a short, clean string before any grader looks at it.

Answers come from browsers, the API and copy-paste, so they may be ``None``, a list, a megabyte
of text, or full of zero-width joiners, bidi marks and lone surrogates. Every grader goes through
this module first, so the costlier steps after it (regular expressions, sympy) only ever see at
most ``MAX_ANSWER_CHARS`` printable characters.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ANSWER_CHARS = 2000
"""Longer answers are refused before any parsing (no rule-graded answer needs more)."""
MAX_LIST_ITEMS = 100


class UnreadableAnswer(Exception):
    """An answer no grader can make sense of; it becomes an incorrect grade, never a crash.

    ``key`` names a message in ``messages.CATALOGUE``; ``params`` fill it in.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _as_string(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        if len(value) > 4 * MAX_ANSWER_CHARS:
            raise UnreadableAnswer("too_long", max=MAX_ANSWER_CHARS)
        return value.decode("utf-8", errors="replace")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise UnreadableAnswer("unreadable")


def read_text(response: object) -> str:
    """One answer as clean text (see ``clean``); a one-element list counts as its element."""
    if isinstance(response, list | tuple):
        if not response:
            response = ""
        elif len(response) == 1:
            response = response[0]
        else:
            raise UnreadableAnswer("one_answer", count=len(response))
    text = clean(_as_string(response))
    if not text:
        raise UnreadableAnswer("no_answer")
    return text


def read_list(response: object) -> list[str]:
    """Several answers (a multiple-select pick); a plain string is kept whole for the caller."""
    if isinstance(response, list | tuple):
        if len(response) > MAX_LIST_ITEMS:
            raise UnreadableAnswer("too_long", max=MAX_ANSWER_CHARS)
        parts = [clean(_as_string(part)) for part in response]
        if sum(len(p) for p in parts) > MAX_ANSWER_CHARS:
            raise UnreadableAnswer("too_long", max=MAX_ANSWER_CHARS)
        return [p for p in parts if p]
    text = clean(_as_string(response))
    return [text] if text else []


def clean(text: str) -> str:
    """Drop invisible and broken characters, turn every kind of space into one plain space.

    The length is checked on the raw string first, so a huge answer costs nothing to refuse.
    Format characters (zero-width spaces and joiners, bidi marks, BOM, soft hyphen) and lone
    surrogates are removed: they are invisible to the student, so they must not change a grade.
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise UnreadableAnswer("too_long", max=MAX_ANSWER_CHARS)
    kept: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cf", "Cs"):
            continue
        if category in ("Cc", "Zs", "Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def nfkc(text: str) -> str:
    """NFKC folds full-width digits and letters, but it can grow a string up to 18 times."""
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) > MAX_ANSWER_CHARS:
        raise UnreadableAnswer("too_long", max=MAX_ANSWER_CHARS)
    return " ".join(folded.split())


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+")
_VULGAR_AFTER_DIGIT = re.compile(r"(?<=\d)(?=[\u00bc-\u00be\u2150-\u215e])")
_MATH_SIGNS = str.maketrans(
    {
        "−": "-",  # minus sign
        "–": "-",
        "—": "-",
        "﹣": "-",
        "×": "*",
        "·": "*",
        "⋅": "*",
        "÷": "/",
        "⁄": "/",  # fraction slash, produced by NFKC from ½
        "∕": "/",
    }
)


def fold_math(text: str) -> str:
    """Shared clean-up for numbers and formulas, done before NFKC would lose the meaning.

    NFKC turns ``x²`` into ``x2`` and ``1½`` into ``11⁄2``, so superscripts become ``^(2)`` and a
    vulgar fraction after a digit gets a space (a mixed number) before folding. Digits of other
    scripts (Arabic-Indic, Devanagari, ...) become ASCII digits.
    """
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^(" + m.group().translate(_SUPERSCRIPTS) + ")", text)
    text = _VULGAR_AFTER_DIGIT.sub(" ", text)
    text = nfkc(text).translate(_MATH_SIGNS)
    if not text.isascii():
        text = "".join(_ascii_digit(ch) for ch in text)
    return text


def _ascii_digit(ch: str) -> str:
    if ch.isascii():
        return ch
    value = unicodedata.decimal(ch, None)
    return str(value) if value is not None else ch
