"""Learned free-text grading: graders fitted on teacher-labelled answers, and coverage feedback.

::

    GRADERS[name]                  estimator contract in ``base.py``: fit / predict_proba /
    ├── TfidfGrader     "tfidf"    predict / predict_score, save / load as a directory
    ├── OverlapTreeGrader          lexical overlap with the reference, a shallow tree
    │                   "overlap-tree"
    └── MajorityGrader  "majority" the commonest label: the floor to beat
    coverage(answer, references)   which key phrases of the reference the answer covers
    coverage_feedback(coverage)    ... as one sentence for the student, in English or Chinese
    make_any_grader / load_any_grader
                                   the above plus the fine-tuned encoder ("cross-encoder",
                                   ``learnloop.training.finetune``), so a command or service
                                   handles every kind of saved grader through one door
    evaluate.evaluate_grader       accuracy, macro-F1, ECE (or RMSE, Pearson) on labelled data
    evaluate.grade_answers         verdicts with their coverage feedback, in one batch

All of it runs on the core install (scikit-learn, no torch); only fitting, loading or using a
cross-encoder needs the ``ml`` extra. Graders train on ``learnloop.training.GradingDataset``s
(see ``learnloop.training.readers``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeAlias

from learnloop.errors import InvalidInputError
from learnloop.grading.learned.base import LearnedGrader, read_grader_dir
from learnloop.grading.learned.baselines import MajorityGrader, OverlapTreeGrader
from learnloop.grading.learned.coverage import (
    Coverage,
    coverage,
    coverage_feedback,
    key_phrases,
)
from learnloop.grading.learned.tfidf import TfidfGrader
from learnloop.training.finetune import CrossEncoderGrader

GRADERS: dict[str, type[LearnedGrader]] = {
    "tfidf": TfidfGrader,
    "overlap-tree": OverlapTreeGrader,
    "majority": MajorityGrader,
}
"""Every learned grader by the name saved configs and benchmarks use."""


def make_grader(name: str, **params: Any) -> LearnedGrader:
    """A new, unfitted grader ``name`` with hyper-parameters ``params``."""
    try:
        cls = GRADERS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown learned grader {name!r}; choose one of {', '.join(GRADERS)}"
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise InvalidInputError(f"bad hyper-parameter for {name}: {exc}") from None


def load_grader(path: str | Path) -> LearnedGrader:
    """A saved grader of any kind, by the name in its ``config.json``."""
    config, _ = read_grader_dir(path)
    name = config.get("model")
    if name not in GRADERS:
        raise InvalidInputError(
            f"{path} holds an unknown grader {name!r}; this learnloop knows {', '.join(GRADERS)}"
        )
    return GRADERS[name].load(path)


Grader: TypeAlias = LearnedGrader | CrossEncoderGrader
"""Any grader: both kinds share ``fit``, ``predict``, ``predict_proba``, ``predict_score``,
``save``, ``classes_``, ``label_set_`` and ``info_``."""

CROSS_ENCODER = "cross-encoder"
"""The fine-tuned encoder's short name (its saved config says ``cross-encoder-grader``)."""

ALL_GRADERS = (CROSS_ENCODER, *GRADERS)


def make_any_grader(name: str, **params: Any) -> Grader:
    """A new grader of any kind; for ``cross-encoder``, ``preset`` names one of
    ``learnloop.training.finetune.PRESETS`` and the other ``params`` override it."""
    if name != CROSS_ENCODER:
        if name not in GRADERS:
            raise InvalidInputError(
                f"unknown grader {name!r}; choose one of {', '.join(ALL_GRADERS)}"
            )
        return make_grader(name, **params)
    preset = params.pop("preset", "default")
    try:
        return CrossEncoderGrader.preset(str(preset), **params)
    except TypeError as exc:
        raise InvalidInputError(f"bad hyper-parameter for {name}: {exc}") from None


def load_any_grader(path: str | Path) -> Grader:
    """A saved grader of any kind, told apart by the ``model`` in its ``config.json``."""
    path = Path(path)
    config = path / "config.json"
    if not config.is_file():
        raise InvalidInputError(
            f"{path} is not a saved grader: it has no config.json (train one with "
            "`learnloop grader train --out DIR` or save one with grader.save(path))"
        )
    try:
        model = json.loads(config.read_text(encoding="utf-8")).get("model")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise InvalidInputError(f"{config}: not a readable grader config ({exc})") from None
    if model == CrossEncoderGrader.name:
        return CrossEncoderGrader.load(path)
    return load_grader(path)


__all__ = [
    "ALL_GRADERS",
    "CROSS_ENCODER",
    "GRADERS",
    "Coverage",
    "Grader",
    "LearnedGrader",
    "MajorityGrader",
    "OverlapTreeGrader",
    "TfidfGrader",
    "coverage",
    "coverage_feedback",
    "key_phrases",
    "load_any_grader",
    "load_grader",
    "make_any_grader",
    "make_grader",
]
