"""Keeping an unfinished item's answer out of the tutor's replies, whatever the model says.

Two walls, neither trusting the model:

1. **Nothing secret goes in.** Prompts are built from ``StudentView`` (the item as the
   student sees it: prompt, choices without their ``correct`` flags, the hints already
   unlocked), never from the item itself, so an answer key, reference answer or explanation
   cannot enter a prompt for a student who has not finished the item.
2. **Nothing that answers the item comes out.** ``LeakCheck`` reads the reply as it streams
   and asks the item's own rule grader about every number, expression, choice or phrase in
   it: a span the grader would accept (fully or in part) is the answer. ``StreamGuard`` holds
   back a short tail of the stream so a leak is caught before the student sees it, stops the
   reply there and says why. Free-text items are checked against their reference answers'
   content words, a sentence at a time.

Instructions inside a student's message or a course page cannot change either wall: both are
code, run after the model.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from learnloop.domain.course import Item, ItemType, MultipleChoiceAnswer
from learnloop.domain.grade import Verdict
from learnloop.domain.text import pick
from learnloop.grading import grade_response
from learnloop.grading.numparse import parse_number
from learnloop.grading.safe_input import fold_math

_LATEX_FRAC = re.compile(r"\\d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_NUMBER = re.compile(
    r"""(?<![\w.])-?(?:
        \d+\s+\d+\s*/\s*\d+          # mixed number 1 1/2
      | \d+(?:\.\d+)?\s*/\s*\d+(?:\.\d+)?  # fraction 3/4
      | \d+(?:[.,]\d+)*(?:\s*%)?     # integer, decimal, percent
      | \.\d+%?
    )(?:\s?[A-Za-z°µ]{1,4}\b)?""",
    re.VERBOSE,
)
_ZH_NUMBER = re.compile(
    r"[零一二两三四五六七八九十百千万点]+(?:分之[零一二两三四五六七八九十百千万点]+)?"
)
_MATH_SPAN = re.compile(r"[A-Za-z0-9_().^*/+\-×÷·√ ]{1,80}(?:=[A-Za-z0-9_().^*/+\-×÷·√ ]{1,80})?")
_CHOICE_CLAIM = re.compile(
    r"(?:answer|option|choice|choose|pick|select|correct one|right one|答案|选项|选)"
    r"\W{0,6}(?:is|would be|should be|是|为|应该是)?\W{0,6}\(?([A-Za-z0-9]{1,3})\)?(?![\w])",
    re.IGNORECASE,
)
_CHOICE_VERDICT = re.compile(
    r"(?<![\w])\(?([A-Za-z0-9]{1,3})\)?\s*(?:is|are)\s+(?:the\s+)?(?:right|correct)|"
    r"(?<![\w])\(?([A-Za-z0-9]{1,3})\)?\s*(?:是|为)?\s*(?:正确|对的)",
    re.IGNORECASE,
)
_LONG_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_STEP_WORD = re.compile(r"(?:step|part|第)\s*$", re.IGNORECASE)
_LINE_START = re.compile(r"(?:^|\n)\s*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[.!?。！？；;\n]")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "and",
        "or",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "for",
        "with",
        "as",
        "by",
        "at",
        "from",
        "so",
        "they",
        "their",
        "them",
        "there",
        "which",
        "what",
        "how",
        "why",
        "when",
        "was",
        "were",
        "has",
        "have",
        "had",
        "not",
        "no",
        "can",
        "will",
        "into",
    ]
)


@dataclass(frozen=True)
class StudentView:
    """What the tutor may know about an item the student has not finished: never the answer
    key, the reference answers, the explanation, or hints not yet unlocked."""

    key: str
    type: str
    prompt: str
    choices: tuple[tuple[str, str], ...] = ()
    """(id, text) without the ``correct`` flags."""
    hints: tuple[str, ...] = ()
    """The course's hints the student has already been shown, in order."""
    concepts: tuple[str, ...] = ()


def student_view(item: Item, language: str, *, hints_shown: int) -> StudentView:
    choices: tuple[tuple[str, str], ...] = ()
    if isinstance(item.answer, MultipleChoiceAnswer):
        choices = tuple((c.id, pick(c.text, language)) for c in item.answer.choices)
    return StudentView(
        key=item.id,
        type=item.type.value,
        prompt=pick(item.prompt, language),
        choices=choices,
        hints=tuple(pick(h, language) for h in item.hints[:hints_shown]),
        concepts=tuple(item.concepts),
    )


def _frac(match: re.Match[str]) -> str:
    top, bottom = match.group(1).strip(), match.group(2).strip()
    if top.isdigit() and bottom.isdigit():
        return f"{top}/{bottom}"
    return f"({top})/({bottom})"


