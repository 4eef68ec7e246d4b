"""Words, stems and overlaps shared by the learned graders and the coverage feedback.

Everything here works the same for English and Chinese: a Chinese character is a token of its
own (Chinese has no spaces), and character n-grams stand in for words where a tokenizer would
be needed. Nothing depends on a question id, so features carry over to questions never seen
in training.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from learnloop.grading.text import edit_distance

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_PATTERN = rf"[{CJK}]|[^\W{CJK}]+"
"""One Chinese character, or a run of other letters and digits (``terminal``, ``1``, ``1.5``
becomes ``1`` and ``5``)."""
_TOKEN = re.compile(TOKEN_PATTERN)
_CJK_CHAR = re.compile(f"[{CJK}]")
_NON_WORD = re.compile(r"[\W_]+")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")

_FUNCTION_WORDS = """
a an the is are was were be been being am of to in on at by for with from as into onto and or
but so that this these those it its it's they them their there then than which who whom whose
what when where why how i you he she we me my your our his her us do does did done has have had
having will would can could should may might must shall if because also just only very any
some each other about up out over such same both all more most own again too s t
"""
STOP_WORDS = frozenset(_FUNCTION_WORDS.split())
"""Function words (negations are not among them: ``not connected`` differs from
``connected``)."""

CJK_STOP_CHARS = frozenset("的了是和与及在等有也就都而之或把被为对从以其这那着吗呢吧啊")

_NEGATION_WORDS = """
not no never none nothing nobody cannot can't don't doesn't isn't aren't wasn't weren't won't
without neither nor
"""
NEGATIONS = frozenset(_NEGATION_WORDS.split())
CJK_NEGATIONS = frozenset("不没无非未否")

OVERLAP_FEATURES = (
    "token_recall",
    "token_precision",
    "char_recall",
    "char_precision",
    "new_token_recall",
    "question_echo",
    "log_length_ratio",
    "negation_agrees",
)
"""What ``overlap_features`` measures between an answer and its best-matching reference:
shares of the reference's and the answer's content words found in the other, the same for
character 2-3-grams, the share of the reference's words *not given in the question* that the
answer has, how much of the answer only echoes the question, the length ratio (log, scaled to
[-1, 1]) and whether both or neither say "not"."""


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits) and casefold, so ``Ｖｏｌｔ`` matches ``volt``."""
    return unicodedata.normalize("NFKC", text).casefold()


def is_chinese(text: str) -> bool:
    """Whether most letters of ``text`` are Chinese characters."""
    letters = [c for c in text if c.isalnum()]
    return bool(letters) and sum(bool(_CJK_CHAR.match(c)) for c in letters) * 2 >= len(letters)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def stem(word: str) -> str:
    """A light suffix stripper, so ``separated``, ``separates`` and ``separate`` agree.

    Far cruder than Porter's, on purpose: it only has to map a word's forms to one key,
    the same on both sides of a comparison, and it never turns a word into a shorter one of
    three letters or fewer.
    """
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("ions", ""),
        ("ion", ""),
        ("ings", ""),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("ly", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            if suffix == "s" and word[-2] in "sui":
                continue
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def content_tokens(text: str) -> list[str]:
    """Stemmed tokens without function words: what two answers must share to agree."""
    out = []
    for token in tokens(text):
        if len(token) == 1 and _CJK_CHAR.match(token):
            if token not in CJK_STOP_CHARS:
                out.append(token)
        elif token not in STOP_WORDS:
            out.append(stem(token))
    return out


def squeeze(text: str) -> str:
    """Lower-case words separated by single spaces, none between Chinese characters."""
    return _SPACE_BETWEEN_CJK.sub("", " ".join(_NON_WORD.sub(" ", normalize(text)).split()))


def char_ngrams(text: str, sizes: Sequence[int] = (2, 3)) -> set[str]:
    squeezed = squeeze(text)
    return {squeezed[i : i + n] for n in sizes for i in range(len(squeezed) - n + 1)}


def has_negation(text: str) -> bool:
    folded = normalize(text).replace("’", "'")
    words = re.findall(r"[a-z']+", folded)
    return any(w in NEGATIONS or w.endswith("n't") for w in words) or any(
        c in CJK_NEGATIONS for c in folded
    )


def fuzzy_in(word: str, vocabulary: set[str]) -> bool:
    """``word`` or a one-letter misspelling of it (``seperat`` for ``separat``) in ``vocabulary``.

    Only for words of five letters or more: short words one letter apart are different words.
    """
    if word in vocabulary:
        return True
    if len(word) < 5 or not word.isascii():
        return False
    return any(abs(len(v) - len(word)) <= 1 and edit_distance(word, v, 1) <= 1 for v in vocabulary)


# --- overlap features ---------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _profile(text: str) -> tuple[frozenset[str], frozenset[str], int, bool]:
    squeezed = squeeze(text)
    return (
        frozenset(content_tokens(text)),
        frozenset(char_ngrams(text)),
        len(squeezed.replace(" ", "")),
        has_negation(text),
    )


def _share(part: frozenset[str], whole: frozenset[str]) -> float:
    return len(part & whole) / len(whole) if whole else 0.0


def overlap_features(answer: str, references: Sequence[str], question: str = "") -> np.ndarray:
    """The ``OVERLAP_FEATURES`` of ``answer`` against whichever reference it matches best.

    The best match is the reference with the highest mean of word and character F1: students
    paraphrase one of several correct answers, and the others would only add noise.
    """
    a_tokens, a_grams, a_len, a_neg = _profile(answer)
    q_tokens = _profile(question)[0] if question else frozenset()
    best: np.ndarray | None = None
    best_fit = -1.0
    for reference in references or ("",):
        r_tokens, r_grams, r_len, r_neg = _profile(reference)
        token_recall, token_precision = _share(a_tokens, r_tokens), _share(r_tokens, a_tokens)
        char_recall, char_precision = _share(a_grams, r_grams), _share(r_grams, a_grams)
        fit = _f1(token_recall, token_precision) + _f1(char_recall, char_precision)
        if fit > best_fit:
            best_fit = fit
            best = np.array(
                [
                    token_recall,
                    token_precision,
                    char_recall,
                    char_precision,
                    _share(a_tokens, r_tokens - q_tokens),
                    _share(q_tokens, a_tokens),
                    max(-3.0, min(3.0, math.log((a_len + 1) / (r_len + 1)))) / 3.0,
                    float(a_neg == r_neg),
                ]
            )
    assert best is not None
    return best


def _f1(recall: float, precision: float) -> float:
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0
