"""Keyword tokens for BM25, for English and Chinese alike.

Latin-script text becomes lower-case words without the commonest function words; Chinese has
no spaces between words, so a run of CJK characters becomes its characters and its character
pairs: the pairs match words (光合, 合作, 作用), the single characters keep one-character words
and unusual splits findable. A fraction or decimal (3/5, 0.38) is also kept whole beside its
digits, so that the page with that very number ranks first. NFKC folding first makes
full-width forms (１／２, ＣＯ２) the same as the ASCII ones students type.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[./]\d+)+(?![\w/]|\.\d)")
_CJK_RUN = re.compile(rf"[{_CJK}]")

ENGLISH_STOPWORDS = frozenset(
    # Lucene's English list, then the words that make a sentence a student's question
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "am",
        "been",
        "being",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "had",
        "has",
        "have",
        "how",
        "i",
        "me",
        "my",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "would",
        "you",
        "your",
        "we",
        "our",
    ]
)
CHINESE_STOP_CHARACTERS = frozenset("的了吗呢吧啊呀么是在和与及我你他她它们这那哪怎什就都也很")
"""Single characters that carry no topic; they are dropped as unigrams only, never from
the character pairs (so 什么 and 怎么 still pair up, harmlessly rare in materials)."""


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    try:
        import snowballstemmer
    except ImportError:  # pragma: no cover - a core dependency; keep working without it
        return None
    return snowballstemmer.stemmer("english")


def is_cjk(char: str) -> bool:
    return bool(_CJK_RUN.match(char))


def tokenize(text: str, *, stem: bool = True) -> list[str]:
    """BM25 tokens of ``text``: English words (Snowball-stemmed, so *adding* finds *add*),
    CJK characters and character pairs, fractions and decimals."""
    text = unicodedata.normalize("NFKC", text).lower()
    stemmer = _stemmer() if stem else None
    out: list[str] = _NUMBER.findall(text)
    for run in _TOKEN.findall(text):
        if is_cjk(run[0]):
            out.extend(c for c in run if c not in CHINESE_STOP_CHARACTERS)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        elif run not in ENGLISH_STOPWORDS:
            out.append(stemmer.stemWord(run) if stemmer is not None else run)
    return out


def guess_language(text: str) -> str | None:
    """``zh`` when most of ``text``'s letters are CJK, ``en`` when most are Latin, else None."""
    runs = _TOKEN.findall(unicodedata.normalize("NFKC", text))
    cjk = sum(len(r) for r in runs if is_cjk(r[0]))
    latin = sum(1 for r in runs if not is_cjk(r[0]) and not r.isdigit())
    if cjk == latin == 0:
        return None
    return "zh" if cjk >= latin else "en"
