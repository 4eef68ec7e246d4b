"""Simulated students, to measure the policies on learners whose true state we know.

A policy only sees what the student model infers from answers; a simulated learner also has a
hidden, true state (``knows``), so a benchmark can count what a student has really learnt after
so many answers, and an ``Oracle`` can choose with that state in hand. Two models of learning,
so a policy tuned to one cannot pass by accident:

- ``BKTLearner``: each concept known or not. Practice teaches an unknown concept with a
  probability that is highest when the item's difficulty suits the student and ten times lower
  while a prerequisite is not truly known. A known concept is lost at a random moment drawn
  along the forgetting curve (``Curve``: by default FSRS's, with its published default
  parameters); each right answer after a gap lengthens the stability (spacing matters,
  cramming does not).
- ``AbilityLearner``: an ability per concept, P(right) = guess + (1 - guess - slip) *
  sigmoid(ability - item logit). Practice raises ability most when success is neither rare nor
  certain, and hardly at all while the prerequisites are weak; what was gained decays
  towards a baseline along the same curve, with a stability that grows the same way.

Both answer with slips and guesses, and a right answer on a concept is a light review of its
prerequisites. Each student's parameters are drawn from their seed, so a population varies,
and the same seeds give the same students to every policy.

``simulate`` drives them through the real answer loop: one SQLite database per run with the
course imported (and its demo free-text grader trained, as ``make demo`` does), a real user per
student, ``services.recommend.next_activity`` (the function behind ``GET /api/v1/next``) to
choose and ``services.learning.submit_attempt`` to answer, under simulated time
(``time-machine``). ``ResponseBuilder`` writes what the student sends: a response the real
grader grades right, or a wrong one (a wrong choice with misconception feedback first). Free
text goes to the trained grader like a real answer: one it holds for a teacher moves no mastery.
A ``material`` suggestion costs a step and teaches the simulated student nothing; the item that
came with it is answered next. An empty suggestion costs a step and ends the sitting.
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from learnloop.courses.values import parse_number
from learnloop.domain import Item, ItemType, Verdict
from learnloop.domain.course import (
    CoursePack,
    ExpressionAnswer,
    MultipleChoiceAnswer,
    NumericAnswer,
    TextAnswer,
)
from learnloop.grading import grade_response
from learnloop.recommend.graph import ConceptGraph
from learnloop.recommend.model import CourseModel, ItemInfo

DAY = 86_400.0
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
"""Simulated time starts here (a Monday morning), after anything a real clock stored."""
CHECKPOINTS = (30, 60, 120)

Response = str | list[str]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _days(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / DAY)


def course_model(pack: CoursePack) -> CourseModel:
    """The recommender's view of a course pack (keys are the pack's ids, as in the database)."""
    graph = ConceptGraph(
        [c.id for c in pack.concepts], {c.id: c.prerequisites for c in pack.concepts}
    )
    items = [
        ItemInfo(key=i.id, concepts=tuple(i.concepts), difficulty=i.difficulty, type=i.type.value)
        for i in pack.items
    ]
    return CourseModel.build(pack.course.id, graph, items)


# --- learners -------------------------------------------------------------------------------

GUESS = {"multiple_choice": 0.25, "numeric": 0.03, "expression": 0.03, "text": 0.04}
"""Chance of a right answer without knowing, by item type (free text: 0.08)."""
PRIOR_REVIEW = 0.5
"""A right answer on a concept reviews each of its prerequisites this much."""


@dataclass(frozen=True)
class Curve:
    """How a simulated learner forgets: the probability ``retention(days, stability)`` that
    a concept practised ``days`` ago is still there, with its inverse.

    - ``fsrs``: the power curve of the FSRS memory model, with the decay and the first
      stability (days until recall falls to 90 %, after a first "good" answer) of the
      ``fsrs`` package's default parameters, which its authors fitted on millions of real
      reviews. The default: the population whose forgetting is measured.
    - ``fast``: exponential, the stability the mean time a concept lasts (four days on
      average from the first learning): about seven times faster than ``fsrs``; a stress
      test.
    """

    name: str
    first_stability: float
    """Median stability of a newly learnt concept, in days."""
    decay: float = 0.0
    """The power curve's exponent (0: exponential)."""

    @property
    def _factor(self) -> float:
        return 0.9 ** (-1.0 / self.decay) - 1.0

    def retention(self, days: float, stability: float) -> float:
        if self.decay == 0.0:
            return math.exp(-days / stability)
        return (1.0 + self._factor * days / stability) ** -self.decay

    def days_until(self, retention: float, stability: float) -> float:
        """Days until ``retention`` falls to the given value (0 < value <= 1)."""
        if self.decay == 0.0:
            return -stability * math.log(retention)
        return stability / self._factor * (retention ** (-1.0 / self.decay) - 1.0)


def _fsrs_curve() -> Curve:
    from fsrs.scheduler import DEFAULT_PARAMETERS, FSRS_DEFAULT_DECAY

    return Curve("fsrs", first_stability=float(DEFAULT_PARAMETERS[2]), decay=FSRS_DEFAULT_DECAY)


