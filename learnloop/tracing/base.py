"""The interface between the live answer loop and any knowledge-tracing model."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

MasteryState = dict[str, Any]
"""A model's per-student, per-concept state; JSON-serialisable, stored with the estimate."""

MASTERED = 0.8
"""A concept counts as mastered at or above this probability."""


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
