"""Student-level cross-validation of knowledge-tracing models.

Folds split students, never responses, so a model is always scored on students it has not
seen. Every response after a student's first is scored (the pyKT protocol), each predicted
from the responses before it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from learnloop.errors import InvalidInputError
from learnloop.tracing.data import FloatArray, InteractionLog, read_log
from learnloop.tracing.estimator import EarlyStoppingTracer, KnowledgeTracer

Progress = Callable[[str, int, int], None]
METRICS = ("auc", "accuracy", "rmse")
_FOLD_FILE = re.compile(r"(train|test|valid)(\d+)\.(csv|txt)$")


def metrics(y: np.ndarray, p: FloatArray) -> dict[str, float]:
    """AUC (NaN when only one class is present), accuracy at 0.5 and RMSE."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else math.nan
    return {
        "auc": auc,
        "accuracy": float(np.mean((p >= 0.5) == (y > 0.5))) if len(y) else math.nan,
        "rmse": float(np.sqrt(np.mean((p - y) ** 2))) if len(y) else math.nan,
    }


def scored(log: InteractionLog) -> np.ndarray:
    """The responses that count: every one after each student's first."""
    return ~log.first_of_sequence()


@dataclass(frozen=True)
class Fold:
    index: int
    """1-based, as in the file names of the provided folds."""
    load: Callable[[], tuple[InteractionLog, InteractionLog]]
    """Reads (train, test) when called, so folds not run are never read."""
    load_valid: Callable[[], InteractionLog] | None = None
    """Reads the fold's validation students (``valid{k}``), if the folder has them; only
    models that stop early use them."""


@dataclass(frozen=True)
class FoldResult:
    fold: int
    auc: float
    accuracy: float
    rmse: float
    train_responses: int
    test_responses: int
    scored_responses: int
    fit_seconds: float
    predict_seconds: float


def fold_files(folder: Path) -> dict[int, dict[str, Path]]:
    """``{k: {"train": path, "test": path, "valid": path}}`` from ``*train{k}.csv`` files."""
    found: dict[int, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        m = _FOLD_FILE.search(path.name)
        if m:
            found.setdefault(int(m.group(2)), {})[m.group(1)] = path
    complete = {k: v for k, v in sorted(found.items()) if "train" in v and "test" in v}
    if not complete:
        raise InvalidInputError(
            f"{folder} has no fold files: expected names ending in train1.csv and test1.csv "
            "(valid1.csv optional), as in the pyKT / AKT 5-fold folders"
        )
    return complete


def student_folds(log: InteractionLog, n_folds: int, *, seed: int = 0) -> list[Fold]:
    """``n_folds`` folds of students, shuffled with ``seed``."""
    students = np.unique(log.student)
    if n_folds < 2 or n_folds > len(students):
        raise InvalidInputError(
            f"cannot make {n_folds} student folds from {len(students)} students; "
            "use between 2 and the number of students"
        )
    rng = np.random.default_rng(seed)
    parts = np.array_split(rng.permutation(students), n_folds)

    def loader(k: int) -> Callable[[], tuple[InteractionLog, InteractionLog]]:
        def load() -> tuple[InteractionLog, InteractionLog]:
            test = np.isin(log.student, parts[k])
            return log.take(np.flatnonzero(~test)), log.take(np.flatnonzero(test))

        return load

    return [Fold(index=k + 1, load=loader(k)) for k in range(n_folds)]


def load_folds(
    path: str | Path,
    *,
    n_folds: int = 5,
    seed: int = 0,
    merge_repeats: bool = True,
    csv_options: Mapping[str, Any] | None = None,
) -> list[Fold]:
    """Folds of a folder of provided folds (the first ``n_folds`` of them), or of one log
    file split into ``n_folds`` student-level folds."""
    path = Path(path)
    if path.is_dir():
        files = fold_files(path)
        if n_folds > len(files):
            raise InvalidInputError(f"{path} has {len(files)} folds; asked for {n_folds}")

        def loader(f: dict[str, Path]) -> Callable[[], tuple[InteractionLog, InteractionLog]]:
            def load() -> tuple[InteractionLog, InteractionLog]:
                return tuple(  # type: ignore[return-value]
                    read_log(f[part], merge_repeats=merge_repeats, csv_options=csv_options)
                    for part in ("train", "test")
                )

            return load

        def valid_loader(f: dict[str, Path]) -> Callable[[], InteractionLog] | None:
            if "valid" not in f:
                return None
            return lambda: read_log(
                f["valid"], merge_repeats=merge_repeats, csv_options=csv_options
            )

        return [
            Fold(index=k, load=loader(f), load_valid=valid_loader(f))
            for k, f in list(files.items())[:n_folds]
        ]
    if not path.is_file():
        raise InvalidInputError(f"no log at {path}: give a log file or a folder of folds")
    return student_folds(
        read_log(path, merge_repeats=merge_repeats, csv_options=csv_options), n_folds, seed=seed
    )


def cross_validate(
    make_model: Callable[[], KnowledgeTracer],
    folds: list[Fold],
    *,
    progress: Progress | None = None,
) -> list[FoldResult]:
    """Fit a fresh model on each fold's training students and score its test students.

    A model that stops early watches the fold's validation students when the folder
    provides them (the pyKT protocol), and a share of its training students otherwise.
    """
    results = []
    total = len(folds) * 3
    for n, fold in enumerate(folds):
        tick = progress or (lambda step, done, total: None)
        tick(f"fold {fold.index}: reading", 3 * n, total)
        train, test = fold.load()
        tick(f"fold {fold.index}: fitting on {len(train):,} responses", 3 * n + 1, total)
        model = make_model()
        if isinstance(model, EarlyStoppingTracer) and fold.load_valid is not None:
            valid = fold.load_valid()
            started = time.perf_counter()
            model.fit(train, valid=valid)
        else:
            started = time.perf_counter()
            model.fit(train)
        fitted = time.perf_counter()
        tick(f"fold {fold.index}: predicting {len(test):,} responses", 3 * n + 2, total)
        p = model.predict_proba(test)
        predicted = time.perf_counter()
        mask = scored(test)
        m = metrics(test.correct[mask], p[mask])
        results.append(
            FoldResult(
                fold=fold.index,
                auc=m["auc"],
                accuracy=m["accuracy"],
                rmse=m["rmse"],
                train_responses=len(train),
                test_responses=len(test),
                scored_responses=int(mask.sum()),
                fit_seconds=fitted - started,
                predict_seconds=predicted - fitted,
            )
        )
        tick(f"fold {fold.index}: done", 3 * n + 3, total)
    return results


def mean_std(results: list[FoldResult], metric: str) -> tuple[float, float]:
    values = np.asarray([getattr(r, metric) for r in results], dtype=np.float64)
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return float(np.mean(values)), std
