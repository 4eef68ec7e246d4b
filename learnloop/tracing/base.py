"""The interface between the live answer loop and any knowledge-tracing model."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

MasteryState = dict[str, Any]
"""A model's per-student, per-concept state; JSON-serialisable, stored with the estimate."""

MASTERED = 0.95
"""A concept counts as mastered at or above this probability: the cut-off of mastery learning
with BKT (Corbett & Anderson 1995). With the shipped priors it takes two right answers in a
row from the start (0.72, 0.89, 0.96), so one lucky guess masters nothing."""

INTERVAL_MASS = 0.8
"""``interval`` gives the central 80 % of its distribution: it misses one time in five."""

INTERVAL_PRIOR_ANSWERS = 2.0
"""Pseudo-answers behind an estimate before any real one: at a prior of 0.5 the range is
that of a uniform distribution (10 % to 90 %), whatever the model believes."""


def beta_interval(
    p: float,
    answers: int,
    *,
    prior_answers: float = INTERVAL_PRIOR_ANSWERS,
    mass: float = INTERVAL_MASS,
) -> tuple[float, float]:
    """The central ``mass`` of a Beta distribution with mean ``p`` and ``prior_answers +
    answers`` pseudo-answers, widened if need be to contain ``p``.

    An approximation, not any model's posterior: it says that a few answers leave much room
    either side of an estimate and many answers little, which is what a student should see.
    After 0, 1, 10 and 50 answers at ``p = 0.5`` it spans about 80, 69, 36 and 18 points.
    """
    from scipy.special import betaincinv

    count = prior_answers + max(0, int(answers))
    mean = min(1.0 - 1e-3, max(1e-3, float(p)))
    tail = (1.0 - mass) / 2.0
    lo = float(betaincinv(mean * count, (1.0 - mean) * count, tail))
    hi = float(betaincinv(mean * count, (1.0 - mean) * count, 1.0 - tail))
    return min(lo, float(p)), max(hi, float(p))


class MasteryModel(ABC):
    name: str = "model"

    @abstractmethod
    def initial_state(self, concept: str | None = None) -> MasteryState:
        """State before the student's first answer on ``concept`` (models fitted per concept
        use its own parameters; without it they use pooled ones)."""

    @abstractmethod
    def update(self, state: MasteryState, score: float) -> MasteryState:
        """State after one graded answer with ``score`` in [0, 1]; must not mutate ``state``."""

    @abstractmethod
    def p_mastery(self, state: MasteryState) -> float:
        """Probability that the concept is mastered."""

    @abstractmethod
    def confidence(self, state: MasteryState) -> float:
        """How much evidence stands behind ``p_mastery``, in [0, 1]."""

    def interval(self, state: MasteryState) -> tuple[float, float]:
        """A plausible range for ``p_mastery`` to show beside it, ``(low, high)``, that
        narrows as the student answers more on the concept (``beta_interval`` over the
        state's answer count ``n``; an approximation, see there). Models with a better
        measure of their own uncertainty override it."""
        return beta_interval(self.p_mastery(state), int(state.get("n", 0)))
