"""Short text answers: accepted spellings and whole-answer regular expressions.

Both the student's answer and every accepted answer are normalised the same way, so a teacher
writes ``chlorophyll`` once and ``Chlorophyll.``, ``ＣＨＬＯＲＯＰＨＹＬＬ`` and ``"chlorophyll"``
all match; so do ``叶绿素。`` and ``叶 绿 素`` for ``叶绿素``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from learnloop.domain.course import TextAnswer
from learnloop.domain.grade import Grade, Verdict
from learnloop.grading.base import REVIEW_CONFIDENCE, RuleGrader
from learnloop.grading.messages import message
from learnloop.grading.regex_guard import fullmatch_any
from learnloop.grading.safe_input import UnreadableAnswer, nfkc, read_text

MAX_SPELLING_CHARS = 64
"""Edit distances are only computed for answers this short (the cost is quadratic)."""

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def normalize_text(text: str, *, case_sensitive: bool = False) -> str:
    """NFKC, casefold, one space between words, none between CJK characters, no edge punctuation.

    Edge punctuation covers every Unicode punctuation category, so ``。，！`` and quotes go
    as well as ``.,!``; punctuation inside the answer is kept.
    """
    text = nfkc(text)
    if not case_sensitive:
        text = text.casefold()
    text = _SPACE_BETWEEN_CJK.sub("", " ".join(text.split()))
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge(ch: str) -> bool:
    return ch == " " or unicodedata.category(ch).startswith("P")


class TextGrader(RuleGrader[TextAnswer]):
    name = "rules.text"
    spec_type = TextAnswer

    def evaluate(self, spec: TextAnswer, response: object, lang: str) -> Grade:
        raw = read_text(response)
        answer = normalize_text(raw, case_sensitive=spec.case_sensitive)
        if not answer:
            raise UnreadableAnswer("no_answer")
        accepted = _accepted(tuple(spec.accept), spec.case_sensitive)
        if answer in accepted:
            return self.result(Verdict.CORRECT, 1.0, message("correct", lang))
        if spec.patterns:
            flags = 0 if spec.case_sensitive else re.IGNORECASE
            matched = fullmatch_any(spec.patterns, answer, flags)
            if matched:
                return self.result(Verdict.CORRECT, 1.0, message("correct", lang))
            if matched is None:
                return self.result(
                    Verdict.INCORRECT,
                    0.0,
                    message("needs_review", lang),
                    confidence=REVIEW_CONFIDENCE,
                    details={"reason": "pattern_timeout"},
                )
        return self.result(Verdict.INCORRECT, 0.0, self._near_miss(spec, raw, answer, lang))

    def _near_miss(self, spec: TextAnswer, raw: str, answer: str, lang: str) -> str:
        if spec.case_sensitive:
            folded = normalize_text(raw, case_sensitive=False)
            if folded in _accepted(tuple(spec.accept), False):
                return message("text_case", lang)
        if len(answer) <= MAX_SPELLING_CHARS:
            for accepted in _accepted(tuple(spec.accept), spec.case_sensitive):
                limit = _typo_limit(accepted)
                if limit and edit_distance(answer, accepted, limit) <= limit:
                    return message("text_spelling", lang)
        return message("incorrect", lang)

    def check_spec(self, spec: TextAnswer) -> list[str]:
        problems: list[str] = []
        if not spec.accept and not spec.patterns:
            problems.append("a text answer needs 'accept' or 'patterns'")
        if any(not normalize_text(a, case_sensitive=spec.case_sensitive) for a in spec.accept):
            problems.append("an entry in 'accept' is empty once spaces and punctuation go")
        return problems


@lru_cache(maxsize=1024)
def _accepted(accept: tuple[str, ...], case_sensitive: bool) -> frozenset[str]:
    return frozenset(normalize_text(a, case_sensitive=case_sensitive) for a in accept)


def _typo_limit(word: str) -> int:
    """No spelling hint for very short words: ``cat`` for ``car`` is a different answer."""
    if len(word) < 5:
        return 0
    return 1 if len(word) < 9 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (``limit + 1``) as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