_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_ORDINALS = {
    "half": 2, "halves": 2, "third": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
    "twelfth": 12,
}  # fmt: skip
_WORD_FRACTION = re.compile(
    r"\b(a|an|one|" + "|".join(_UNITS[2:]) + r")[\s-]+(" + "|".join(_ORDINALS) + r")s?\b",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(_UNITS) + r")\b", re.IGNORECASE)


def _word_fraction(match: re.Match[str]) -> str:
    top = match.group(1).lower()
    n = 1 if top in ("a", "an", "one") else _UNITS.index(top)
    return f"{n}/{_ORDINALS[match.group(2).lower()]}"


def _fold(text: str) -> str:
    """Maths as the graders read it: LaTeX fractions, number words ("five sixths")."""
    text = _WORD_FRACTION.sub(_word_fraction, text)
    text = _WORD_NUMBER.sub(lambda m: str(_UNITS.index(m.group(1).lower())), text)
    text = _LATEX_FRAC.sub(_frac, text)
    return text.replace("$", " ").replace("\\times", "×").replace("\\div", "÷")


def _content_words(text: str) -> list[str]:
    if _CJK.search(text):
        chars = [c for c in text if _CJK.match(c)]
        return [a + b for a, b in itertools.pairwise(chars)]
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOPWORDS]


@dataclass
class LeakCheck:
    """Finds spans of a reply that answer ``item`` (for a student who has not finished it)."""

    item: Item
    language: str
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)

    @cached_property
    def _prompt_text(self) -> str:
        return " ".join(pick(self.item.prompt, lang) for lang in self.item.prompt).lower()

    def _accepts(self, candidate: str) -> bool:
        """Whether the item's grader gives ``candidate`` any credit (cached per span)."""
        candidate = re.sub(r"\s*/\s*", "/", candidate.strip(" .,;:!?。，；："))
        if not candidate or len(candidate) > 200:
            return False
        if candidate not in self._seen:
            grade = grade_response(self.item, candidate, lang=self.language)
            self._seen[candidate] = grade.verdict is not Verdict.INCORRECT and grade.score > 0
        return self._seen[candidate]

    def _in_prompt(self, candidate: str) -> bool:
        return candidate.strip().lower() in self._prompt_text

    def find(self, text: str) -> str | None:
        """The first span of ``text`` that gives the answer away, or ``None``."""
        text = _fold(text)
        finder = {
            ItemType.NUMERIC: self._numbers,
            ItemType.EXPRESSION: self._expressions,
            ItemType.MULTIPLE_CHOICE: self._choices,
            ItemType.TEXT: self._phrases,
            ItemType.FREE_TEXT: self._reference,
        }[self.item.type]
        return finder(text)

    @cached_property
    def _target(self) -> Fraction | None:
        answer = self.item.answer
        try:
            return parse_number(fold_math(answer.value)).value  # type: ignore[union-attr]
        except Exception:
            return None

    def _near(self, span: str) -> bool:
        """A decimal within 0.5 % of an answer with no exact decimal (0.833 for 5/6)."""
        target = self._target
        if target is None or target == 0 or "." not in span:
            return False
        try:
            value = parse_number(fold_math(span)).value
        except Exception:
            return False
        return abs(value - target) <= abs(target) / 200

    def _numbers(self, text: str) -> str | None:
        for match in [*_NUMBER.finditer(text), *_ZH_NUMBER.finditer(text)]:
            span = match.group()
            before = text[max(0, match.start() - 6) : match.start()]
            after = text[match.end() : match.end() + 2]
            marker = after in (". ", ")", ") ", "、") or after.startswith("、")
            if _STEP_WORD.search(before) or (_LINE_START.search(before) and marker):
                continue  # "Step 2", "第2步", a "2." or "2)" list marker: numbering, not a value
            for candidate in (span, re.sub(r"\s?[A-Za-z°µ]{1,4}$", "", span)):
                if (self._accepts(candidate) or self._near(candidate)) and not self._in_prompt(
                    candidate
                ):
                    return span
        return None

    def _expressions(self, text: str) -> str | None:
        # words of two or more letters separate the maths ("so it is 0.75x" -> "0.75x")
        math_only = _LONG_WORD.sub("|", text)
        for piece in re.split(r"[|\n,;:，；：。？！]|\.(?!\d)", math_only):
            span = piece.strip()
            if not re.search(r"\d|[A-Za-z]\s*[+\-*/^=]", span):
                continue
            for candidate in [span, *(p for p in span.split("=")[1:] if p.strip())]:
                if self._accepts(candidate) and not self._in_prompt(candidate):
                    return span
        return None

    def _choices(self, text: str) -> str | None:
        answer = self.item.answer
        assert isinstance(answer, MultipleChoiceAnswer)
        lowered = text.lower()
        for choice in answer.choices:
            if not choice.correct:
                continue
            for label in choice.text.values():
                label = label.strip().lower()
                if len(label) >= 2 and label in lowered:
                    return label
        for line in text.splitlines():
            bare = line.strip().strip(".()*:：。 ")
            if bare and len(bare) <= 3 and self._accepts(bare):
                return line.strip()  # a reply that is just the letter
        for pattern in (_CHOICE_CLAIM, _CHOICE_VERDICT):
            for match in pattern.finditer(text):
                ids = [g for g in match.groups() if g]
                if ids and self._accepts(ids[0]):
                    return match.group()
        return None

    def _phrases(self, text: str) -> str | None:
        words = [m for m in re.finditer(r"\S+", text)]
        for size in range(1, 6):
            for start in range(len(words) - size + 1):
                span = text[words[start].start() : words[start + size - 1].end()]
                if self._accepts(span) and not self._in_prompt(span):
                    return span
        for match in _CJK.finditer(text):
            for end in range(match.start() + 1, min(len(text), match.start() + 12) + 1):
                span = text[match.start() : end]
                if self._accepts(span) and not self._in_prompt(span):
                    return span
        return None

    def _reference(self, text: str) -> str | None:
        """Most sentences of a reference answer, each nearly word for word (its content
        words, or for Chinese its character pairs) in a sentence or two of the reply."""
        sentences = [t for t in _SENTENCE_END.split(text) if t.strip()]
        windows = [set(_content_words(w)) for w in sentences]
        windows += [a | b for a, b in itertools.pairwise(windows)]
        for ref in (t for r in self.item.reference_answers for t in r.values()):
            parts = [set(_content_words(p)) for p in _SENTENCE_END.split(ref)]
            parts = [p for p in parts if len(p) >= 3]
            if not parts:
                continue
            said = sum(any(len(p & w) / len(p) >= 0.7 for w in windows) for p in parts)
            if said >= max(1, math.ceil(len(parts) * 2 / 3)):
                return text.strip()[:200]
        return None


