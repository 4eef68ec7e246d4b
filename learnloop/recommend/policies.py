"""Policies that choose a student's next activity, behind one registry.

- ``fixed``: the textbook: items in course order, each once, then the ones answered wrong.
- ``prerequisite-first``: the first concept in course order whose prerequisites are mastered,
  and its first item not yet solved (the rule learnloop started with; a baseline).
- ``adaptive`` (the default): reviews when recall has faded, a step back to the weakest
  prerequisite when stuck, remediation after a mistake, and otherwise the item with the most
  expected learning gain among the concepts that are ready.

A policy reads only a ``CourseModel`` and a ``LearnerState`` (``model.py``), so it runs the
same on the live database, on simulated learners and in unit tests.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from learnloop.recommend.model import (
    CourseModel,
    ItemInfo,
    Kind,
    LearnerState,
    Reason,
    Suggestion,
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


DIFFICULTY_LOGITS = 2.0
"""How far an item's difficulty moves the expected success, in logits per unit: an item of
difficulty 1 is two logits harder than one of difficulty 0.5 (0.7 expected becomes 0.24)."""


def expected_correct(course: CourseModel, learner: LearnerState, item: ItemInfo) -> float:
    """The student model's probability of a right answer to ``item``: its main concept's
    expected success on a typical item, moved by the item's difficulty."""
    state = learner.concepts.get(item.concepts[0]) if item.concepts else None
    if state is None:
        return 0.5
    base = state.p_correct
    if base is None:
        base = 0.2 + 0.7 * state.p_mastery
    return _sigmoid(_logit(base) + DIFFICULTY_LOGITS * (0.5 - item.difficulty))


class Policy(ABC):
    name: str = "policy"

    @abstractmethod
    def choose(self, course: CourseModel, learner: LearnerState) -> Suggestion:
        """The next activity; ``Kind.DONE`` only when there is nothing left to do."""

    @staticmethod
    def _last(learner: LearnerState) -> str | None:
        return learner.recent_items[0] if learner.recent_items else None

    def _item(
        self,
        course: CourseModel,
        learner: LearnerState,
        key: str,
        reason: Reason,
        concept: str | None = None,
        **because: object,
    ) -> Suggestion:
        """Practise ``key`` for ``concept`` (default: the item's main concept)."""
        item = course.items[key]
        concept = concept or (item.concepts[0] if item.concepts else None)
        return Suggestion(
            kind=Kind.ITEM,
            reason=reason,
            concept=concept,
            item=key,
            p_correct=round(expected_correct(course, learner, item), 3),
            because=dict(because),
        )


class FixedOrder(Policy):
    """Items in course order, each once; then those not yet answered right, in order."""

    name = "fixed"

    def choose(self, course: CourseModel, learner: LearnerState) -> Suggestion:
        last = self._last(learner)
        for key in course.items:
            if key != last and learner.items.get(key) is None:
                return self._item(course, learner, key, Reason.COURSE_ORDER)
        for key in course.items:
            h = learner.items.get(key)
            if key != last and h is not None and h.correct == 0:
                return self._item(course, learner, key, Reason.COURSE_ORDER)
        return Suggestion(kind=Kind.DONE, reason=Reason.DONE)


class PrerequisiteFirst(Policy):
    """The first ready, unmastered concept in course order; its first unsolved item, else its
    first item."""

    name = "prerequisite-first"

    def choose(self, course: CourseModel, learner: LearnerState) -> Suggestion:
        mastered = learner.mastered()
        for concept in course.graph.ready(mastered):
            items = course.items_of.get(concept)
            if not items:
                continue
            pick = next((k for k in items if not (learner.items.get(k) or _NONE).correct), items[0])
            reason = Reason.READY if course.graph.prerequisites(concept) else Reason.START
            return self._item(course, learner, pick, reason)
        return Suggestion(kind=Kind.DONE, reason=Reason.DONE)


class _NoHistory:
    correct = 0
    answered = 0


_NONE = _NoHistory()


@dataclass(frozen=True)
class _Scored:
    score: float
    key: str
    concept: str


