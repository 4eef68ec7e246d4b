"""Two floors a learned grader has to clear to be worth its weight.

``MajorityGrader`` knows nothing about the answer: it predicts the commonest training label
(or the mean score). ``OverlapTreeGrader`` only looks at how much of the reference answer the
student's answer repeats (``lexical.OVERLAP_FEATURES``), through a shallow decision tree: a
teacher's "count the key words" rule, learned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from learnloop.errors import InvalidInputError
from learnloop.grading.learned.base import FloatArray, LearnedGrader
from learnloop.grading.learned.lexical import OVERLAP_FEATURES, overlap_features
from learnloop.training.examples import GradingDataset, GradingExample


class MajorityGrader(LearnedGrader):
    name = "majority"
    title = "Majority baseline"
    summary = (
        "Gives every answer the training set's label shares (and so its commonest label), or "
        "its mean score. A floor for the other graders, not a grader to use."
    )

    def __init__(self) -> None:
        pass

    def fit(self, dataset: GradingDataset) -> Self:
        started = time.perf_counter()
        y = self._targets(dataset)
        if self.classes_:
            counts = np.bincount(y.astype(np.int64), minlength=len(self.classes_))
            self.prior_ = counts / counts.sum()
        else:
            self.prior_ = np.asarray([float(np.mean(y))])
        self.info_ = self._fit_info(dataset, started)
        return self

    def _proba(self, examples: Sequence[GradingExample]) -> FloatArray:
        return np.tile(self.prior_, (len(examples), 1))

    def _regress(self, examples: Sequence[GradingExample]) -> FloatArray:
        return np.full(len(examples), float(self.prior_[0]))

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {"prior": self.prior_}, {}

    def _restore(self, arrays: dict[str, np.ndarray], files: dict[str, Any]) -> None:
        self.prior_ = arrays["prior"]


class OverlapTreeGrader(LearnedGrader):
    """Hyper-parameters: the tree's ``max_depth`` and ``min_samples_leaf`` (kept small and
    large so the rules stay few and readable), ``class_weight`` and ``random_state``."""

    name = "overlap-tree"
    title = "Lexical-overlap decision tree"
    summary = (
        "A shallow decision tree on how much of the best-matching reference answer the answer "
        "covers (content words, character n-grams, words beyond the question, length, "
        "negation). Readable and question-independent, but blind to meaning."
    )

    def __init__(
        self,
        *,
        max_depth: int = 4,
        min_samples_leaf: int = 20,
        class_weight: str | None = None,
        random_state: int | None = 0,
    ) -> None:
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, dataset: GradingDataset) -> Self:
        started = time.perf_counter()
        y = self._targets(dataset)
        X = _overlaps(dataset.examples)
        tree: DecisionTreeClassifier | DecisionTreeRegressor
        if self.classes_:
            tree = DecisionTreeClassifier(
                max_depth=self.max_depth,
                min_samples_leaf=self.min_samples_leaf,
                class_weight=self.class_weight,
                random_state=self.random_state,
            ).fit(X, y)
            values = np.zeros((tree.tree_.node_count, len(self.classes_)))
            values[:, np.asarray(tree.classes_, dtype=np.int64)] = tree.tree_.value[:, 0, :]
            values /= np.maximum(values.sum(axis=1, keepdims=True), 1e-12)
        else:
            tree = DecisionTreeRegressor(
                max_depth=self.max_depth,
                min_samples_leaf=self.min_samples_leaf,
                random_state=self.random_state,
            ).fit(X, y)
            values = np.asarray(tree.tree_.value[:, 0, :], dtype=np.float64)
        t = tree.tree_
        self.children_ = np.column_stack([t.children_left, t.children_right]).astype(np.int64)
        self.feature_ = np.asarray(t.feature, dtype=np.int64)
        self.threshold_ = np.asarray(t.threshold, dtype=np.float64)
        self.value_ = values
        self.info_ = self._fit_info(
            dataset, started, nodes=int(t.node_count), features=list(OVERLAP_FEATURES)
        )
        return self

    def _leaves(self, examples: Sequence[GradingExample]) -> FloatArray:
        """Each answer's leaf value, walking the saved arrays (as scikit-learn would)."""
        X = _overlaps(examples).astype(np.float32)
        rows = np.arange(len(examples))
        node = np.zeros(len(examples), dtype=np.int64)
        for _ in range(self.children_.shape[0]):
            left = self.children_[node, 0]
            inner = left >= 0
            if not inner.any():
                break
            goes_left = X[rows, np.maximum(self.feature_[node], 0)] <= self.threshold_[node]
            node = np.where(inner, np.where(goes_left, left, self.children_[node, 1]), node)
        return self.value_[node]

    def _proba(self, examples: Sequence[GradingExample]) -> FloatArray:
        return self._leaves(examples)

    def _regress(self, examples: Sequence[GradingExample]) -> FloatArray:
        return self._leaves(examples)[:, 0]

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {
            "children": self.children_,
            "feature": self.feature_,
            "threshold": self.threshold_,
            "value": self.value_,
        }
        return arrays, {}

    def _restore(self, arrays: dict[str, np.ndarray], files: dict[str, Any]) -> None:
        self.children_, self.feature_ = arrays["children"], arrays["feature"]
        self.threshold_, self.value_ = arrays["threshold"], arrays["value"]
        n = self.children_.shape[0]
        same_length = len(self.feature_) == len(self.threshold_) == self.value_.shape[0] == n
        if not same_length or ((self.children_ < -1) | (self.children_ >= n)).any():
            raise InvalidInputError(
                "the saved tree's arrays do not fit together; the weights file is damaged"
            )


def _overlaps(examples: Sequence[GradingExample]) -> FloatArray:
    if not examples:
        return np.zeros((0, len(OVERLAP_FEATURES)))
    return np.vstack([overlap_features(ex.answer, ex.references, ex.question) for ex in examples])
