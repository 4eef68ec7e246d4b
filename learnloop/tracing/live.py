"""Fitted models behind the live system's ``MasteryModel`` interface.

The live system keeps one state per student and concept (a row it can lock and update on
every answer). ``BKTMastery`` serves a fitted BKT: its state is P(mastered) of the concept,
moved by the concept's own parameters. ``TracerMastery`` serves any other fitted model
(PFA, IRT, the deep ones): its state is the model's own student state fed with the student's
answers on that concept, and mastery is the model's probability of a right answer to a
typical item of the concept next. ``FittedMastery`` is what ``services/progress.py`` uses: the
model that ``learnloop kt fit`` (or the background re-fit, ``services.tracing.maybe_refit``)
saved in the data directory, re-read when it is re-fitted, and until one exists a BKT over
the priors fitted on public data (``priors.py``), so a new installation starts from
measured parameters rather than made-up ones.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path
from typing import Any

from learnloop.errors import InvalidInputError
from learnloop.settings import get_settings
from learnloop.tracing.base import MasteryModel, MasteryState
from learnloop.tracing.bkt import BKT, step
from learnloop.tracing.data import Response
from learnloop.tracing.estimator import KnowledgeTracer
from learnloop.tracing.io import CONFIG, read_model_dir
from learnloop.tracing.priors import DEFAULT_PRIORS, load_priors

log = logging.getLogger(__name__)

EVIDENCE_SCALE = 3.0
"""Confidence is n / (n + this) after n answers on the concept: 0.25 after one, 0.77 after ten."""


def model_dir(name: str, data_dir: Path | None = None) -> Path:
    """Where ``learnloop kt fit`` saves the model called ``name``."""
    return (data_dir or get_settings().data_dir) / "models" / "tracing" / name


def _confidence(state: MasteryState) -> float:
    n = int(state.get("n", 0))
    return n / (n + EVIDENCE_SCALE)


class BKTMastery(MasteryModel):
    def __init__(self, model: BKT, *, name: str = "bkt") -> None:
        model._check_fitted()
        self.model = model
        self.name = name

    def initial_state(self, concept: str | None = None) -> MasteryState:
        state: MasteryState = {"p": self.model.params_of(concept)["prior"], "n": 0}
        if concept is not None:
            state["concept"] = concept
        return state

    def update(self, state: MasteryState, score: float) -> MasteryState:
        prm = self.model.params_of(state.get("concept"))
        p = float(state.get("p", prm["prior"]))
        return {**state, "p": step(prm, p, score), "n": int(state.get("n", 0)) + 1}

    def p_mastery(self, state: MasteryState) -> float:
        if "p" in state:
            return float(state["p"])
        return self.model.params_of(state.get("concept"))["prior"]

    def confidence(self, state: MasteryState) -> float:
        return _confidence(state)


class TracerMastery(MasteryModel):
    """Any fitted ``KnowledgeTracer`` per concept: the model's state after the student's
    answers on the concept, and P(right) on the concept's next item as mastery."""

    def __init__(self, model: KnowledgeTracer) -> None:
        model._check_fitted()
        self.model = model
        self.name = model.name

    def initial_state(self, concept: str | None = None) -> MasteryState:
        state: MasteryState = {"n": 0, "model": self.model.initial_state()}
        if concept is not None:
            state["concept"] = concept
        return state

    def _skills(self, state: MasteryState) -> tuple[str, ...]:
        return (str(state.get("concept", "")),)

    def _inner(self, state: MasteryState) -> dict[str, Any]:
        inner = state.get("model")
        # a state written by another model (before a re-fit) starts afresh
        return inner if isinstance(inner, dict) else self.model.initial_state()

    def update(self, state: MasteryState, score: float) -> MasteryState:
        inner = self.model.update(
            self._inner(state), Response(skills=self._skills(state), correct=float(score))
        )
        return {**state, "model": inner, "n": int(state.get("n", 0)) + 1}

    def p_mastery(self, state: MasteryState) -> float:
        return self.model.predict_next(self._inner(state), skills=self._skills(state))

    def confidence(self, state: MasteryState) -> float:
        return _confidence(state)


def mastery_model(model: KnowledgeTracer) -> MasteryModel:
    """The live adapter for a fitted model."""
    return BKTMastery(model) if isinstance(model, BKT) else TracerMastery(model)


def load_mastery(path: str | Path) -> MasteryModel:
    from learnloop.tracing import load_model

    return mastery_model(load_model(path))


PRIOR_MODEL = "bkt-prior"
"""The name estimates made from the shipped priors carry (the ``model`` of their rows)."""


@cache
def prior_mastery(priors: str = DEFAULT_PRIORS) -> BKTMastery:
    """BKT over the shipped priors ``priors``: the live model before the platform has one
    fitted on its own log. Every concept starts at the same prior and moves alike."""
    return BKTMastery(load_priors(priors).model(), name=PRIOR_MODEL)


class FittedMastery(MasteryModel):
    """The model saved as ``<data_dir>/models/tracing/<model>/``, else ``fallback`` (by
    default BKT over the shipped priors, ``prior_mastery()``). ``model`` and ``data_dir``
    default to the process's settings, read at each use.

    Re-reads the directory when its ``config.json`` changes (a new ``kt fit`` or background
    re-fit), so a running server picks up a re-fitted model at its next answer. A directory
    caught half-written keeps the model read before it serving until it is whole.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        fallback: MasteryModel | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self._model = model
        self._data_dir = data_dir
        self.fallback = fallback or prior_mastery()
        self._loaded: tuple[Path, float, MasteryModel] | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self._model or get_settings().tracing_model

    def current(self) -> MasteryModel:
        path = model_dir(self.model, self._data_dir)
        try:
            mtime = (path / CONFIG).stat().st_mtime
        except OSError:
            return self.fallback
        loaded = self._loaded
        if loaded is None or loaded[:2] != (path, mtime):
            with self._lock:
                loaded = self._loaded
                if loaded is None or loaded[:2] != (path, mtime):
                    try:
                        read_model_dir(path)  # a clear error for a broken directory
                        loaded = self._loaded = (path, mtime, load_mastery(path))
                    except InvalidInputError:
                        if loaded is None or loaded[0] != path:
                            raise
                        log.warning("%s cannot be read; serving the model read before", path)
        return loaded[2]

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

    def interval(self, state: MasteryState) -> tuple[float, float]:
        return self.current().interval(state)
