"""Knowledge tracing: how likely a student is to have mastered each concept.

The live system talks to a ``MasteryModel``: a BKT with priors fitted on a public log
(``priors``) until ``FittedMastery`` finds a model fitted on the platform's own. Fitted
models (``MODELS``) follow the estimator contract in ``estimator.py``: ``fit(log)``,
``predict_proba(log)``, online ``update(state, response)``, and ``save``/``load`` as a
directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from learnloop.errors import InvalidInputError
from learnloop.tracing.base import MASTERED, MasteryModel, MasteryState
from learnloop.tracing.bkt import BKT
from learnloop.tracing.data import (
    InteractionLog,
    Record,
    Response,
    read_csv,
    read_log,
    read_sequences,
)
from learnloop.tracing.dkt import DKT
from learnloop.tracing.dkt_rasch import RaschDKT
from learnloop.tracing.estimator import KnowledgeTracer, StudentState
from learnloop.tracing.io import read_model_dir
from learnloop.tracing.live import BKTMastery, FittedMastery, TracerMastery, model_dir
from learnloop.tracing.logistic import PFA, OnlineIRT
from learnloop.tracing.running import RunningEstimate
from learnloop.tracing.stack import StackedTracer

MODELS: dict[str, type[KnowledgeTracer]] = {
    "bkt": BKT,
    "pfa": PFA,
    "irt": OnlineIRT,
    "dkt": DKT,
    "dkt-rasch": RaschDKT,
    "stack": StackedTracer,
}
"""Every fitted model by the name the CLI and saved configs use (``dkt`` and ``dkt-rasch``
need the ``ml`` extra, torch, to fit or load; so does ``stack`` with its default members)."""


def make_model(name: str, **params: Any) -> KnowledgeTracer:
    """A new, unfitted model ``name`` with hyper-parameters ``params``."""
    try:
        cls = MODELS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown tracing model {name!r}; choose one of {', '.join(MODELS)}"
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise InvalidInputError(f"bad hyper-parameter for {name}: {exc}") from None


def load_model(path: str | Path) -> KnowledgeTracer:
    """A saved model of any kind, by the name in its ``config.json``."""
    config, _ = read_model_dir(path)
    name = config.get("model")
    if name not in MODELS:
        raise InvalidInputError(
            f"{path} holds an unknown model {name!r}; this learnloop knows {', '.join(MODELS)}"
        )
    return MODELS[name].load(path)


__all__ = [
    "BKT",
    "DKT",
    "MASTERED",
    "MODELS",
    "PFA",
    "BKTMastery",
    "FittedMastery",
    "InteractionLog",
    "KnowledgeTracer",
    "MasteryModel",
    "MasteryState",
    "OnlineIRT",
    "RaschDKT",
    "Record",
    "Response",
    "RunningEstimate",
    "StackedTracer",
    "StudentState",
    "TracerMastery",
    "load_model",
    "make_model",
    "model_dir",
    "read_csv",
    "read_log",
    "read_sequences",
]