class Adaptive(Policy):
    """Pick by expected learning gain; review what is fading; step back when stuck.

    ``target``: the success rate practice aims at (items the student gets right about this
    often teach the most). ``review_recall``: recall below this brings a concept back.
    ``interleave``: at most this many new-work items in a row while a review is due.
    ``stuck_after``: wrong answers in a row on a concept before stepping back to its weakest
    prerequisite; ``falling``: so far below its peak mastery that it counts as stuck too.
    Only a prerequisite in doubt is stepped back to: not mastered, or its recall below
    ``stuck_recall`` (a stricter bar than a review's: being stuck is evidence it has faded).
    """

    name = "adaptive"

    def __init__(
        self,
        *,
        target: float = 0.7,
        review_recall: float = 0.7,
        interleave: int = 2,
        stuck_after: int = 3,
        falling: float = 0.25,
        stuck_recall: float = 0.9,
    ) -> None:
        self.target = target
        self.review_recall = review_recall
        self.interleave = interleave
        self.stuck_after = stuck_after
        self.falling = falling
        self.stuck_recall = stuck_recall

    # the parts, each a small decision the unit tests pin down

    def due_reviews(self, learner: LearnerState) -> list[str]:
        """Concepts once mastered whose recall has fallen below ``review_recall``, most
        faded first."""
        due = [
            (s.recall, c)
            for c, s in learner.concepts.items()
            if s.recall is not None and s.recall < self.review_recall and s.once_mastered
        ]
        return [c for _, c in sorted(due, key=lambda x: (x[0], x[1]))]

    @staticmethod
    def _in_doubt(learner: LearnerState, *, recall_below: float) -> dict[str, float]:
        """How surely each concept is there (mastery, or recall where lower) if it may be
        missing (not mastered, or recall below ``recall_below``); 1 if solid."""
        return {
            c: min(s.p_mastery, s.recall if s.recall is not None else 1.0)
            if s.p_mastery < learner.mastered_at
            or (s.recall is not None and s.recall < recall_below)
            else 1.0
            for c, s in learner.concepts.items()
        }

    def _stuck(self, learner: LearnerState, concept: str) -> bool:
        s = learner.concepts.get(concept)
        if s is None:
            return False
        return s.wrong_streak >= self.stuck_after or s.peak - s.p_mastery >= self.falling

    def _gain(self, course: CourseModel, learner: LearnerState, key: str) -> float:
        item = course.items[key]
        concept = item.concepts[0]
        state = learner.concepts[concept]
        p = expected_correct(course, learner, item)
        # practice at about the target success rate teaches most; far too easy or too hard
        # items teach little
        fit = math.exp(-(((p - self.target) / 0.25) ** 2))
        gain = (1.0 - state.p_mastery) * fit
        # mastering a concept many others need opens more of the course
        gain *= 1.0 + 0.5 * course.graph.reach[concept] / max(len(course.graph), 1)
        h = learner.items.get(key)
        if h is not None:
            gain *= 0.6**h.answered * (0.3 if h.correct else 1.0)
        if key in learner.recent_items[:3]:
            gain *= 0.2
        if key in learner.ungraded:  # the answer would only wait for a teacher
            gain *= 0.05
        return gain

    def _best(
        self, course: CourseModel, learner: LearnerState, concepts: Iterable[str]
    ) -> _Scored | None:
        last = self._last(learner)
        best: _Scored | None = None
        for concept in concepts:
            for key in course.items_of.get(concept, ()):
                if key == last or course.items[key].concepts[0] != concept:
                    continue
                scored = _Scored(self._gain(course, learner, key), key, concept)
                if best is None or scored.score > best.score:
                    best = scored
        if best is None:  # items practising the concept only as a second concept
            for concept in concepts:
                for key in course.items_of.get(concept, ()):
                    if key != last:
                        return _Scored(0.0, key, concept)
        return best

    def _review(
        self, course: CourseModel, learner: LearnerState, concept: str
    ) -> Suggestion | None:
        scored = self._best(course, learner, [concept])
        if scored is None:
            return None
        s = learner.concepts[concept]
        item = course.items[scored.key]
        return Suggestion(
            kind=Kind.REVIEW,
            reason=Reason.REVIEW,
            concept=concept,
            item=scored.key,
            p_correct=round(expected_correct(course, learner, item), 3),
            because={"recall": round(s.recall or 0.0, 3)},
        )

    def _new_work_in_a_row(self, course: CourseModel, learner: LearnerState, due: list[str]) -> int:
        n = 0
        for key in learner.recent_items:
            item = course.items.get(key)
            if item is not None and any(c in due for c in item.concepts):
                break
            n += 1
        return n

    def choose(self, course: CourseModel, learner: LearnerState) -> Suggestion:
        graph = course.graph
        mastered = learner.mastered()
        practisable = [c for c in graph.order if course.items_of.get(c)]
        unmastered = [c for c in practisable if c not in mastered]
        due = [c for c in self.due_reviews(learner) if course.items_of.get(c)]

        # 1. a review, interleaved with new work (or alone when nothing new is left)
        if due and (
            not unmastered or self._new_work_in_a_row(course, learner, due) >= self.interleave
        ):
            review = self._review(course, learner, due[0])
            if review is not None:
                return review

        last = learner.last
        last_concept = None
        if last is not None and last.item in course.items and course.items[last.item].concepts:
            last_concept = course.items[last.item].concepts[0]

        # 2. stuck on a concept: step back to its weakest prerequisite
        if (
            last_concept is not None
            and last_concept not in mastered
            and self._stuck(learner, last_concept)
        ):
            # only a prerequisite in doubt (not mastered, or fading) can be the cause: with
            # all of them solid, the concept itself needs the work
            doubt = self._in_doubt(learner, recall_below=self.stuck_recall)
            back = graph.weakest_prerequisite(last_concept, doubt, below=1.0)
            if back is not None and course.items_of.get(back):
                scored = self._best(course, learner, [back])
                if scored is not None:
                    return self._item(
                        course,
                        learner,
                        scored.key,
                        Reason.STEP_BACK,
                        scored.concept,
                        prerequisite=back,
                        stuck_on=last_concept,
                        wrong=learner.concepts[last_concept].wrong_streak,
                    )

        # 3. after a mistake: the page that addresses it (the second in a row), or another item
        # of the concept (the page beside it shows the worked solution of the one just missed)
        # (an answer waiting for a teacher is no mistake yet)
        if (
            last is not None
            and last.verdict in ("incorrect", "partial")
            and last_concept in unmastered
        ):
            streak = learner.concepts[last_concept].wrong_streak
            scored = self._best(course, learner, [last_concept])
            if scored is not None:
                if streak == 2 and last.mistake:
                    s = self._item(course, learner, scored.key, Reason.READ, scored.concept)
                    return Suggestion(
                        kind=Kind.MATERIAL,
                        reason=Reason.READ,
                        concept=last_concept,
                        item=s.item,
                        p_correct=s.p_correct,
                        because={"wrong": streak, "mistake": last.mistake},
                    )
                return self._item(
                    course, learner, scored.key, Reason.RETRY, scored.concept, wrong=streak
                )

        # 4. new work: the most expected gain among ready concepts; the goal's path first
        ready = [c for c in graph.ready(mastered) if course.items_of.get(c)]
        on_path: list[str] = []
        if learner.goal is not None and learner.goal in graph:
            on_path = [c for c in graph.path_to(learner.goal, mastered) if c in ready]
        if on_path:
            scored = self._best(course, learner, on_path)
            if scored is not None:
                return self._item(
                    course, learner, scored.key, Reason.GOAL, scored.concept, goal=learner.goal
                )
        if ready:
            scored = self._best(course, learner, ready)
            if scored is not None:
                state = learner.concepts[scored.concept]
                if state.started:
                    reason = Reason.CONTINUE
                elif graph.prerequisites(scored.concept):
                    reason = Reason.READY
                else:
                    reason = Reason.START
                return self._item(course, learner, scored.key, reason, scored.concept)

        # 5. something unmastered but nothing ready (a cycle, or a concept whose items all
        # practise it second): any unmastered concept, so the student is never left idle
        if unmastered:
            scored = self._best(course, learner, unmastered)
            if scored is not None:
                return self._item(course, learner, scored.key, Reason.CONTINUE, scored.concept)

        # 6. all mastered: a review due (even if just done in a row), else nothing
        for concept in due:
            review = self._review(course, learner, concept)
            if review is not None:
                return review
        upcoming = [
            s.due for s in learner.concepts.values() if s.due is not None and s.once_mastered
        ]
        return Suggestion(
            kind=Kind.DONE, reason=Reason.DONE, next_review=min(upcoming) if upcoming else None
        )


POLICIES: dict[str, type[Policy]] = {
    "fixed": FixedOrder,
    "prerequisite-first": PrerequisiteFirst,
    "adaptive": Adaptive,
}
"""Every policy by the name the setting (``LEARNLOOP_RECOMMEND_POLICY``) and ``course.yaml``'s
``settings.policy`` use."""

DEFAULT_POLICY = "adaptive"


def make_policy(name: str, **params: float) -> Policy:
    try:
        cls = POLICIES[name]
    except KeyError:
        from learnloop.errors import InvalidInputError

        raise InvalidInputError(
            f"unknown recommendation policy {name!r}; choose one of {', '.join(POLICIES)}"
        ) from None
    if cls is Adaptive:
        return Adaptive(**params)  # type: ignore[arg-type]
    return cls()