CURVES: dict[str, Callable[[], Curve]] = {
    "fsrs": _fsrs_curve,
    "fast": lambda: Curve("fast", first_stability=4.0),
}
DEFAULT_CURVE = "fsrs"


def strengthen(stability: float, elapsed: float, growth: float, weight: float = 1.0) -> float:
    """Stability after a successful retrieval ``elapsed`` days after the last one: hardly
    longer when crammed (elapsed much shorter than the stability), up to ``1 + growth`` times
    when spaced."""
    spacing = 1.0 - math.exp(-elapsed / stability)
    return stability * (1.0 + weight * growth * spacing)


class Learner(ABC):
    """A simulated student of one course. ``knows`` is the truth metrics and the oracle use;
    policies never see it."""

    name: ClassVar[str]

    def __init__(
        self,
        course: CourseModel,
        seed: int,
        *,
        start: datetime = START,
        curve: Curve | str = DEFAULT_CURVE,
    ) -> None:
        self.course = course
        self.seed = seed
        self.start = start
        self.curve = CURVES[curve]() if isinstance(curve, str) else curve
        params = np.random.default_rng([seed, 0])
        self._rng = np.random.default_rng([seed, 1])
        self.slip = float(params.uniform(0.03, 0.10))
        self.guess_scale = float(params.uniform(0.7, 1.3))
        self.stability0 = float(params.lognormal(math.log(self.curve.first_stability), 0.35))
        """The stability of a newly learnt concept, in days (``Curve``)."""
        self.growth = float(params.uniform(1.5, 3.0))
        self._draw(params)

    @abstractmethod
    def _draw(self, params: np.random.Generator) -> None:
        """The model's own parameters and starting state."""

    def guess(self, item: ItemInfo) -> float:
        return min(0.5, GUESS.get(item.type, 0.08) * self.guess_scale)

    def slip_on(self, item: ItemInfo) -> float:
        return min(0.3, self.slip * (0.5 + item.difficulty))

    @abstractmethod
    def p_correct(self, item: ItemInfo, now: datetime) -> float: ...

    def answer(self, item: ItemInfo, rng: np.random.Generator, now: datetime) -> bool:
        """One draw per answer, so the n-th answers of two runs share their luck."""
        return bool(rng.random() < self.p_correct(item, now))

    @abstractmethod
    def practise(self, item: ItemInfo, correct: bool, now: datetime) -> None:
        """Learn from answering ``item`` (``correct`` is what the student did) and its
        feedback."""

    @abstractmethod
    def knows(self, concept: str, now: datetime) -> bool: ...

    @abstractmethod
    def days_left(self, concept: str, now: datetime) -> float:
        """Days until a known concept is forgotten (0 when not known)."""

    @abstractmethod
    def gain(self, item: ItemInfo, now: datetime) -> float:
        """What practising ``item`` now would add, in the model's own units (for the oracle)."""

    def known(self, now: datetime) -> frozenset[str]:
        return frozenset(c for c in self.course.graph.order if self.knows(c, now))

    def prerequisites_known(self, concept: str, now: datetime) -> bool:
        return all(self.knows(p, now) for p in self.course.graph.prerequisites(concept))