def redact(text: str, check: LeakCheck, *, mark: str = "[…]") -> str | None:
    """``text`` with every span that answers the item replaced by ``mark``: course pages
    may work the very exercise a student is on. ``None`` when a give-away cannot be cut out
    (it is spread over the text), so the caller drops the text instead."""
    if check.item.type is ItemType.FREE_TEXT:
        return None if check.find(text) else text
    for _ in range(100):
        span = check.find(text)
        if span is None:
            return text
        if span not in text:
            return None
        text = text.replace(span, mark)
    return None


@dataclass
class Guarded:
    """What the guard let through, and why it stopped, if it did."""

    text: str = ""
    leaked: str | None = None


class StreamGuard:
    """Passes a reply through, holding back its tail until ``check`` has seen the text that
    follows it, so a leaked answer is stopped before any of it reaches the student.

    ``hold`` is how many characters stay held (a number or short phrase fits); ``sentences``
    holds whole sentences instead (free text and expressions, where the give-away is longer).
    """

    def __init__(self, check: LeakCheck | None, *, hold: int = 48, sentences: bool = False):
        self.check = check
        self.hold = hold
        self.sentences = sentences
        self.result = Guarded()
        self._buffer = ""

    @classmethod
    def for_item(cls, check: LeakCheck | None) -> StreamGuard:
        if check is None:
            return cls(None, hold=0)
        wide = check.item.type in (ItemType.FREE_TEXT, ItemType.EXPRESSION, ItemType.TEXT)
        return cls(check, sentences=wide)

    def feed(self, pieces: Iterator[str]) -> Iterator[str]:
        """The released pieces; stops early (``result.leaked`` set) on a leak."""
        for piece in pieces:
            self._buffer += piece
            if self.check is None:
                yield from self._release(len(self._buffer))
                continue
            leak = self.check.find(self.result.text + self._buffer)
            if leak is not None:
                self.result.leaked = leak
                self._buffer = ""
                return
            cut = self._safe_cut()
            if cut:
                yield from self._release(cut)
        if self.check is not None:
            leak = self.check.find(self.result.text + self._buffer)
            if leak is not None:
                self.result.leaked = leak
                self._buffer = ""
                return
        yield from self._release(len(self._buffer))

    def _safe_cut(self) -> int:
        if self.sentences:
            ends = [m.end() for m in _SENTENCE_END.finditer(self._buffer)]
            # the sentence before the last end may still join the next in a two-sentence window
            return ends[-2] if len(ends) >= 2 else 0
        cut = len(self._buffer) - self.hold
        while cut > 0 and not self._buffer[cut - 1].isspace():
            cut -= 1
        return max(cut, 0)

    def _release(self, cut: int) -> Iterator[str]:
        out, self._buffer = self._buffer[:cut], self._buffer[cut:]
        if out:
            self.result.text += out
            yield out
