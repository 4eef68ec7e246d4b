"""Fitted models behind the live system's ``MasteryModel`` interface.

``BKTMastery`` serves a fitted BKT per concept: its state is P(mastered) of one concept, moved
by the concept's own parameters when the state names its concept and by the median ones
otherwise. ``FittedMastery`` is the switch for ``services/progress.py``: it uses the model that
``learnloop kt fit`` saved in the data directory, re-reads it when it is re-fitted, and falls
back to the running estimate until a model exists.
"""

from __future__ import annotations

from pathlib import Path

from learnloop.settings import get_settings
from learnloop.tracing.base import MasteryModel, MasteryState
from learnloop.tracing.bkt import BKT, step
from learnloop.tracing.io import CONFIG
from learnloop.tracing.running import RunningEstimate


def model_dir(name: str, data_dir: Path | None = None) -> Path:
    """Where ``learnloop kt fit`` saves the model called ``name``."""
    return (data_dir or get_settings().data_dir) / "models" / "tracing" / name


class BKTMastery(MasteryModel):
    name = "bkt"

    def __init__(self, model: BKT, *, evidence_scale: float = 3.0) -> None:
        model._check_fitted()
        self.model = model
        self.evidence_scale = evidence_scale

    @classmethod
    def load(cls, path: str | Path) -> BKTMastery:
        return cls(BKT.load(path))

    def initial_state(self, concept: str | None = None) -> MasteryState:
        state: MasteryState = {"p": self.model.params_of(concept)["prior"], "n": 0}
        if concept is not None:
            state["concept"] = concept
        return state

    def update(self, state: MasteryState, score: float) -> MasteryState:
        concept = state.get("concept")
        prm = self.model.params_of(concept)
        p = float(state.get("p", prm["prior"]))
        return {**state, "p": step(prm, p, score), "n": int(state.get("n", 0)) + 1}

    def p_mastery(self, state: MasteryState) -> float:
        if "p" in state:
            return float(state["p"])
        return self.model.params_of(state.get("concept"))["prior"]

    def confidence(self, state: MasteryState) -> float:
        n = int(state.get("n", 0))
        return n / (n + self.evidence_scale)


class FittedMastery(MasteryModel):
    """The BKT saved as ``<data_dir>/models/tracing/<model>/``, else ``fallback``."""

    def __init__(self, model: str = "bkt", *, fallback: MasteryModel | None = None) -> None:
        self.model = model
        self.fallback = fallback or RunningEstimate()
        self._loaded: tuple[Path, float, MasteryModel] | None = None

    def current(self) -> MasteryModel:
        path = model_dir(self.model)
        try:
            mtime = (path / CONFIG).stat().st_mtime
        except OSError:
            return self.fallback
        if self._loaded is None or self._loaded[:2] != (path, mtime):
            self._loaded = (path, mtime, BKTMastery.load(path))
        return self._loaded[2]

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.current().name

    def initial_state(self, concept: str | None = None) -> MasteryState:
        return self.current().initial_state(concept)

    def update(self, state: MasteryState, score: float) -> MasteryState:
        return self.current().update(state, score)

    def p_mastery(self, state: MasteryState) -> float:
        return self.current().p_mastery(state)

    def confidence(self, state: MasteryState) -> float:
        return self.current().confidence(state)