class BKTLearner(Learner):
    name = "bkt"
    BLOCKED = 0.1
    """Learning rate while a prerequisite is not truly known, relative to ready."""

    def _draw(self, params: np.random.Generator) -> None:
        self.learn = float(params.uniform(0.15, 0.35))
        self.sweet = float(np.clip(params.normal(0.4, 0.12), 0.1, 0.8))
        """The difficulty this student learns best from."""
        prior = float(params.uniform(0.0, 0.3))
        self._known: dict[str, bool] = {}
        self._stability: dict[str, float] = {}
        self._last: dict[str, datetime] = {}
        self._forget_at: dict[str, datetime] = {}
        self._lapses: dict[str, int] = {}
        for c in self.course.graph.order:  # course order lists prerequisites first
            ready = all(self._known.get(p, False) for p in self.course.graph.prerequisites(c))
            if ready and params.random() < prior:
                self._acquire(c, self.start, stability=2 * self.stability0)
            else:
                self._known[c] = False

    def _acquire(self, concept: str, now: datetime, *, stability: float) -> None:
        self._known[concept] = True
        self._stability[concept] = stability
        self._retrieved(concept, now)

    def _retrieved(self, concept: str, now: datetime) -> None:
        """The moment it will be lost, drawn afresh from now along the forgetting curve."""
        self._last[concept] = now
        u = 1.0 - float(self._rng.random())  # in (0, 1]
        wait = self.curve.days_until(u, self._stability[concept])
        self._forget_at[concept] = now + timedelta(days=min(wait, 36_500.0))

    def knows(self, concept: str, now: datetime) -> bool:
        return self._known.get(concept, False) and now < self._forget_at[concept]

    def days_left(self, concept: str, now: datetime) -> float:
        return _days(now, self._forget_at[concept]) if self.knows(concept, now) else 0.0

    def p_correct(self, item: ItemInfo, now: datetime) -> float:
        if all(self.knows(c, now) for c in item.concepts):
            return 1.0 - self.slip_on(item)
        return self.guess(item)

    def _p_learn(self, item: ItemInfo, concept: str, main: bool, now: datetime) -> float:
        suit = math.exp(-0.5 * ((item.difficulty - self.sweet) / 0.3) ** 2)
        ready = 1.0 if self.prerequisites_known(concept, now) else self.BLOCKED
        savings = 1.5 if self._lapses.get(concept) else 1.0
        return min(0.9, self.learn * suit * ready * savings * (1.0 if main else 0.5))

    def gain(self, item: ItemInfo, now: datetime) -> float:
        return sum(
            self._p_learn(item, c, n == 0, now)
            for n, c in enumerate(item.concepts)
            if not self.knows(c, now)
        )

    def practise(self, item: ItemInfo, correct: bool, now: datetime) -> None:
        for c in self.course.graph.order:  # lapses that happened by now
            if self._known.get(c) and now >= self._forget_at[c]:
                self._known[c] = False
                self._lapses[c] = self._lapses.get(c, 0) + 1
        for n, c in enumerate(item.concepts):
            if c not in self.course.graph:
                continue
            if self._known[c]:
                if correct:
                    elapsed = _days(self._last[c], now)
                    self._stability[c] = strengthen(self._stability[c], elapsed, self.growth)
                self._retrieved(c, now)
            elif self._rng.random() < self._p_learn(item, c, n == 0, now):
                lapses = self._lapses.get(c, 0)
                self._acquire(c, now, stability=self.stability0 * (1 + 0.5 * lapses))
        if correct and item.concepts:
            for p in self.course.graph.prerequisites(item.concepts[0]):
                if self._known.get(p) and self.knows(p, now):
                    elapsed = _days(self._last[p], now)
                    self._stability[p] = strengthen(
                        self._stability[p], elapsed, self.growth, PRIOR_REVIEW
                    )
                    self._retrieved(p, now)


class AbilityLearner(Learner):
    name = "ability"
    KNOWN = 1.0
    """Ability at which a concept counts as truly known (about 0.7 right on a typical item)."""
    PRODUCTIVE = 0.55
    CONSOLIDATE = 0.5
    """The share of a spaced gain that stays for good (the baseline the ability decays to
    rises); half of that when crammed."""
    """The success rate (before slips and guesses) at which practice teaches most."""

    def _draw(self, params: np.random.Generator) -> None:
        self.rate = float(params.uniform(0.4, 0.8))
        level = float(params.normal(-0.5, 0.5))
        depth = self.course.graph.depth
        self._theta: dict[str, float] = {}
        self._base: dict[str, float] = {}
        self._stability: dict[str, float] = {}
        self._last: dict[str, datetime] = {}
        for c in self.course.graph.order:
            theta = level + float(params.normal(0.0, 0.5)) - 0.1 * depth.get(c, 0)
            self._theta[c] = self._base[c] = theta
            self._stability[c] = self.stability0

    @staticmethod
    def logit(item: ItemInfo) -> float:
        """Difficulty 0.1 is 1.5 logits easier than 0.4, 0.8 two logits harder."""
        return -2.0 + 5.0 * item.difficulty

    def ability(self, concept: str, now: datetime) -> float:
        theta, base = self._theta[concept], self._base[concept]
        last = self._last.get(concept)
        if last is None or theta <= base:
            return theta
        kept = self.curve.retention(_days(last, now), self._stability[concept])
        return base + (theta - base) * kept

    def knows(self, concept: str, now: datetime) -> bool:
        return concept in self._theta and self.ability(concept, now) >= self.KNOWN

    def days_left(self, concept: str, now: datetime) -> float:
        if not self.knows(concept, now):
            return 0.0
        theta, base, last = self._theta[concept], self._base[concept], self._last.get(concept)
        if last is None or base >= self.KNOWN:
            return math.inf
        cross = self.curve.days_until(
            (self.KNOWN - base) / (theta - base), self._stability[concept]
        )
        return max(0.0, cross - _days(last, now))

    def p_correct(self, item: ItemInfo, now: datetime) -> float:
        known = [c for c in item.concepts if c in self._theta]
        theta = min((self.ability(c, now) for c in known), default=0.0)
        g, s = self.guess(item), self.slip_on(item)
        return g + (1.0 - g - s) * _sigmoid(theta - self.logit(item))

    def _gain(self, item: ItemInfo, concept: str, main: bool, now: datetime) -> float:
        p = _sigmoid(self.ability(concept, now) - self.logit(item))
        if p < self.PRODUCTIVE:  # too hard still teaches a little; too easy hardly at all
            window = 0.15 + 0.85 * math.exp(-0.5 * ((p - self.PRODUCTIVE) / 0.3) ** 2)
        else:
            window = math.exp(-0.5 * ((p - self.PRODUCTIVE) / 0.2) ** 2)
        gate = min(
            (
                _sigmoid(4.0 * (self.ability(pre, now) - self.KNOWN + 0.5))
                for pre in self.course.graph.prerequisites(concept)
            ),
            default=1.0,
        )
        return self.rate * window * gate * (1.0 if main else 0.5)

    def gain(self, item: ItemInfo, now: datetime) -> float:
        return sum(
            self._gain(item, c, n == 0, now)
            for n, c in enumerate(item.concepts)
            if c in self._theta
        )

    def practise(self, item: ItemInfo, correct: bool, now: datetime) -> None:
        gains = {
            c: self._gain(item, c, n == 0, now) * (1.0 if correct else 0.6)
            for n, c in enumerate(item.concepts)
            if c in self._theta
        }
        for c, gain in gains.items():
            spacing = self._retrieve(c, now, correct=correct, weight=1.0)
            self._theta[c] += gain
            self._base[c] += self.CONSOLIDATE * (0.5 + 0.5 * spacing) * gain  # spaced work stays
        if correct and item.concepts:
            for p in self.course.graph.prerequisites(item.concepts[0]):
                if self.knows(p, now):
                    self._retrieve(p, now, correct=True, weight=PRIOR_REVIEW)

    def _retrieve(self, concept: str, now: datetime, *, correct: bool, weight: float) -> float:
        """Bring the concept's state to ``now``; returns how spaced the practice was (1: the
        first time or long after, 0: just practised)."""
        current = self.ability(concept, now)
        last = self._last.get(concept)
        spacing = 1.0
        if last is not None:
            stability = self._stability[concept]
            spacing = 1.0 - math.exp(-_days(last, now) / stability)
            if correct:
                self._stability[concept] = strengthen(
                    stability, _days(last, now), self.growth, weight
                )
        self._theta[concept] = current
        self._last[concept] = now
        return spacing


