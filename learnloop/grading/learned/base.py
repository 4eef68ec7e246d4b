"""The contract every learned free-text grader follows, and its saved-directory format.

Scikit-learn style: ``__init__`` only stores keyword hyper-parameters; ``fit(dataset)``
returns the grader; learned state ends in ``_``; ``predict_proba(examples)`` gives one column
per label of the training label set (``classes_``, worst first), ``predict`` the most likely
label and ``predict_score`` a number in [0, 1] (P(correct) for labelled data, the regression
for scores). A saved grader is a directory of JSON and ``.npz`` files, loaded without pickle,
so a downloaded model can never run code.
"""

from __future__ import annotations

import inspect
import json
import platform
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.training.examples import LABEL_SETS, GradingDataset, GradingExample

FloatArray = NDArray[np.float64]

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "weights.npz"
CARD = "README.md"


class LearnedGrader(ABC):
    name: ClassVar[str] = "grader"
    title: ClassVar[str] = "Learned free-text grader"
    summary: ClassVar[str] = ""
    json_files: ClassVar[tuple[str, ...]] = ()
    """Extra JSON files a saved grader holds besides its config (vocabularies)."""

    info_: dict[str, Any]
    classes_: tuple[str, ...]
    """The label set's labels, worst first; empty for a grader fitted on scores."""
    label_set_: str | None

    # --- hyper-parameters ---------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- learning -----------------------------------------------------------------------

    @abstractmethod
    def fit(self, dataset: GradingDataset) -> Self: ...

    @abstractmethod
    def _proba(self, examples: Sequence[GradingExample]) -> FloatArray:
        """One column per label of ``classes_``, for a grader fitted on labels."""

    @abstractmethod
    def _regress(self, examples: Sequence[GradingExample]) -> FloatArray:
        """Scores in [0, 1], for a grader fitted on scores."""

    def predict_proba(self, examples: Iterable[GradingExample]) -> FloatArray:
        """P(label) for every answer, one column per label of ``classes_``."""
        batch = self._batch(examples)
        if not self.classes_:
            raise InvalidInputError(
                f"this {type(self).__name__} was fitted on scores, so it has no labels; "
                "use predict_score(examples)"
            )
        return self._proba(batch) if batch else np.zeros((0, len(self.classes_)))

    def predict(self, examples: Iterable[GradingExample]) -> list[str]:
        """The most likely label of every answer (ties go to the worse label)."""
        proba = self.predict_proba(examples)
        return [self.classes_[i] for i in np.argmax(proba, axis=1)]

    def predict_score(self, examples: Iterable[GradingExample]) -> FloatArray:
        """A score in [0, 1] per answer: P(correct), or the regression of a score grader."""
        batch = self._batch(examples)
        if not batch:
            return np.zeros(0)
        if self.classes_:
            return self._proba(batch)[:, self.classes_.index("correct")]
        return np.clip(self._regress(batch), 0.0, 1.0)

    def _batch(self, examples: Iterable[GradingExample]) -> list[GradingExample]:
        self._check_fitted()
        return list(examples)

    # --- helpers for fit ----------------------------------------------------------------

    def _targets(self, dataset: GradingDataset) -> NDArray[Any]:
        """Label indices into the label set, or scores; sets ``classes_``.

        Every example must carry the target: a few unlabelled rows would otherwise shrink
        the training set without anyone noticing.
        """
        if len(dataset) == 0:
            raise InvalidInputError(
                f"dataset {dataset.name or '(unnamed)'} is empty; there is nothing to fit"
            )
        if dataset.label_set is not None:
            labels = LABEL_SETS[dataset.label_set]
            index = {label: i for i, label in enumerate(labels)}
            y = []
            for example in dataset:
                if example.label not in index:
                    raise InvalidInputError(
                        f"{example.source or example.id}: label {example.label!r} is not a "
                        f"{dataset.label_set} label; every answer needs one of "
                        f"{', '.join(labels)}"
                    )
                y.append(index[example.label])
            if len(set(y)) < 2:
                raise InvalidInputError(
                    f"dataset {dataset.name or '(unnamed)'} has only {labels[y[0]]!r} answers; "
                    "a grader needs examples of at least two labels"
                )
            self.classes_, self.label_set_ = labels, dataset.label_set
            return np.asarray(y, dtype=np.int64)
        scores = []
        for example in dataset:
            if example.score is None:
                raise InvalidInputError(
                    f"{example.source or example.id}: no score; a dataset without a label set "
                    "needs a score in [0, 1] on every answer"
                )
            scores.append(example.score)
        self.classes_, self.label_set_ = (), None
        return np.asarray(scores, dtype=np.float64)

    def _fit_info(self, dataset: GradingDataset, started: float, **extra: Any) -> dict[str, Any]:
        return {
            "dataset": dataset.name,
            "examples": len(dataset),
            "questions": len({ex.question_id for ex in dataset}),
            "label_set": dataset.label_set,
            "labels": list(self.classes_),
            "target": "label" if self.classes_ else "score",
            "fit_seconds": round(time.perf_counter() - started, 3),
            **extra,
        }

    # --- persistence --------------------------------------------------------------------

    @abstractmethod
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays for ``weights.npz`` and the contents of each of ``json_files``."""

    @abstractmethod
    def _restore(self, arrays: dict[str, np.ndarray], files: dict[str, Any]) -> None: ...

    def save(self, path: str | Path) -> Path:
        """Write the grader into the directory ``path`` (created; its files replaced)."""
        self._check_fitted()
        arrays, files = self._state()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        config = {
            "model": self.name,
            "format_version": FORMAT_VERSION,
            "hyperparameters": params,
            "info": self.info_,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "library_versions": library_versions(),
        }
        tmp = path / (WEIGHTS + ".tmp.npz")
        save: Any = np.savez  # numpy's stubs take a keyword array for allow_pickle
        save(tmp, **arrays)
        tmp.replace(path / WEIGHTS)
        for name in self.json_files:
            text = json.dumps(files[name], ensure_ascii=False)
            (path / name).write_text(text + "\n", encoding="utf-8")
        (path / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        (path / CARD).write_text(self._card(params), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        config, arrays = read_grader_dir(path)
        if config.get("model") != cls.name:
            raise InvalidInputError(
                f"{path} holds a {config.get('model')!r} grader, not {cls.name!r}; "
                "load it with learnloop.grading.learned.load_grader(path)"
            )
        params = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in config.get("hyperparameters", {}).items()
        }
        try:
            grader = cls(**params)
        except TypeError as exc:
            raise InvalidInputError(
                f"{Path(path) / CONFIG}: bad hyper-parameters ({exc})"
            ) from None
        files = {name: _read_json(Path(path) / name) for name in cls.json_files}
        grader.info_ = dict(config.get("info", {}))
        grader.classes_ = tuple(grader.info_.get("labels", ()))
        grader.label_set_ = grader.info_.get("label_set")
        grader._restore(arrays, files)
        return grader

    def _card(self, params: dict[str, Any]) -> str:
        facts = "\n".join(f"- {k}: {v}" for k, v in self.info_.items())
        listed = "\n".join(f"- `{k}`: {v!r}" for k, v in sorted(params.items()))
        return (
            f"# {self.title}\n\n{self.summary}\n\n## Training\n{facts}\n\n"
            f"## Hyper-parameters\n{listed}\n\n## Use\n"
            "Load with `learnloop.grading.learned.load_grader(path)`; `predict(examples)` "
            "gives a label per answer, `predict_proba` one column per label (worst first), "
            "`predict_score` a score in [0, 1]. A grader is only as good as the answers it "
            "was fitted on: check it on your own questions before trusting it, and send "
            "low-confidence grades to a teacher.\n"
        )

    # --- helpers ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "info_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(dataset) or load a "
                "saved one"
            )


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("learnloop", "numpy", "scipy", "scikit-learn"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def read_grader_dir(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = Path(path)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise InvalidInputError(
            f"{path} is not a saved grader: it needs {CONFIG} and {WEIGHTS} "
            "(save one with grader.save(path))"
        )
    config = _read_json(path / CONFIG)
    if not isinstance(config, dict) or config.get("format_version") != FORMAT_VERSION:
        found = config.get("format_version") if isinstance(config, dict) else None
        raise InvalidInputError(
            f"{path / CONFIG}: format version {found!r} is not {FORMAT_VERSION}; "
            "re-fit the grader with this version of learnloop"
        )
    try:
        with np.load(path / WEIGHTS, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path / WEIGHTS}: not a readable weights file ({exc})") from exc
    return config, arrays


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read {file} ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{file}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
