"""How each item performs: share correct, difficulty, discrimination, common wrong answers."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, func, select
from sqlalchemy.orm import Session

from learnloop.services.access import check_course_teacher
from learnloop.services.analytics.scope import CURRENT_GRADE, concepts_of_items, student_scope
from learnloop.storage.tables import AttemptRow, GradeRow, ItemRow, Role, User

MIN_STUDENTS_FOR_DISCRIMINATION = 3
"""Fewer students than this give a correlation too noisy to show."""
WRONG_ANSWERS_SHOWN = 5
MAX_ANSWER_CHARS = 200


@dataclass(frozen=True)
class WrongAnswer:
    answer: str
    """Normalised: case, width and spacing folded; several choices sorted."""
    choice_text: dict[str, str]
    """For a multiple-choice item, the text of the chosen option(s) by language."""
    count: int
    students: int


@dataclass(frozen=True)
class ItemStats:
    item_id: str
    type: str
    prompt: dict[str, str]
    concepts: list[str]
    retired: bool
    authored_difficulty: float
    attempts: int
    students: int
    graded: int
    """Answers with a final grade (the others wait for a teacher)."""
    pending_review: int
    correct: int
    share_correct: float | None
    mean_score: float | None
    difficulty: float | None
    """1 - share correct: the difficulty students met, beside the authored one."""
    first_try_correct: float | None
    """Share of students whose first answer was correct."""
    discrimination: float | None
    """Point-biserial correlation of a student's first score on this item with their mean
    first score on the course's other items; ``None`` below a few students or without
    spread."""
    wrong_answers: list[WrongAnswer]


@dataclass(frozen=True)
class ItemStatistics:
    course_id: str
    class_id: int | None
    students: int
    """Students who answered anything in the course."""
    items: list[ItemStats]


def item_statistics(
    s: Session, actor: User, *, course_key: str, class_id: int | None = None
) -> ItemStatistics:
    """Counted by the database in one pass over the course's answers (``_tally``), so that
    a course with 100,000 answers returns a row per student and item (and per distinct wrong
    answer), not a row per answer."""
    course = check_course_teacher(s, actor, course_key)
    scope = student_scope(s, actor, class_id)
    # students only (a subquery: cheaper than joining users on every answer)
    students = select(User.id).where(User.role == Role.STUDENT)
    counted = [ItemRow.course_id == course.id, AttemptRow.user_id.in_(students)]
    if scope is not None:
        counted.append(AttemptRow.user_id.in_(scope))
    tally = _tally(s, counted)
    sums = {uid: (sum(scores.values()), len(scores)) for uid, scores in tally.first.items()}
    items = [i for i in course.items if not i.retired or i.id in tally.totals]
    concepts = concepts_of_items(s, [i.id for i in items])
    return ItemStatistics(
        course_id=course.key,
        class_id=class_id,
        students=len({uid for uids in tally.students.values() for uid in uids}),
        items=[_item_stats(i, tally, sums, concepts.get(i.id, [])) for i in items],
    )


@dataclass
class _Totals:
    attempts: int = 0
    graded: int = 0
    pending: int = 0
    correct: int = 0
    score: float = 0.0


@dataclass
class _Tally:
    totals: dict[int, _Totals] = field(default_factory=lambda: defaultdict(_Totals))
    students: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    """Item -> the students who answered it."""
    first: dict[int, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    """Student -> item -> the score of their first answer with a final grade."""
    wrong: dict[int, dict[str, dict[int, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict))
    )
    """Item -> normalised wrong answer -> student -> how often."""


_FINAL = GradeRow.provisional.is_(False)
_PENDING = GradeRow.provisional.is_(True)


def _tally(s: Session, counted: list[ColumnElement[bool]]) -> _Tally:
    """The counted answers with the grade that stands, grouped by student, item, final
    score and (for a wrong final grade) the answer as stored; spellings that normalise alike
    are merged here, in Python. A student's first final score on an item is the score of
    their group answered earliest (a window over every answer costs more than the rest of
    the query); two groups answered at the same instant are told apart by answer id
    (``_first_of_ties``)."""
    final_score = case((_FINAL, GradeRow.score))
    wrong = case((_FINAL & (GradeRow.verdict != "correct"), cast(AttemptRow.response, Text)))
    key = (AttemptRow.user_id, AttemptRow.item_id, final_score, wrong)
    q = (
        select(
            *key,
            func.count(),
            func.sum(case((_FINAL, 1), else_=0)),
            func.sum(case((_PENDING, 1), else_=0)),
            func.sum(case((_FINAL & (GradeRow.verdict == "correct"), 1), else_=0)),
            func.min(case((_FINAL, AttemptRow.submitted_at))),
        )
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(GradeRow, (GradeRow.attempt_id == AttemptRow.id) & CURRENT_GRADE, isouter=True)
        .where(*counted)
        .group_by(*key)
    )
    out = _Tally()
    earliest: dict[tuple[int, int], tuple[datetime, float]] = {}
    ties: set[tuple[int, int]] = set()
    for uid, item_id, score, stored, n, graded, pending, correct, first_at in s.execute(q):
        t = out.totals[item_id]
        t.attempts += n
        t.graded += graded
        t.pending += pending
        t.correct += correct
        out.students[item_id].add(uid)
        if graded:
            t.score += score * graded
            pair = (uid, item_id)
            seen = earliest.get(pair)
            if seen is not None and seen[0] == first_at and seen[1] != score:
                ties.add(pair)
            if seen is None or first_at < seen[0]:
                earliest[pair] = (first_at, score)
        if stored is not None:
            value = (json.loads(stored) or {}).get("value")
            by_user = out.wrong[item_id][normalise_answer(value)]
            by_user[uid] = by_user.get(uid, 0) + n
    firsts = {pair: score for pair, (_, score) in earliest.items()}
    firsts |= _first_of_ties(s, {pair: earliest[pair][0] for pair in ties})
    for (uid, item_id), score in firsts.items():
        out.first[uid][item_id] = score
    return out


def _first_of_ties(
    s: Session, ties: dict[tuple[int, int], datetime]
) -> dict[tuple[int, int], float]:
    """The first final score of each (student, item) whose earliest final answers share an
    instant, by answer id as the answer order has it."""
    out: dict[tuple[int, int], float] = {}
    for (uid, item_id), at in ties.items():
        found = s.execute(
            select(GradeRow.score)
            .join(AttemptRow, AttemptRow.id == GradeRow.attempt_id)
            .where(
                AttemptRow.user_id == uid,
                AttemptRow.item_id == item_id,
                AttemptRow.submitted_at == at,
                CURRENT_GRADE,
                _FINAL,
            )
            .order_by(AttemptRow.id)
            .limit(1)
        ).scalar_one()
        out[uid, item_id] = found
    return out


def _item_stats(
    item: ItemRow, tally: _Tally, sums: dict[int, tuple[float, int]], concepts: list[str]
) -> ItemStats:
    t = tally.totals.get(item.id) or _Totals()
    share = t.correct / t.graded if t.graded else None
    firsts = [scores[item.id] for scores in tally.first.values() if item.id in scores]
    choices = _choice_texts(item)
    wrong = tally.wrong.get(item.id, {})
    counts = {text: sum(by_user.values()) for text, by_user in wrong.items()}
    common = sorted(counts, key=lambda text: (-counts[text], text))[:WRONG_ANSWERS_SHOWN]
    return ItemStats(
        item_id=item.key,
        type=item.type,
        prompt=dict(item.prompt or {}),
        concepts=concepts,
        retired=item.retired,
        authored_difficulty=item.difficulty,
        attempts=t.attempts,
        students=len(tally.students.get(item.id, ())),
        graded=t.graded,
        pending_review=t.pending,
        correct=t.correct,
        share_correct=_round(share),
        mean_score=_round(t.score / t.graded if t.graded else None),
        difficulty=_round(1 - share if share is not None else None),
        first_try_correct=_round(sum(x >= 1 for x in firsts) / len(firsts) if firsts else None),
        discrimination=_round(_discrimination(item.id, tally.first, sums)),
        wrong_answers=[
            WrongAnswer(
                answer=text,
                choice_text=_choice_label(text, choices),
                count=counts[text],
                students=len(wrong[text]),
            )
            for text in common
        ],
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _discrimination(
    item_id: int, first: dict[int, dict[int, float]], sums: dict[int, tuple[float, int]]
) -> float | None:
    """``sums``: each student's total and number of first scores, so that the mean over the
    other items is one subtraction rather than a loop over the course."""
    pairs = [
        (scores[item_id], (sums[uid][0] - scores[item_id]) / (sums[uid][1] - 1))
        for uid, scores in first.items()
        if item_id in scores and len(scores) > 1
    ]
    if len(pairs) < MIN_STUDENTS_FOR_DISCRIMINATION:
        return None
    return pearson([x for x, _ in pairs], [y for _, y in pairs])


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """The correlation of two samples; ``None`` where either does not vary."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


_SPACE = re.compile(r"\s+")


def normalise_answer(value: Any) -> str:
    """One spelling per answer, so that ``" 0.4 "`` and ``"0.4"`` count together."""
    if isinstance(value, list):
        return ", ".join(sorted(normalise_answer(v) for v in value))
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).casefold()
    text = _SPACE.sub(" ", text).strip().rstrip(".。")
    return text[:MAX_ANSWER_CHARS]


def _choice_texts(item: ItemRow) -> dict[str, dict[str, str]]:
    if item.type != "multiple_choice":
        return {}
    return {
        normalise_answer(c.get("id")): dict(c.get("text") or {})
        for c in (item.answer or {}).get("choices", [])
        if isinstance(c, dict)
    }


def _choice_label(answer: str, choices: dict[str, dict[str, str]]) -> dict[str, str]:
    if not choices:
        return {}
    picked = [choices.get(part, {}) for part in answer.split(", ")]
    languages = {lang for text in picked for lang in text}
    return {
        lang: "; ".join(text.get(lang) or next(iter(text.values()), "?") for text in picked)
        for lang in sorted(languages)
    }