LEARNERS: dict[str, type[Learner]] = {"bkt": BKTLearner, "ability": AbilityLearner}


# --- responses ------------------------------------------------------------------------------


class ResponseError(ValueError):
    """An item for which no right (or no wrong) response could be written."""


def _decimal(value: Fraction) -> str | None:
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return None
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _forms(value: Fraction) -> list[str]:
    """``value`` written every way a student might: integer, fraction, mixed, decimal,
    percent."""
    out: list[str] = []
    if value.denominator == 1:
        out.append(str(value.numerator))
    out.append(f"{value.numerator}/{value.denominator}")
    whole, rest = divmod(abs(value), 1)
    if whole and rest:
        sign = "-" if value < 0 else ""
        out.append(f"{sign}{whole} {rest.numerator}/{rest.denominator}")
    if (dec := _decimal(value)) is not None:
        out.append(dec)
    if (pct := _decimal(value * 100)) is not None:
        out.append(f"{pct}%")
    return out


def _numeric(spec: NumericAnswer) -> tuple[list[Response], list[Response]]:
    value = parse_number(spec.value)
    if value is None:
        return [spec.value], []
    unit = f" {spec.unit}" if spec.unit else ""
    right: list[Response] = [f"{spec.value}{unit}", *(f + unit for f in _forms(value))]
    wrongs = [1 / value if value else Fraction(1), value + 1, value * 2 + 1, value - Fraction(1, 2)]
    wrong: list[Response] = [f + unit for w in wrongs if w != value for f in _forms(w)]
    return right, wrong


def _expression(spec: ExpressionAnswer) -> tuple[list[Response], list[Response]]:
    expr = spec.expression
    if "=" in expr:
        lhs, rhs = expr.split("=", 1)
        return [expr], [f"{lhs} = ({rhs}) + 1", f"{lhs} = 2*({rhs})"]
    return [expr], [f"({expr}) + 1", f"2*({expr})", f"({expr}) - 3"]


def _text(spec: TextAnswer) -> tuple[list[Response], list[Response]]:
    return list(spec.accept), ["I do not know", "xylophone", "zzz"]


WRONG_FREE_TEXT = "I think it is because of the weather, but I am not sure."


