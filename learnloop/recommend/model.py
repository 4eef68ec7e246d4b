"""What a policy sees: the course (its graph and items) and one student's state, as plain
frozen data, so the same policy runs on the live database, on a simulated learner and in a
unit test on a hand-built graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from learnloop.recommend.graph import ConceptGraph


@dataclass(frozen=True)
class ItemInfo:
    key: str
    concepts: tuple[str, ...]
    """The concepts it practises, the main one first."""
    difficulty: float = 0.5
    """0 (easy) to 1 (hard), from the course pack."""
    type: str = "multiple_choice"


@dataclass(frozen=True)
class CourseModel:
    key: str
    graph: ConceptGraph
    items: dict[str, ItemInfo]
    """Current items in course order."""
    items_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Item keys of each concept (main or not), in course order."""

    @classmethod
    def build(cls, key: str, graph: ConceptGraph, items: list[ItemInfo]) -> CourseModel:
        items_of: dict[str, list[str]] = {c: [] for c in graph.order}
        for it in items:
            for c in it.concepts:
                if c in items_of:
                    items_of[c].append(it.key)
        return cls(
            key=key,
            graph=graph,
            items={it.key: it for it in items},
            items_of={c: tuple(v) for c, v in items_of.items()},
        )


@dataclass(frozen=True)
class ConceptState:
    p_mastery: float
    """The live student model's estimate (its prior when never practised)."""
    attempts: int = 0
    p_correct: float | None = None
    """The model's probability of a right answer to a typical item of the concept next."""
    last_seen: datetime | None = None
    recall: float | None = None
    """Predicted probability of recalling it now (the forgetting model); ``None`` if never
    practised."""
    due: datetime | None = None
    """When ``recall`` falls below the review threshold."""
    wrong_streak: int = 0
    """Wrong answers on the concept since its last right one."""
    peak: float = 0.0
    """The highest ``p_mastery`` the concept has had: far below it, mastery is falling."""
    once_mastered: bool = False
    """Mastered at some point: only such concepts come back for review."""

    @property
    def started(self) -> bool:
        return self.attempts > 0


@dataclass(frozen=True)
class ItemHistory:
    answered: int = 0
    correct: int = 0


@dataclass(frozen=True)
class LastAnswer:
    item: str
    verdict: str
    """``correct``, ``partial`` or ``incorrect``."""
    mistake: str = ""
    """What was wrong, in words (the choice's misconception feedback, the missing points),
    to look up the course pages that address it."""


@dataclass(frozen=True)
class LearnerState:
    now: datetime
    concepts: dict[str, ConceptState]
    items: dict[str, ItemHistory] = field(default_factory=dict)
    last: LastAnswer | None = None
    recent_items: tuple[str, ...] = ()
    """Keys of the items answered last, the newest first."""
    goal: str | None = None
    ungraded: frozenset[str] = frozenset()
    """Items whose answers would wait for a teacher (free text with no grader yet): they
    move no mastery until then, so they are chosen last."""
    mastered_at: float = 0.95
    """The probability at which a concept counts as mastered (``tracing.MASTERED``)."""

    def mastered(self) -> frozenset[str]:
        return frozenset(c for c, s in self.concepts.items() if s.p_mastery >= self.mastered_at)

    def mastery(self) -> dict[str, float]:
        return {c: s.p_mastery for c, s in self.concepts.items()}


class Kind(StrEnum):
    ITEM = "item"
    REVIEW = "review"
    MATERIAL = "material"
    DONE = "done"


class Reason(StrEnum):
    """Why a suggestion comes now; each has a text in the pages' catalogue
    (``next.reason.<value>``) in every language."""

    START = "start"  # no prerequisites, not started
    READY = "ready"  # prerequisites mastered
    CONTINUE = "continue"  # in progress, not yet mastered
    RETRY = "retry"  # another item of the concept after a wrong answer
    READ = "read"  # the course page that addresses the mistake
    STEP_BACK = "step_back"  # stuck: the weakest prerequisite first
    REVIEW = "review"  # recall has faded below the threshold
    GOAL = "goal"  # on the way to the student's or class's goal
    COURSE_ORDER = "course_order"  # the textbook order (the fixed baseline)
    DONE = "done"  # all mastered, no review due
    WAITING = "waiting"  # nothing ready to practise (the fixed order has run out)


@dataclass(frozen=True)
class Suggestion:
    kind: Kind
    reason: Reason
    concept: str | None = None
    item: str | None = None
    p_correct: float | None = None
    """What the student model expects: the probability of a right answer."""
    next_review: datetime | None = None
    """For ``done``: when the next review falls due (``None``: nothing to review yet)."""
    because: dict[str, Any] = field(default_factory=dict)
    """Facts the explanation names: ``prerequisite`` (the concept stepped back from), ``goal``,
    ``recall``, ``wrong`` (answers wrong in a row)..."""
