"""Which key points of the reference answer a student's answer covers, without a language model.

A grade says "incorrect"; a student needs to hear *what* is missing. The reference is split
into key phrases (clauses, and list items split on punctuation and conjunctions), each phrase
keeps only the words the question does not already give away, and a phrase counts as covered
when enough of those words appear in the answer: stemmed words with one-letter typos allowed
in English, character bigrams in Chinese (which has no spaces to split words on). In English
a phrase said with "not" is only covered by a clause that also says "not", and the other way
round, since "connected" and "not connected" share every word but mean the opposite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from learnloop.errors import InvalidInputError
from learnloop.grading.learned.lexical import (
    CJK,
    CJK_STOP_CHARS,
    content_tokens,
    fuzzy_in,
    has_negation,
    is_chinese,
    normalize,
    stem,
    tokens,
)

THRESHOLD = 0.6
"""Share of a phrase's key units (words, or Chinese bigrams) the answer must have: two of
three, all of two. Of 0.4-0.7, it gave the ratio that tracks teachers' scores best on the
Chinese LE set and Beetle."""

_EN_PUNCT = re.compile(r"([.,;:!?]+(?=\s|$)|[()\[\]{}\"“”]|\s[-–—]+\s)")
_CONJUNCTIONS = "and|or|but|because|so|while|whereas|although|since|therefore|thus|however"
_EN_CONJ = re.compile(rf"(\s+(?:{_CONJUNCTIONS})\s+)", re.IGNORECASE)
_EN_LEADING_CONJ = re.compile(rf"^(?:{_CONJUNCTIONS})\s+", re.IGNORECASE)
_PLURAL_VERB = re.compile(r"\b(?:are|were|have|both)\b", re.IGNORECASE)
_VERB = re.compile(r"\b(?:is|are|was|were|has|have|do|does|did)\b", re.IGNORECASE)
_ZH_PUNCT = re.compile(r"([，。；：、！？,;:!?（）()《》“”\"…—–\s]+)")
_HEADER_END = re.compile(r"[:：—–]|\s-+\s")
_ZH_CONJ = re.compile(
    r"(以及|并且|而且|但是|因为|所以|或者|然后"
    r"|(?<![总温缓饱柔调共])和(?![平谐蔼睦])"
    r"|(?<![参给赋])与(?![其否会])"
    r"|(?<![涉普危波顾触企不])及(?![时格早]))"
)


@dataclass(frozen=True)
class Coverage:
    """Key phrases of the best-matching reference the answer covers and misses, in order."""

    covered: list[str]
    missing: list[str]
    ratio: float
    """Share of key phrases covered; 0.0 when the reference has none."""


@dataclass(frozen=True)
class _Phrase:
    text: str
    units: frozenset[str]
    negated: bool


def _units(text: str) -> set[str]:
    """Stemmed content words and Chinese character bigrams (single characters alone)."""
    out: set[str] = set()
    for token in content_tokens(re.sub(f"[{CJK}]+", " ", text)):
        out.add(token)
    for run in re.findall(f"[{CJK}]+", normalize(text)):
        grams = {run[i : i + 2] for i in range(len(run) - 1)} if len(run) > 1 else {run}
        out |= {g for g in grams if not CJK_STOP_CHARS.intersection(g)}
    return out


def _all_units(text: str) -> set[str]:
    """Every word stem and bigram, stop words included: what an answer or question offers."""
    out = {stem(t) for t in tokens(re.sub(f"[{CJK}]+", " ", text))}
    for run in re.findall(f"[{CJK}]+", normalize(text)):
        out |= {run[i : i + 2] for i in range(len(run) - 1)} | set(run)
    return out


def _split(text: str, chinese: bool) -> list[list[tuple[str, str]]]:
    """Clauses, each a list of (conjunction before it, part) between conjunctions.

    A clause ending in a colon or dash before more text is a heading ("优点——", "two
    reasons:"), not a point to make, and is left out.
    """
    punct, conj = (_ZH_PUNCT, _ZH_CONJ) if chinese else (_EN_PUNCT, _EN_CONJ)
    pieces = punct.split(text)
    out = []
    for i in range(0, len(pieces), 2):
        after = pieces[i + 1] if i + 1 < len(pieces) else ""
        if _HEADER_END.search(after) and any(p.strip() for p in pieces[i + 2 :: 2]):
            continue
        clause = pieces[i].strip()
        clause = clause if chinese else _EN_LEADING_CONJ.sub("", clause)
        parts = conj.split(clause)
        pairs = [(parts[j - 1] if j else "", parts[j].strip()) for j in range(0, len(parts), 2)]
        pairs = [(sep, part) for sep, part in pairs if part]
        if pairs:
            out.append(pairs)
    return out


def _phrases(reference: str, question: str, chinese: bool) -> list[_Phrase]:
    given = _all_units(question) if question else set()
    out: list[_Phrase] = []
    for clause in _split(reference, chinese):
        pending = ""
        for sep, part in clause if chinese else _join_subjects(clause):
            text = f"{pending}{sep}{part}" if pending else part
            units = frozenset(_units(text) - given)
            if not units:
                pending = text  # nothing new on its own ("Terminal 1 and ..."): join the next
                continue
            pending = ""
            out.append(_Phrase(_trim(text, question, chinese), units, has_negation(text)))
    if not out and given:
        return _phrases(reference, "", chinese)  # the question gives everything away
    return out


def _join_subjects(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Undo a split inside a compound subject: "terminal 1 and the positive terminal are not
    connected" is one point, "the water evaporates and the salt is left" two."""
    out: list[tuple[str, str]] = []
    for sep, part in parts:
        if (
            out
            and sep.strip().lower() in {"and", "or"}
            and _PLURAL_VERB.search(part)
            and not _VERB.search(out[-1][1])
        ):
            out[-1] = (out[-1][0], f"{out[-1][1]}{sep}{part}")
        else:
            out.append((sep, part))
    return out


def _trim(text: str, question: str, chinese: bool) -> str:
    """A Chinese phrase without a lead-in copied from the question or filler at its edges:
    ``一般包括保管员`` becomes ``保管员`` for "一般包括什么岗位？"."""
    if not chinese:
        return text
    original = text
    for _ in range(2):
        for size in range(len(text) - 2, 1, -1):
            if text[:size] in question:
                text = text[size:]
                break
        text = text.strip("".join(CJK_STOP_CHARS))
    return text or original


def key_phrases(reference: str, *, question: str = "", language: str | None = None) -> list[str]:
    """The key phrases of ``reference`` a complete answer to ``question`` should contain."""
    chinese = _is_zh(reference, language)
    return [p.text for p in _phrases(reference, question, chinese)]


def coverage(
    answer: str,
    references: str | Sequence[str],
    *,
    question: str = "",
    language: str | None = None,
    threshold: float = THRESHOLD,
) -> Coverage:
    """How much of its best-matching reference ``answer`` covers, phrase by phrase.

    Several references are several correct answers: the student is measured against the one
    they cover best (the first on ties, which readers put best first). ``language`` is
    guessed from the reference when not given.
    """
    refs = [references] if isinstance(references, str) else list(references)
    refs = [r for r in refs if r.strip()]
    if not refs:
        raise InvalidInputError(
            "coverage needs a reference answer; the item has none (add one to the item)"
        )
    best: Coverage | None = None
    for reference in refs:
        chinese = _is_zh(reference, language)
        result = _cover(answer, _phrases(reference, question, chinese), chinese, threshold)
        if best is None or result.ratio > best.ratio:
            best = result
    assert best is not None
    return best


def _cover(answer: str, phrases: list[_Phrase], chinese: bool, threshold: float) -> Coverage:
    offered = _all_units(answer)
    offered_words = {u for u in offered if u.isascii()}
    clauses = [" ".join(part for _, part in c) for c in _split(answer, chinese)] or [answer]
    covered: list[str] = []
    missing: list[str] = []
    for phrase in phrases:
        hits = [u for u in phrase.units if u in offered or fuzzy_in(u, offered_words)]
        ok = len(hits) >= threshold * len(phrase.units)
        if ok and not chinese:
            ok = _clause_for(phrase, clauses) == phrase.negated
        (covered if ok else missing).append(phrase.text)
    ratio = len(covered) / len(phrases) if phrases else 0.0
    return Coverage(covered=covered, missing=missing, ratio=ratio)


def _clause_for(phrase: _Phrase, clauses: list[str]) -> bool:
    """Whether the answer clause that best matches ``phrase`` says "not"."""
    best = max(clauses, key=lambda c: len(phrase.units & _all_units(c)))
    return has_negation(best)


def _is_zh(text: str, language: str | None) -> bool:
    if language is None:
        return is_chinese(text)
    return language.replace("_", "-").split("-", 1)[0].lower() == "zh"


# --- feedback -----------------------------------------------------------------------------


def coverage_feedback(result: Coverage, lang: str = "en", *, max_items: int = 4) -> str:
    """One sentence for the student naming what they covered and what is missing.

    Empty when the reference had no key phrases to check. ``lang`` is ``en`` or ``zh``
    (``zh-CN`` and the like work; anything else falls back to English).
    """
    if not result.covered and not result.missing:
        return ""
    if _is_zh("", lang):
        have, lack = _zh_list(result.covered, max_items), _zh_list(result.missing, max_items)
        if not result.missing:
            return f"你答到了所有要点：{have}。"
        if not result.covered:
            return f"你的回答还缺少{'这些要点' if len(result.missing) > 1 else '要点'}：{lack}。"
        return f"你答到了{have}，但还缺少{lack}。"
    have, lack = _en_list(result.covered, max_items), _en_list(result.missing, max_items)
    if not result.missing:
        points = "every key point" if len(result.covered) > 1 else "the key point"
        return f"You covered {points}: {have}."
    if not result.covered:
        return f"Your answer is still missing {lack}."
    return f"You covered {have}, but your answer is still missing {lack}."


def _en_list(items: list[str], max_items: int) -> str:
    if not items:
        return ""
    quoted = [f"“{item}”" for item in items[:max_items]]
    rest = len(items) - len(quoted)
    if rest:
        quoted.append(f"{rest} more point{'s' if rest > 1 else ''}")
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _zh_list(items: list[str], max_items: int) -> str:
    if not items:
        return ""
    quoted = [f"“{item}”" for item in items[:max_items]]
    rest = len(items) - len(quoted)
    text = quoted[0] if len(quoted) == 1 else f"{'、'.join(quoted[:-1])}和{quoted[-1]}"
    return f"{text}等{len(items)}个要点" if rest else text