class ResponseBuilder:
    """What a simulated student sends for each item of a course: a response the real grader
    grades right, and wrong ones (graded incorrect), checked against the rule graders once.

    Free text has no rule grader: a right response is the first reference answer and a wrong
    one a labelled wrong sample answer of the item when ``samples`` (the demo's grader data)
    has one; the course's learned grader then decides, and may hold either for a teacher.
    """

    def __init__(
        self, items: Iterable[Item], *, lang: str = "en", samples: Path | None = None
    ) -> None:
        self.lang = lang
        wrong_samples = _wrong_samples(samples, lang) if samples is not None else {}
        self.right_: dict[str, Response] = {}
        self.wrong_: dict[str, tuple[Response, ...]] = {}
        for item in items:
            self.right_[item.id], self.wrong_[item.id] = self._build(item, wrong_samples)

    def _build(
        self, item: Item, samples: dict[str, list[str]]
    ) -> tuple[Response, tuple[Response, ...]]:
        spec = item.answer
        if isinstance(spec, MultipleChoiceAnswer):
            right_ids = [c.id for c in spec.choices if c.correct]
            wrong = [c for c in spec.choices if not c.correct]
            if not wrong:
                raise ResponseError(f"item {item.id!r}: every choice is right")
            explained = [c.id for c in wrong if c.feedback]
            picks = explained or [c.id for c in wrong]
            right: Response = right_ids if spec.multiple else right_ids[0]
            return right, tuple([p] if spec.multiple else p for p in picks)
        if item.type is ItemType.FREE_TEXT:
            refs = [r.get(self.lang) or next(iter(r.values())) for r in item.reference_answers]
            return refs[0], tuple(samples.get(item.id) or [WRONG_FREE_TEXT])
        if isinstance(spec, NumericAnswer):
            rights, wrongs = _numeric(spec)
        elif isinstance(spec, ExpressionAnswer):
            rights, wrongs = _expression(spec)
        elif isinstance(spec, TextAnswer):
            rights, wrongs = _text(spec)
        else:  # pragma: no cover - every answer type is handled above
            raise ResponseError(f"item {item.id!r}: no responses for {item.type.value}")
        right_one = self._first(item, rights, Verdict.CORRECT)
        wrong_one = self._first(item, wrongs, Verdict.INCORRECT)
        return right_one, (wrong_one,)

    def _first(self, item: Item, candidates: Sequence[Response], verdict: Verdict) -> Response:
        for response in dict.fromkeys(c if isinstance(c, str) else tuple(c) for c in candidates):
            value: Response = response if isinstance(response, str) else list(response)
            grade = grade_response(item, value, lang=self.lang)
            if grade.verdict is verdict and grade.confidence >= 1.0:
                return value
        raise ResponseError(f"item {item.id!r}: no candidate is graded {verdict.value}")

    def right(self, key: str) -> Response:
        return self.right_[key]

    def wrong(self, key: str, rng: np.random.Generator) -> Response:
        options = self.wrong_[key]
        return options[int(rng.integers(len(options)))]


