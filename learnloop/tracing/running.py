"""A running estimate: an exponentially weighted average of recent scores.

No longer the live default (that is BKT over priors fitted on public data, ``priors.py``):
kept as the baseline ``bench/kt_priors.py`` measures against, and for callers that want a
model with no fitted parameters at all (``FittedMastery(fallback=RunningEstimate())``).
"""

from __future__ import annotations

from learnloop.tracing.base import MasteryModel, MasteryState


class RunningEstimate(MasteryModel):
    """Mastery moves a fixed share ``rate`` of the way towards each new score.

    With the defaults, three right answers in a row from the prior of 0.3 reach mastery
    (0.3 -> 0.58 -> 0.75 -> 0.85), and one wrong answer pulls a mastered concept back below it.
    """

    name = "running"

    def __init__(self, *, prior: float = 0.3, rate: float = 0.4, evidence_scale: float = 3.0):
        self.prior = prior
        self.rate = rate
        self.evidence_scale = evidence_scale

    def initial_state(self, concept: str | None = None) -> MasteryState:
        return {"p": self.prior, "n": 0}

    def update(self, state: MasteryState, score: float) -> MasteryState:
        p = float(state.get("p", self.prior))
        score = min(1.0, max(0.0, float(score)))
        return {"p": p + self.rate * (score - p), "n": int(state.get("n", 0)) + 1}

    def p_mastery(self, state: MasteryState) -> float:
        return float(state.get("p", self.prior))

    def confidence(self, state: MasteryState) -> float:
        n = int(state.get("n", 0))
        return n / (n + self.evidence_scale)
