"""How each item performs: share correct, difficulty, discrimination, common wrong answers."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
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
    course = check_course_teacher(s, actor, course_key)
    scope = student_scope(s, actor, class_id)
    q = (
        select(
            AttemptRow.id,
            AttemptRow.user_id,
            AttemptRow.item_id,
            AttemptRow.response,
            GradeRow.verdict,
            GradeRow.score,
            GradeRow.provisional,
        )
        .join(ItemRow, ItemRow.id == AttemptRow.item_id)
        .join(User, User.id == AttemptRow.user_id)
        .join(GradeRow, (GradeRow.attempt_id == AttemptRow.id) & CURRENT_GRADE, isouter=True)
        .where(ItemRow.course_id == course.id, User.role == Role.STUDENT)
        .order_by(AttemptRow.submitted_at, AttemptRow.id)
    )
    if scope is not None:
        q = q.where(AttemptRow.user_id.in_(scope))
    by_item: dict[int, list[Any]] = defaultdict(list)
    first: dict[int, dict[int, float]] = defaultdict(dict)  # student -> item -> first score
    for row in s.execute(q):
        by_item[row.item_id].append(row)
        if row.verdict is not None and not row.provisional:
            first[row.user_id].setdefault(row.item_id, row.score)
    items = [i for i in course.items if not i.retired or by_item.get(i.id)]
    concepts = concepts_of_items(s, [i.id for i in items])
    return ItemStatistics(
        course_id=course.key,
        class_id=class_id,
        students=len({r.user_id for rows in by_item.values() for r in rows}),
        items=[_item_stats(i, by_item.get(i.id, []), first, concepts.get(i.id, [])) for i in items],
    )


def _item_stats(
    item: ItemRow, rows: list[Any], first: dict[int, dict[int, float]], concepts: list[str]
) -> ItemStats:
    graded = [r for r in rows if r.verdict is not None and not r.provisional]
    correct = sum(r.verdict == "correct" for r in graded)
    share = correct / len(graded) if graded else None
    firsts = [scores[item.id] for scores in first.values() if item.id in scores]
    choices = _choice_texts(item)
    wrong: dict[str, list[int]] = defaultdict(list)
    for r in graded:
        if r.verdict != "correct":
            wrong[normalise_answer((r.response or {}).get("value"))].append(r.user_id)
    common = sorted(wrong.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:WRONG_ANSWERS_SHOWN]
    return ItemStats(
        item_id=item.key,
        type=item.type,
        prompt=dict(item.prompt or {}),
        concepts=concepts,
        retired=item.retired,
        authored_difficulty=item.difficulty,
        attempts=len(rows),
        students=len({r.user_id for r in rows}),
        graded=len(graded),
        pending_review=sum(r.verdict is not None and r.provisional for r in rows),
        correct=correct,
        share_correct=_round(share),
        mean_score=_round(sum(r.score for r in graded) / len(graded) if graded else None),
        difficulty=_round(1 - share if share is not None else None),
        first_try_correct=_round(sum(x >= 1 for x in firsts) / len(firsts) if firsts else None),
        discrimination=_round(_discrimination(item.id, first)),
        wrong_answers=[
            WrongAnswer(
                answer=text,
                choice_text=_choice_label(text, choices),
                count=len(users),
                students=len(set(users)),
            )
            for text, users in common
        ],
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _discrimination(item_id: int, first: dict[int, dict[int, float]]) -> float | None:
    pairs = [
        (scores[item_id], sum(v for k, v in scores.items() if k != item_id) / (len(scores) - 1))
        for scores in first.values()
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