def _wrong_samples(path: Path, lang: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") == "incorrect" and row.get("language") == lang:
            out.setdefault(row["question_id"], []).append(row["answer"])
    return out


# --- simulation-side policies ---------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    item: str
    concept: str
    review: bool = False


class Chooser(Protocol):
    """A policy that runs beside the service: it may look at the true learner."""

    name: str

    def choose(
        self, course: CourseModel, learner: Learner, now: datetime, previous: str | None
    ) -> Choice | None: ...


class Oracle:
    """Sees the true state: the first concept in course order that is not truly known but whose
    prerequisites are, its item with success nearest ``target`` (ties within 0.05 go to the item
    that teaches this learner most), never the same item twice in a row; when all is known, a
    review of the concept that would be forgotten first."""

    name = "oracle"

    def __init__(self, target: float = 0.7) -> None:
        self.target = target

    def choose(
        self, course: CourseModel, learner: Learner, now: datetime, previous: str | None
    ) -> Choice | None:
        known = learner.known(now)
        order = course.graph.order
        todo = [c for c in order if c not in known and course.items_of.get(c)]
        review = not todo
        if todo:
            ready = [c for c in todo if course.graph.is_ready(c, known)]
            concept = (ready or todo)[0]
        else:
            practised = [c for c in order if course.items_of.get(c)]
            if not practised:
                return None
            concept = min(practised, key=lambda c: learner.days_left(c, now))
        keys = [k for k in course.items_of[concept] if k != previous]
        if not keys:
            keys = [k for k in course.items if k != previous]
        if not keys:
            return None

        def key(k: str) -> tuple[float, float]:
            item = course.items[k]
            miss = abs(learner.p_correct(item, now) - self.target)
            return (round(miss / 0.05), -learner.gain(item, now))

        return Choice(item=min(keys, key=key), concept=concept, review=review)


class RandomPolicy:
    """Any current item, uniformly, never the same twice in a row: the floor."""

    name = "random"

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def choose(
        self, course: CourseModel, learner: Learner, now: datetime, previous: str | None
    ) -> Choice | None:
        keys = [k for k in course.items if k != previous]
        if not keys:
            return None
        pick = keys[int(self.rng.integers(len(keys)))]
        item = course.items[pick]
        return Choice(item=pick, concept=item.concepts[0] if item.concepts else "")


SIMULATED_POLICIES = ("oracle", "random")
"""Policies that run in the simulation, not in the service's registry."""


# --- the driver -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    n: int
    """1-based: an answer, a page read or an empty suggestion each spend one step."""
    at: datetime
    kind: str
    """``item``, ``review``, ``material`` or ``done`` (nothing suggested)."""
    item: str | None
    concept: str | None
    correct: bool | None
    """What the student did (the grade may differ: a learned grader errs, or waits)."""
    verdict: str | None
    provisional: bool
    known: frozenset[str]
    """Concepts truly known after the step."""
    choose_ms: float = 0.0
    reason: str | None = None
    """Why the policy chose it (the service's ``Reason``; ``oracle``/``random`` give none)."""


@dataclass
class StudentRun:
    student: int
    steps: list[Step] = field(default_factory=list)
    all_known_at: int | None = None
    """The first step after which every concept was truly known."""

    def known_after(self, n: int) -> int | None:
        if n > len(self.steps):
            if self.steps and self.all_known_at is not None:
                return len(self.steps[-1].known)
            return None
        return len(self.steps[n - 1].known)


@dataclass
class PolicyRun:
    course: str
    policy: str
    learner: str
    concepts: int
    students: list[StudentRun]
    steps: int
    seconds: float = 0.0


@dataclass(frozen=True)
class Schedule:
    """When a student practises: ``session_length`` steps a sitting, an answer every 90 s
    (a page read: 5 min), then a gap of whole days: daily for seven students in ten, the
    others irregular (gaps drawn around a mean of 2 to 5 days)."""

    session_length: int = 10
    answer_seconds: float = 90.0
    material_seconds: float = 300.0
    gaps: tuple[float, ...] = ()

    @classmethod
    def draw(cls, rng: np.random.Generator, session_length: int, sessions: int) -> Schedule:
        irregular = rng.random() < 0.3
        mean_gap = float(rng.uniform(2.0, 5.0)) if irregular else 1.0
        gaps = tuple(
            max(1.0, round(float(rng.exponential(mean_gap - 0.5)) + 0.5)) if irregular else 1.0
            for _ in range(sessions)
        )
        return cls(session_length=session_length, gaps=gaps)


@dataclass
class Student:
    index: int
    user: Any
    learner: Learner
    schedule: Schedule
    answer_rng: np.random.Generator
    response_rng: np.random.Generator
    policy_rng: np.random.Generator


Progress = Callable[[str], None]


def student_seed(seed: int, index: int) -> int:
    return seed * 100_003 + index


def make_students(
    course: CourseModel,
    learner: str,
    users: Sequence[Any],
    *,
    seed: int,
    session_length: int,
    steps: int,
    curve: str = DEFAULT_CURVE,
    start: datetime = START,
) -> list[Student]:
    """The same students for every policy: their parameters, schedules and random streams come
    from ``seed`` and their index only."""
    out = []
    sessions = steps + 1  # an empty suggestion ends a session early
    for i, user in enumerate(users):
        s = student_seed(seed, i)
        out.append(
            Student(
                index=i,
                user=user,
                learner=LEARNERS[learner](course, s, curve=curve, start=start),
                schedule=Schedule.draw(np.random.default_rng([s, 4]), session_length, sessions),
                answer_rng=np.random.default_rng([s, 2]),
                response_rng=np.random.default_rng([s, 3]),
                policy_rng=np.random.default_rng([s, 5]),
            )
        )
    return out


class World:
    """A SQLite database (and data folder) with one course, a class and simulated students."""

    PASSWORD = "simulated-student"
    CLASS = "Simulation"
    MEASURED = "sim"
    WARM = "prev"
    """Users of last term's class (``warm_up``)."""

    @staticmethod
    def names(count: int, prefix: str = MEASURED) -> list[str]:
        return [f"{prefix}{i:03d}" for i in range(count)]

    def __init__(self, root: Path) -> None:
        from learnloop.services.context import Backend
        from learnloop.settings import Settings

        self.root = root
        settings = Settings(
            database_url=f"sqlite:///{root / 'learnloop.db'}",
            data_dir=root / "data",
            embedding_model="none",
            chat_backend="off",
        )
        self.backend = Backend.open(settings, check_schema=False)

    @classmethod
    def create(
        cls,
        root: Path,
        pack_dir: Path,
        students: int,
        *,
        grader_data: Path | None = None,
        warm: int = 0,
    ) -> World:
        """Import the course, train its demo free-text grader (``grader_data``), create the
        class and ``students`` users ``sim000``..."""
        import time_machine

        from learnloop.services import classes, courses, users
        from learnloop.services.demo_graders import ensure_demo_grader

        root.mkdir(parents=True, exist_ok=True)
        world = cls(root)
        with time_machine.travel(START - timedelta(days=1), tick=False):
            world.backend.upgrade()
            with world.backend.transaction() as s:
                report = courses.import_path(s, path=pack_dir, embedder=None)
                classes.ensure_class(s, name=cls.CLASS)
                classes.add_course(s, class_name=cls.CLASS, course_id=report.course_id)
                for name in [*cls.names(students), *cls.names(warm, cls.WARM)]:
                    users.create_user(s, username=name, password=cls.PASSWORD)
                    classes.enrol(s, class_name=cls.CLASS, username=name)
            if grader_data is not None:
                ensure_demo_grader(world.backend, course=report.course_id, data_file=grader_data)
        return world

    @classmethod
    def clone(cls, source: Path, target: Path) -> World:
        """The world in ``source`` copied to ``target``: every policy starts from identical
        databases."""
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        return cls(target)

    def users(self, count: int, prefix: str = MEASURED) -> list[Any]:
        from sqlalchemy import select

        from learnloop.storage.tables import User

        names = self.names(count, prefix)
        with self.backend.transaction() as s:
            rows = {u.username: u for u in s.scalars(select(User).where(User.username.in_(names)))}
            for u in rows.values():
                s.expunge(u)
        return [rows[n] for n in names]

    def close(self) -> None:
        self.backend.close()


def _service_step(
    world: World, student: Student, course_key: str, policy: str, now: datetime
) -> tuple[str, str | None, str | None, float, str]:
    import time_machine

    from learnloop.services.recommend import next_activity

    t0 = time.perf_counter()
    with time_machine.travel(now, tick=False):
        act = next_activity(world.backend, student.user, course_key, policy=policy)
    ms = (time.perf_counter() - t0) * 1000
    kind = str(getattr(act.kind, "value", act.kind))
    return kind, act.item_id, act.concept_id, ms, str(act.reason)


def run_student(
    world: World,
    course: CourseModel,
    responses: ResponseBuilder,
    student: Student,
    policy: str,
    *,
    steps: int,
    stop_after: int = CHECKPOINTS[-1],
) -> StudentRun:
    """Practise until ``steps`` steps, or until every concept is truly known and at least
    ``stop_after`` steps are done."""
    import time_machine

    from learnloop.services.learning import submit_attempt

    learner, sched = student.learner, student.schedule
    chooser: Chooser | None = None
    if policy == "oracle":
        chooser = Oracle()
    elif policy == "random":
        chooser = RandomPolicy(student.policy_rng)
    run = StudentRun(student=student.index)
    everything = len(course.graph.order)
    session_start, session, in_session = learner.start, 0, 0
    now = learner.start
    previous: str | None = None
    after_reading: tuple[str, str | None] | None = None
    item_key: str | None
    concept: str | None
    for n in range(1, steps + 1):
        if in_session >= sched.session_length:
            session_start += timedelta(days=sched.gaps[min(session, len(sched.gaps) - 1)])
            session, in_session, now = session + 1, 0, session_start
        in_session += 1
        reason: str | None = None
        if after_reading is not None:  # a page read, then the item that came with it
            kind, (item_key, concept), ms, reason = "item", after_reading, 0.0, "read"
            after_reading = None
        elif chooser is not None:
            t0 = time.perf_counter()
            choice = chooser.choose(course, learner, now, previous)
            ms = (time.perf_counter() - t0) * 1000
            kind = ("review" if choice.review else "item") if choice else "done"
            item_key = choice.item if choice else None
            concept = choice.concept if choice else None
        else:
            kind, item_key, concept, ms, reason = _service_step(
                world, student, course.key, policy, now
            )
        correct: bool | None = None
        verdict: str | None = None
        provisional = False
        if kind in ("item", "review") and item_key is not None:
            item = course.items[item_key]
            correct = learner.answer(item, student.answer_rng, now)
            response = (
                responses.right(item_key)
                if correct
                else responses.wrong(item_key, student.response_rng)
            )
            with time_machine.travel(now, tick=False):
                result = submit_attempt(
                    world.backend,
                    user=student.user,
                    course_key=course.key,
                    item_key=item_key,
                    response=response,
                    language=responses.lang,
                )
            verdict, provisional = result.grade.verdict, bool(result.grade.provisional)
            learner.practise(item, correct, now)
            previous = item_key
            now += timedelta(seconds=sched.answer_seconds)
        elif kind == "material":
            if item_key is not None:
                after_reading = (item_key, concept)
            now += timedelta(seconds=sched.material_seconds)
        else:
            kind = "done"
            in_session = sched.session_length  # nothing to do: come back next time
        known = learner.known(now)
        run.steps.append(
            Step(n, now, kind, item_key, concept, correct, verdict, provisional, known, ms, reason)
        )
        if len(known) == everything and run.all_known_at is None:
            run.all_known_at = n
        if run.all_known_at is not None and n >= stop_after:
            break
    return run


@lru_cache(maxsize=8)
def _prepared(pack_dir: str, lang: str, samples: str) -> tuple[CourseModel, ResponseBuilder]:
    """A course pack read once per process, with its model and responses."""
    from learnloop.courses import load_pack

    pack = load_pack(pack_dir)
    builder = ResponseBuilder(pack.items, lang=lang, samples=Path(samples) if samples else None)
    return course_model(pack), builder


WARM_DAYS = 120
"""Last term's class starts this many days before the measured students."""


def warm_up(
    world: World,
    pack_dir: Path,
    learner: str,
    *,
    students: int,
    steps: int,
    seed: int,
    lang: str = "en",
    grader_data: Path | None = None,
    session_length: int = 10,
    curve: str = DEFAULT_CURVE,
    progress: Progress | None = None,
) -> None:
    """Last term's class: ``students`` other simulated students (seeds of their own, the
    ``WARM`` users ``World.create`` made) practise ``steps`` steps each under the default
    policy, starting ``WARM_DAYS`` before the measured ones; then the live student model and
    the forgetting model are fitted on their log, as a school's course is after a term. Their
    answers stay in the log, as they would."""
    from learnloop.recommend.policies import DEFAULT_POLICY
    from learnloop.services import jobs
    from learnloop.services.forgetting import fit_forgetting
    from learnloop.services.tracing import refit_live

    course, responses = _prepared(str(pack_dir), lang, str(grader_data or ""))
    population = make_students(
        course,
        learner,
        world.users(students, World.WARM),
        seed=seed + 7_919,  # not the measured students' seeds
        session_length=session_length,
        steps=steps,
        curve=curve,
        start=START - timedelta(days=WARM_DAYS),
    )
    for student in population:
        run = run_student(
            world, course, responses, student, DEFAULT_POLICY, steps=steps, stop_after=steps
        )
        if progress is not None:
            progress(
                f"{course.key} {learner} last term: student {student.index + 1}/{students}, "
                f"{len(run.steps)} steps"
            )
    jobs.wait_for_threads(600)  # a background re-fit started by their answers
    refit_live(world.backend)
    fit_forgetting(world.backend)


def simulate(
    pack_dir: Path,
    policy: str,
    learner: str,
    *,
    root: Path,
    students: int = 30,
    steps: int = 400,
    session_length: int = 10,
    seed: int = 0,
    lang: str = "en",
    grader_data: Path | None = None,
    template: Path | None = None,
    progress: Progress | None = None,
    curve: str = DEFAULT_CURVE,
) -> PolicyRun:
    """Run ``students`` simulated students of the ``learner`` model on the course at
    ``pack_dir`` under ``policy`` (a name in ``learnloop.recommend.POLICIES``, or ``oracle``,
    ``random``), in a database of its own under ``root``. ``template``: the folder of a world
    made by ``World.create`` with at least ``students`` users, copied instead of importing the
    course again (runs in parallel processes share one)."""
    course, responses = _prepared(str(pack_dir), lang, str(grader_data or ""))
    if template is None:
        template = root / f"template-{course.key}"
        World.create(template, pack_dir, students, grader_data=grader_data).close()
    world = World.clone(template, root / f"{course.key}-{learner}-{policy}")
    started = time.perf_counter()
    try:
        users = world.users(students)
        population = make_students(
            course,
            learner,
            users,
            seed=seed,
            session_length=session_length,
            steps=steps,
            curve=curve,
        )
        runs = []
        for student in population:
            runs.append(run_student(world, course, responses, student, policy, steps=steps))
            if progress is not None:
                r = runs[-1]
                progress(
                    f"{course.key} {learner} {policy}: student {student.index + 1}/{students}, "
                    f"{len(r.steps)} steps, all known at step {r.all_known_at or '-'}"
                )
    finally:
        world.close()
    return PolicyRun(
        course=course.key,
        policy=policy,
        learner=learner,
        concepts=len(course.graph.order),
        students=runs,
        steps=steps,
        seconds=time.perf_counter() - started,
    )


# --- metrics --------------------------------------------------------------------------------


def repeats(run: StudentRun) -> int:
    """Answers to the same item as the answer just before (a page read in between or not)."""
    count, previous = 0, None
    for step in run.steps:
        if step.correct is not None:
            count += step.item == previous
            previous = step.item
    return count


def metrics(run: PolicyRun, checkpoints: Sequence[int] = CHECKPOINTS) -> dict[str, Any]:
    """Per policy: the share of concepts truly known after each checkpoint (mean over
    students), steps until all were known (median; a student who never got there counts as the
    cap), and what went wrong on the way."""
    n = max(1, run.concepts)
    out: dict[str, Any] = {
        "course": run.course,
        "policy": run.policy,
        "learner": run.learner,
        "students": len(run.students),
        "concepts": run.concepts,
    }
    for cp in checkpoints:
        values = [k for s in run.students if (k := s.known_after(cp)) is not None]
        out[f"mastered@{cp}"] = statistics.fmean(values) / n if values and cp <= run.steps else None
    reached = [s.all_known_at for s in run.students]
    out["to_all"] = statistics.median(r if r is not None else run.steps for r in reached)
    out["reached_all"] = sum(r is not None for r in reached) / max(1, len(reached))
    out["repeats"] = sum(repeats(s) for s in run.students)
    out["empty_unmastered"] = sum(
        1
        for s in run.students
        for st in s.steps
        if st.kind == "done" and len(st.known) < run.concepts
    )
    out["materials"] = sum(1 for s in run.students for st in s.steps if st.kind == "material")
    out["reviews"] = sum(1 for s in run.students for st in s.steps if st.kind == "review")
    answers = [st for s in run.students for st in s.steps if st.correct is not None]
    out["answers"] = len(answers)
    out["right_share"] = sum(bool(st.correct) for st in answers) / max(1, len(answers))
    out["provisional"] = sum(st.provisional for st in answers)
    choose = [st.choose_ms for s in run.students for st in s.steps]
    out["choose_ms_p50"] = float(np.percentile(choose, 50)) if choose else None
    out["seconds"] = run.seconds
    return out


def gap_to_oracle(rows: Sequence[dict[str, Any]], at: int = 60) -> dict[str, float | None]:
    """``1 - policy / oracle`` of the share known after ``at`` steps, per policy."""
    oracle = next((r for r in rows if r["policy"] == "oracle"), None)
    key = f"mastered@{at}"
    out: dict[str, float | None] = {}
    for r in rows:
        base = oracle.get(key) if oracle else None
        value = r.get(key)
        out[r["policy"]] = 1 - value / base if base and value is not None else None
    return out
