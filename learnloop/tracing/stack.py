"""A stacked student model: several tracing models and the student's recent answers, blended
by gradient-boosted trees.

The families see different things: PFA and IRT weigh item difficulty and practice counts
linearly, BKT tracks a latent skill state, the recurrent model reads the whole sequence. Which
one to trust depends on the situation (a new student, a rarely answered item, a streak), so
the blender is a small tree ensemble over their logits and a few plain facts about the
student's history rather than a fixed weighting.

The blender never sees a label its members were trained on: it is fitted on a share of the
training students held out from the members (``blend_fraction``), then the members are
re-fitted on all training students (``refit``). A validation log passed to ``fit`` is only
used for the recurrent members' early stopping, as for any model that stops early.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from scipy.special import expit

from learnloop.errors import InvalidInputError
from learnloop.tracing.data import FloatArray, InteractionLog, Response
from learnloop.tracing.estimator import (
    EarlyStoppingTracer,
    KnowledgeTracer,
    StudentState,
    fit_info,
)
from learnloop.tracing.trees import TreeEnsemble

MEMBERS_DIR = "members"
HISTORY_FEATURES = (
    "log1p answers so far",
    "log1p item answers in training",
    "last on skills",
    "log1p right streak on skills",
    "last answer",
    "last on this item",
)


def _logit(p: FloatArray) -> FloatArray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _logit1(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _history(log: InteractionLog, item_counts: dict[str, int]) -> FloatArray:
    """Per response, from the same student's earlier responses only: how many there were, how
    often the item was answered in training, the last outcome and the run of right answers on
    its skills (mean over them; +1 right, -1 wrong, 0 none), the last outcome overall and the
    last outcome on the same item."""
    out = np.zeros((len(log), len(HISTORY_FEATURES)))
    counts = np.array([item_counts.get(str(name), 0) for name in log.items], dtype=np.float64)
    skill_names = [str(s) for s in log.skills]
    item_names = [str(s) for s in log.items]
    state = _initial_history()
    previous = -1
    for i in range(len(log)):
        if log.student[i] != previous:
            state, previous = _initial_history(), int(log.student[i])
        skills = tuple(skill_names[s] for s in log.skill[log.skill_ptr[i] : log.skill_ptr[i + 1]])
        code = int(log.item[i])
        item = item_names[code] if code >= 0 else None
        seen = counts[code] if code >= 0 else 0.0
        out[i] = _history_row(state, skills, item, seen)
        _remember(state, skills, item, float(log.correct[i]))
    return out


def _initial_history() -> StudentState:
    return {"n": 0, "last": {}, "streak": {}, "any": 0.0, "items": {}}


def _history_row(
    state: StudentState, skills: tuple[str, ...], item: str | None, item_count: float
) -> list[float]:
    k = max(len(skills), 1)
    return [
        math.log1p(state["n"]),
        math.log1p(item_count),
        sum(state["last"].get(s, 0.0) for s in skills) / k,
        sum(math.log1p(state["streak"].get(s, 0)) for s in skills) / k,
        state["any"],
        state["items"].get(item, 0.0) if item is not None else 0.0,
    ]


def _remember(state: StudentState, skills: tuple[str, ...], item: str | None, score: float) -> None:
    """Fold one answer into ``state`` in place (callers pass a copy)."""
    outcome = 1.0 if score >= 0.5 else -1.0
    state["n"] += 1
    for s in dict.fromkeys(skills):
        state["last"][s] = outcome
        state["streak"][s] = state["streak"].get(s, 0) + 1 if outcome > 0 else 0
    state["any"] = outcome
    if item is not None:
        state["items"][item] = outcome


@dataclass(frozen=True)
class LinearBlender:
    coef: np.ndarray
    intercept: float

    def decision(self, x: FloatArray) -> FloatArray:
        return np.asarray(x, dtype=np.float64) @ self.coef + self.intercept

    def decision_one(self, row: list[float]) -> float:
        return self.intercept + sum(c * v for c, v in zip(self.coef.tolist(), row, strict=True))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"coef": self.coef, "intercept": np.asarray([self.intercept])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> LinearBlender:
        return cls(coef=arrays["coef"], intercept=float(arrays["intercept"][0]))


class StackedTracer(EarlyStoppingTracer):
    """Member models blended by gradient-boosted trees over their logits and the student's
    recent history (see the module docstring for how the blender is kept honest)."""

    name = "stack"
    title = "Stacked student model"
    summary = (
        "BKT, PFA, IRT, DKT and DKT with Rasch item embeddings, blended by gradient-boosted trees "
        "(scikit-learn) over their predictions and the student's recent answers; the blender "
        "is fitted on training students held out from the members."
    )

    def __init__(
        self,
        *,
        members: tuple[str, ...] = ("bkt", "pfa", "irt", "dkt", "dkt-rasch"),
        member_params: dict[str, dict[str, Any]] | None = None,
        blend_fraction: float = 0.2,
        refit: bool = True,
        blender: str = "auto",
        min_tree_rows: int = 20_000,
        max_trees: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        threads: int | None = None,
        random_state: int | None = 0,
        verbose: bool | None = None,
    ) -> None:
        self.members = members
        self.member_params = member_params
        self.blend_fraction = blend_fraction
        self.refit = refit
        self.blender = blender
        self.min_tree_rows = min_tree_rows
        self.max_trees = max_trees
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.threads = threads
        self.random_state = random_state
        self.verbose = verbose

    # --- fitting ------------------------------------------------------------------------

    def _make_members(self) -> dict[str, KnowledgeTracer]:
        from learnloop.tracing import make_model

        if not self.members:
            raise InvalidInputError("a stack needs at least one member model")
        out = {}
        for name in self.members:
            params = dict((self.member_params or {}).get(name, {}))
            model = make_model(name, **params)
            for key in ("threads", "random_state", "verbose"):
                if key in model.get_params() and key not in params:
                    setattr(model, key, getattr(self, key))
            out[name] = model
        return out

    @staticmethod
    def _fit_member(
        model: KnowledgeTracer, log: InteractionLog, valid: InteractionLog | None
    ) -> KnowledgeTracer:
        if isinstance(model, EarlyStoppingTracer):
            return model.fit(log, valid=valid)
        return model.fit(log)

    def _features(self, log: InteractionLog, members: dict[str, KnowledgeTracer]) -> FloatArray:
        logits = [_logit(members[name].predict_proba(log)) for name in self.members]
        return np.column_stack([*logits, _history(log, self.item_counts_)])

    def fit(self, log: InteractionLog, *, valid: InteractionLog | None = None) -> Self:
        self._check_log(log)
        if self.blender not in ("auto", "trees", "linear"):
            raise InvalidInputError(
                f"blender must be 'auto', 'trees' or 'linear' (not {self.blender!r})"
            )
        if not 0 < self.blend_fraction < 1:
            raise InvalidInputError(
                f"blend_fraction must be between 0 and 1 (not {self.blend_fraction})"
            )
        started = time.perf_counter()
        rng = np.random.default_rng(self.random_state)
        students = np.unique(log.student)
        n_blend = round(len(students) * self.blend_fraction)
        if n_blend < 2 or n_blend >= len(students):
            raise InvalidInputError(
                f"cannot hold out {self.blend_fraction:.0%} of {len(students)} students to fit "
                "the blender; a stack needs more students (or use a single model)"
            )
        held = np.isin(log.student, rng.permutation(students)[:n_blend])
        base, blend = log.take(np.flatnonzero(~held)), log.take(np.flatnonzero(held))

        items = base.items[base.item[base.item >= 0]]
        names, counts = np.unique(items, return_counts=True)
        self.item_counts_ = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
        members = {n: self._fit_member(m, base, valid) for n, m in self._make_members().items()}
        x = self._features(blend, members)
        trees = self.blender == "trees" or (
            self.blender == "auto" and len(blend) >= self.min_tree_rows
        )
        self.blender_ = self._fit_blender(x, blend.correct, trees, int(rng.integers(2**31)))
        if self.refit:
            items = log.items[log.item[log.item >= 0]]
            names, counts = np.unique(items, return_counts=True)
            self.item_counts_ = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
            members = {n: self._fit_member(m, log, valid) for n, m in self._make_members().items()}
        self.members_ = members
        self.info_ = fit_info(
            log,
            time.perf_counter() - started,
            blend_students=int(n_blend),
            blender="trees" if isinstance(self.blender_, TreeEnsemble) else "linear",
            trees=getattr(self.blender_, "n_trees", 0),
            features=[*(f"logit {n}" for n in self.members), *HISTORY_FEATURES],
            members={n: m.info_.get("fit_seconds") for n, m in members.items()},
        )
        return self

    def _fit_blender(
        self, x: FloatArray, y: np.ndarray, trees: bool, seed: int
    ) -> TreeEnsemble | LinearBlender:
        """Trees when there are enough held-out answers to fit them (they over-fit a few
        thousand), else a logistic regression over the same features."""
        if trees:
            from sklearn.ensemble import HistGradientBoostingClassifier

            model = HistGradientBoostingClassifier(
                max_iter=self.max_trees,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                early_stopping=True,
                validation_fraction=0.15,
                random_state=seed,
            ).fit(x, y)
            return TreeEnsemble.from_sklearn(model)
        from sklearn.linear_model import LogisticRegression

        linear = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
        return LinearBlender(
            coef=linear.coef_[0].astype(np.float64), intercept=float(linear.intercept_[0])
        )

    def predict_proba(self, log: InteractionLog) -> FloatArray:
        self._check_fitted()
        if len(log) == 0:
            return np.zeros(0)
        return expit(self.blender_.decision(self._features(log, self.members_)))

    # --- online -------------------------------------------------------------------------

    def initial_state(self) -> StudentState:
        self._check_fitted()
        return {
            "members": {n: m.initial_state() for n, m in self.members_.items()},
            "history": _initial_history(),
        }

    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        self._check_fitted()
        names = tuple(dict.fromkeys(skills))
        if not names:
            raise InvalidInputError("a response needs at least one skill")
        row = [
            _logit1(m.predict_next(state["members"][n], skills=names, item=item))
            for n, m in self.members_.items()
        ]
        count = self.item_counts_.get(item, 0) if item is not None else 0
        row += _history_row(state["history"], names, item, float(count))
        return float(expit(self.blender_.decision_one(row)))

    def update(self, state: StudentState, response: Response) -> StudentState:
        self._check_fitted()
        members = {n: m.update(state["members"][n], response) for n, m in self.members_.items()}
        old = state["history"]
        history = {
            **old,
            "last": dict(old["last"]),
            "streak": dict(old["streak"]),
            "items": dict(old["items"]),
        }
        _remember(history, tuple(response.skills), response.item, float(response.correct))
        return {**state, "members": members, "history": history}

    # --- persistence: the stack's own arrays, and each member in a folder of its own ------

    def _weights(self) -> dict[str, np.ndarray]:
        names = np.asarray(sorted(self.item_counts_), dtype=np.str_)
        return {
            **{f"blender.{k}": v for k, v in self.blender_.arrays().items()},
            "item_names": names,
            "item_counts": np.asarray([self.item_counts_[n] for n in names], dtype=np.int64),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        own = {k.removeprefix("blender."): v for k, v in arrays.items() if k.startswith("blender.")}
        self.blender_ = (
            LinearBlender.from_arrays(own) if "coef" in own else TreeEnsemble.from_arrays(own)
        )
        self.item_counts_ = {
            str(n): int(c) for n, c in zip(arrays["item_names"], arrays["item_counts"], strict=True)
        }

    def _save_parts(self, path: Path) -> None:
        for name, model in self.members_.items():
            model.save(path / MEMBERS_DIR / name)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        from learnloop.tracing import load_model

        model = super().load(path)
        model.members_ = {
            name: load_model(Path(path) / MEMBERS_DIR / name) for name in model.members
        }
        return model
