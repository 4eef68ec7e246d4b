"""A fitted scikit-learn gradient-boosted tree ensemble as plain arrays.

Saved models hold no pickle, so the stacked model keeps its blender as the trees' node tables
(feature, threshold, children, leaf value) and evaluates them with numpy. Only numeric
features and binary classification are supported, which is what the blender uses; the
conversion is checked against scikit-learn's own predictions in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from learnloop.errors import InvalidInputError
from learnloop.tracing.data import FloatArray

FIELDS = ("feature", "threshold", "left", "right", "is_leaf", "value", "missing_left")


@dataclass(frozen=True)
class TreeEnsemble:
    baseline: float
    starts: np.ndarray
    """Where each tree's nodes begin in the node arrays; node 0 of a tree is its root."""
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    missing_left: np.ndarray

    @property
    def n_trees(self) -> int:
        return len(self.starts)

    @classmethod
    def from_sklearn(cls, model: Any) -> TreeEnsemble:
        """From a fitted ``HistGradientBoostingClassifier`` with two classes."""
        predictors = model._predictors
        if any(len(per_iter) != 1 for per_iter in predictors):
            raise InvalidInputError("only a two-class gradient-boosted model can be converted")
        nodes = [per_iter[0].nodes for per_iter in predictors]
        if any(n["is_categorical"].any() for n in nodes):
            raise InvalidInputError("categorical splits are not supported")
        sizes = np.array([len(n) for n in nodes], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        allnodes = np.concatenate(nodes) if nodes else np.zeros(0, dtype=float)
        offset = np.repeat(starts, sizes)
        return cls(
            baseline=float(np.ravel(model._baseline_prediction)[0]),
            starts=starts,
            feature=allnodes["feature_idx"].astype(np.int64),
            threshold=allnodes["num_threshold"].astype(np.float64),
            left=allnodes["left"].astype(np.int64) + offset,
            right=allnodes["right"].astype(np.int64) + offset,
            is_leaf=allnodes["is_leaf"].astype(bool),
            value=allnodes["value"].astype(np.float64),
            missing_left=allnodes["missing_go_to_left"].astype(bool),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "baseline": np.asarray([self.baseline]),
            "starts": self.starts,
            **{name: getattr(self, name) for name in FIELDS},
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TreeEnsemble:
        try:
            return cls(
                baseline=float(arrays["baseline"][0]),
                starts=arrays["starts"],
                **{name: arrays[name] for name in FIELDS},
            )
        except KeyError as exc:
            raise InvalidInputError(f"saved trees lack the array {exc}; re-fit the model") from None

    def decision_one(self, row: list[float]) -> float:
        """The raw score of one row, in plain Python: for online use, where numpy's per-call
        cost over a few hundred small trees would dominate."""
        lists = self.__dict__.get("_lists")
        if lists is None:
            lists = tuple(getattr(self, name).tolist() for name in FIELDS)
            object.__setattr__(self, "_lists", lists)
        feature, threshold, left, right, is_leaf, value, missing_left = lists
        total = self.baseline
        for node in self.starts.tolist():
            while not is_leaf[node]:
                v = row[feature[node]]
                if v != v:  # NaN
                    node = left[node] if missing_left[node] else right[node]
                else:
                    node = left[node] if v <= threshold[node] else right[node]
            total += value[node]
        return total

    def decision(self, x: FloatArray) -> FloatArray:
        """The raw score (log-odds) of each row of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        rows = np.arange(len(x))
        total = np.full(len(x), self.baseline)
        for start in self.starts:
            node = np.full(len(x), start, dtype=np.int64)
            active = ~self.is_leaf[node]
            while active.any():
                n = node[active]
                v = x[rows[active], self.feature[n]]
                go_left = np.where(np.isnan(v), self.missing_left[n], v <= self.threshold[n])
                node[active] = np.where(go_left, self.left[n], self.right[n])
                active = ~self.is_leaf[node]
            total += self.value[node]
        return total
