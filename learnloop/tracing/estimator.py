"""The contract every knowledge-tracing model follows (scikit-learn style, plus ``update``).

``__init__`` only stores keyword hyper-parameters; ``fit(log)`` returns the model; learned
state ends in ``_``; ``predict_proba(log)`` gives, for every response, the probability that it
is correct computed only from the same student's earlier responses; ``initial_state``,
``predict_next`` and ``update`` serve one student online; ``save``/``load`` use a directory.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.tracing.data import FloatArray, IntArray, InteractionLog, Response
from learnloop.tracing.io import model_card, read_model_dir, save_model_dir

StudentState = dict[str, Any]
"""One student's state under a model: JSON-serialisable, never mutated by ``update``."""


class KnowledgeTracer(ABC):
    name: ClassVar[str] = "model"
    title: ClassVar[str] = "Knowledge-tracing model"

    info_: dict[str, Any]

    # --- hyper-parameters ---------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- learning -----------------------------------------------------------------------

    @abstractmethod
    def fit(self, log: InteractionLog) -> Self: ...

    @abstractmethod
    def predict_proba(self, log: InteractionLog) -> FloatArray:
        """P(correct) for every response of ``log``, each from the responses before it."""

    # --- online -------------------------------------------------------------------------

    @abstractmethod
    def initial_state(self) -> StudentState: ...

    @abstractmethod
    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        """P(correct) of the student's next answer to ``item`` practising ``skills``."""

    @abstractmethod
    def update(self, state: StudentState, response: Response) -> StudentState:
        """The state after ``response``; ``state`` itself is left as it was."""

    # --- persistence --------------------------------------------------------------------

    @abstractmethod
    def _weights(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray]) -> None: ...

    summary: ClassVar[str] = ""

    def _save_parts(self, path: Path) -> None:
        """Hook for models made of other models (``stack``): write them below ``path``."""
        return None

    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        self._save_parts(Path(path))
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        return save_model_dir(
            path,
            model=self.name,
            hyperparameters=params,
            arrays=self._weights(),
            info=self.info_,
            card=model_card(
                title=self.title, summary=self.summary, hyperparameters=params, info=self.info_
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> Self:
        config, arrays = read_model_dir(path)
        if config.get("model") != cls.name:
            raise InvalidInputError(
                f"{path} holds a {config.get('model')!r} model, not {cls.name!r}; "
                "load it with learnloop.tracing.load_model(path)"
            )
        params = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in config.get("hyperparameters", {}).items()
        }
        model = cls(**params)
        model.info_ = dict(config.get("info", {}))
        model._restore(arrays)
        return model

    # --- helpers ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "info_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(log) or load a saved one"
            )

    @staticmethod
    def _check_log(log: InteractionLog) -> None:
        if len(log) == 0:
            raise InvalidInputError("the response log is empty; there is nothing to fit")


class EarlyStoppingTracer(KnowledgeTracer):
    """A model trained in epochs that stops when its AUC on held-out students stops rising.

    ``fit`` takes those students as ``valid`` (the provided ``valid{k}`` file of a fold
    folder) or, without them, holds out a share of the training students itself.
    """

    @abstractmethod
    def fit(self, log: InteractionLog, *, valid: InteractionLog | None = None) -> Self: ...


def vocabulary(names: np.ndarray) -> dict[str, int]:
    return {str(name): i for i, name in enumerate(names)}


def map_codes(vocab: dict[str, int], names: np.ndarray, unknown: int = -1) -> IntArray:
    """For each name of a log's vocabulary, the model's code (``unknown`` if not seen)."""
    return np.asarray([vocab.get(str(n), unknown) for n in names], dtype=np.int64).reshape(-1)


def fit_info(log: InteractionLog, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "responses": len(log),
        "students": log.n_students,
        "skills": len(np.unique(log.skill)),
        "fit_seconds": round(seconds, 3),
        **extra,
    }
