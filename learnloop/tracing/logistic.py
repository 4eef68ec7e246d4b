"""Logistic knowledge tracing: PFA-style practice counts and IRT with an online ability.

Both minimise scikit-learn's L2-regularised logistic loss on sparse features with scipy;
predictions use only the stored coefficients, so a saved model is a few numpy arrays.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Self

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit

from learnloop.tracing.data import FloatArray, IntArray, InteractionLog, Response
from learnloop.tracing.estimator import (
    KnowledgeTracer,
    StudentState,
    fit_info,
    map_codes,
    vocabulary,
)


def _counts_before(group: IntArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Successes and failures earlier in each element's group (elements in time order)."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    ys = y[order]
    n = len(g)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if n else np.zeros(0, int)
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    seen = np.arange(n) - first
    succ_sorted = np.cumsum(ys) - ys
    succ_sorted = succ_sorted - (succ_sorted[first] if n else 0)
    succ = np.empty(n)
    fail = np.empty(n)
    succ[order] = succ_sorted
    fail[order] = seen - succ_sorted
    return succ, fail


def _fit_logistic(
    x: sparse.spmatrix, y: np.ndarray, c: float, max_iter: int
) -> tuple[FloatArray, float]:
    """L2-regularised logistic regression (scikit-learn's objective: ``C`` times the log
    loss plus half the squared weights, intercept unpenalised), by Newton-CG in scipy.

    Thousands of item indicators seen a handful of times each next to skill columns seen
    thousands of times make the problem badly conditioned: lbfgs (scikit-learn's default)
    stops at its iteration limit after minutes. Rescaling every column by its curvature at
    the start and taking Newton steps converges in about twenty steps.
    """
    from scipy import optimize  # slow to import; only fitting needs it

    n, d = x.shape
    y = y.astype(np.float64)
    sign = 2.0 * y - 1.0
    xb = sparse.hstack([sparse.csr_matrix(x, dtype=np.float64), np.ones((n, 1))]).tocsr()
    penalty = np.r_[np.ones(d), 0.0]
    scale = 1.0 / np.sqrt(0.25 * c * np.asarray(xb.multiply(xb).sum(axis=0)).ravel() + penalty)
    xs = (xb @ sparse.diags(scale)).tocsr()
    xst = xs.T.tocsr()
    penalty = penalty * scale**2
    cache: dict[str, np.ndarray] = {}

    def prob(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if "u" not in cache or not np.array_equal(cache["u"], u):
            z = xs @ u
            cache.update(u=u.copy(), z=z, p=expit(z))
        return cache["z"], cache["p"]

    def loss(u: np.ndarray) -> tuple[float, np.ndarray]:
        z, p = prob(u)
        value = -c * float(np.sum(log_expit(sign * z))) + 0.5 * float(np.sum(penalty * u * u))
        return value, xst @ ((p - y) * c) + penalty * u

    def hessp(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        _, p = prob(u)
        return xst @ (c * p * (1.0 - p) * (xs @ v)) + penalty * v

    res = optimize.minimize(
        loss,
        np.zeros(d + 1),
        jac=True,
        hessp=hessp,
        method="Newton-CG",
        options={"maxiter": max_iter, "xtol": 1e-5},
    )
    w = res.x * scale
    return w[:d], float(w[d])


class PFA(KnowledgeTracer):
    """Performance Factors Analysis with item difficulty.

    log-odds = intercept + Σ over the response's skills (easiness + γ·f(successes) +
    ρ·f(failures)) − item difficulty [+ student-wide f(successes), f(failures)], with
    ``f = log1p`` (``counts="log"``) or the raw counts (``counts="linear"``, classic PFA).
    Items unseen in training fall back to their skills.
    """

    name = "pfa"
    title = "Performance Factors Analysis"
    summary = (
        "Logistic regression on each skill's counts of earlier successes and failures, "
        "skill easiness and item difficulty (L2-regularised, fitted by Newton-CG in scipy)."
    )

    def __init__(
        self,
        *,
        counts: str = "log",
        item_difficulty: bool = True,
        student_counts: bool = True,
        C: float = 1.0,
        max_iter: int = 100,
    ) -> None:
        self.counts = counts
        self.item_difficulty = item_difficulty
        self.student_counts = student_counts
        self.C = C
        self.max_iter = max_iter

    def _f(self, x: FloatArray) -> FloatArray:
        return np.log1p(x) if self.counts == "log" else x

    def _f1(self, x: float) -> float:
        return math.log1p(x) if self.counts == "log" else float(x)

    def _features(self, log: InteractionLog) -> sparse.csr_matrix:
        k, j = len(self.skills_), len(self.items_)
        rows, log_sk = log.expanded()
        sk = map_codes(self.skill_index_, log.skills)[log_sk]
        y = log.correct.astype(np.float64)
        succ, fail = _counts_before(log.student[rows] * len(log.skills) + log_sk, y[rows])
        known = sk >= 0
        r, s = rows[known], sk[known]
        parts_r = [r, r, r]
        parts_c = [s, k + s, 2 * k + s]
        parts_v = [np.ones(len(r)), self._f(succ[known]), self._f(fail[known])]
        if self.item_difficulty:
            it = map_codes(self.item_index_, log.items)[log.item] if len(log.items) else log.item
            it = np.where(log.item >= 0, it, -1)
            has = np.flatnonzero(it >= 0)
            parts_r.append(has)
            parts_c.append(3 * k + it[has])
            parts_v.append(np.ones(len(has)))
        if self.student_counts:
            tot_s, tot_f = _counts_before(log.student, y)
            n = np.arange(len(log))
            parts_r += [n, n]
            parts_c += [np.full(len(log), 3 * k + j), np.full(len(log), 3 * k + j + 1)]
            parts_v += [self._f(tot_s), self._f(tot_f)]
        return sparse.csr_matrix(
            (np.concatenate(parts_v), (np.concatenate(parts_r), np.concatenate(parts_c))),
            shape=(len(log), 3 * k + j + 2),
        )

    def fit(self, log: InteractionLog) -> Self:
        self._check_log(log)
        started = time.perf_counter()
        self.skills_ = log.skills[np.unique(log.skill)]
        used_items = np.unique(log.item[log.item >= 0])
        self.items_ = log.items[used_items] if self.item_difficulty else log.items[:0]
        self._index()
        x = self._features(log)
        self.coef_, self.intercept_ = _fit_logistic(x, log.correct, self.C, self.max_iter)
        self.info_ = fit_info(log, time.perf_counter() - started, items=len(self.items_))
        return self

    def _index(self) -> None:
        self.skill_index_ = vocabulary(self.skills_)
        self.item_index_ = vocabulary(self.items_)

    def predict_proba(self, log: InteractionLog) -> FloatArray:
        self._check_fitted()
        return expit(self._features(log) @ self.coef_ + self.intercept_)

    # --- online -------------------------------------------------------------------------

    def initial_state(self) -> StudentState:
        return {"succ": {}, "fail": {}, "total": [0, 0]}

    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        self._check_fitted()
        k, w = len(self.skills_), self.coef_
        z = self.intercept_
        for skill in dict.fromkeys(skills):
            code = self.skill_index_.get(skill)
            if code is None:
                continue
            z += w[code]
            z += w[k + code] * self._f1(state["succ"].get(skill, 0))
            z += w[2 * k + code] * self._f1(state["fail"].get(skill, 0))
        if item is not None and item in self.item_index_:
            z += w[3 * k + self.item_index_[item]]
        if self.student_counts:
            j = len(self.items_)
            z += w[3 * k + j] * self._f1(state["total"][0]) + w[3 * k + j + 1] * self._f1(
                state["total"][1]
            )
        return float(expit(z))

    def update(self, state: StudentState, response: Response) -> StudentState:
        right = response.correct >= 0.5
        key = "succ" if right else "fail"
        counts = dict(state[key])
        for skill in dict.fromkeys(response.skills):
            counts[skill] = counts.get(skill, 0) + 1
        total = list(state["total"])
        total[0 if right else 1] += 1
        return {**state, key: counts, "total": total}

    def _weights(self) -> dict[str, np.ndarray]:
        return {
            "skills": self.skills_,
            "items": self.items_,
            "coef": self.coef_,
            "intercept": np.asarray([self.intercept_]),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.skills_, self.items_ = arrays["skills"], arrays["items"]
        self.coef_, self.intercept_ = arrays["coef"], float(arrays["intercept"][0])
        self._index()


class OnlineIRT(KnowledgeTracer):
    """Rasch-style IRT with item and skill difficulties, and an ability learnt online.

    Difficulties come from a logistic regression over the training log (student, item and
    skill indicators). A new student starts at the average ability with the spread seen in
    training and, after each answer, the ability (global, plus a deviation per skill) takes
    one Bayesian step: a Gaussian posterior updated by a Newton step, as in Elo with an
    uncertainty that shrinks with evidence; ``drift`` adds variance per answer so recent
    answers keep counting.
    """

    name = "irt"
    title = "IRT with online ability (Elo-style)"
    summary = (
        "Item and skill difficulties from an L2-regularised logistic regression "
        "(Newton-CG in scipy); student ability tracked online by a Gaussian (Laplace) update."
    )

    def __init__(
        self,
        *,
        skill_variance: float = 0.3,
        drift: float = 0.01,
        C: float = 1.0,
        max_iter: int = 100,
    ) -> None:
        self.skill_variance = skill_variance
        self.drift = drift
        self.C = C
        self.max_iter = max_iter

    def fit(self, log: InteractionLog) -> Self:
        self._check_log(log)
        started = time.perf_counter()
        self.skills_ = log.skills[np.unique(log.skill)]
        self.items_ = log.items[np.unique(log.item[log.item >= 0])]
        self._index()
        n, k, j = len(log), len(self.skills_), len(self.items_)
        students, st = np.unique(log.student, return_inverse=True)
        base = self._base_features(log)
        x = sparse.hstack(
            [sparse.csr_matrix((np.ones(n), (np.arange(n), st)), shape=(n, len(students))), base]
        ).tocsr()
        coef, intercept = _fit_logistic(x, log.correct, self.C, self.max_iter)
        ability = coef[: len(students)]
        self.ability_mean_ = float(np.mean(ability))
        self.ability_variance_ = max(float(np.var(ability)), 0.05)
        self.item_coef_ = coef[len(students) : len(students) + j]
        self.skill_coef_ = coef[len(students) + j : len(students) + j + k]
        self.intercept_ = intercept + self.ability_mean_
        self.info_ = fit_info(log, time.perf_counter() - started, items=j)
        return self

    def _index(self) -> None:
        self.skill_index_ = vocabulary(self.skills_)
        self.item_index_ = vocabulary(self.items_)

    def _base_features(self, log: InteractionLog) -> sparse.csr_matrix:
        """Item indicator and the response's skills, each weighted 1/len(skills)."""
        n, k, j = len(log), len(self.skills_), len(self.items_)
        it = map_codes(self.item_index_, log.items)[log.item] if len(log.items) else log.item
        it = np.where(log.item >= 0, it, -1)
        has = np.flatnonzero(it >= 0)
        rows, sk = log.expanded()
        sk = map_codes(self.skill_index_, log.skills)[sk]
        w = 1.0 / np.diff(log.skill_ptr)[rows]
        known = sk >= 0
        return sparse.csr_matrix(
            (
                np.r_[np.ones(len(has)), w[known]],
                (np.r_[has, rows[known]], np.r_[it[has], j + sk[known]]),
            ),
            shape=(n, j + k),
        )

    def _base(self, log: InteractionLog) -> FloatArray:
        coef = np.r_[self.item_coef_, self.skill_coef_]
        return self._base_features(log) @ coef + self.intercept_

    def _base_one(self, skills: tuple[str, ...], item: str | None) -> float:
        z = self.intercept_
        if item is not None and item in self.item_index_:
            z += float(self.item_coef_[self.item_index_[item]])
        for skill in skills:
            code = self.skill_index_.get(skill)
            if code is not None:
                z += float(self.skill_coef_[code]) / len(skills)
        return z

    # --- online -------------------------------------------------------------------------

    def initial_state(self) -> StudentState:
        self._check_fitted()
        return {"ability": [0.0, self.ability_variance_], "skills": {}}

    def _terms(self, state: StudentState, skills: tuple[str, ...]) -> tuple[float, float]:
        mu, var = state["ability"]
        own = state["skills"]
        w = 1.0 / len(skills)
        for skill in skills:
            m, v = own.get(skill, (0.0, self.skill_variance))
            mu += w * m
            var += w * w * v
        return mu, var

    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        skills = tuple(dict.fromkeys(skills))
        mu, var = self._terms(state, skills)
        z = self._base_one(skills, item) + mu
        return float(1.0 / (1.0 + math.exp(-z / math.sqrt(1.0 + math.pi * var / 8.0))))

    def update(self, state: StudentState, response: Response) -> StudentState:
        skills = tuple(dict.fromkeys(response.skills))
        return self._step(state, skills, self._base_one(skills, response.item), response.correct)

    def _step(
        self, state: StudentState, skills: tuple[str, ...], base: float, y: float
    ) -> StudentState:
        mu, var = self._terms(state, skills)
        p = 1.0 / (1.0 + math.exp(-(base + mu)))
        h = p * (1.0 - p)
        gain = (y - p) / (1.0 + h * var)
        shrink = h / (1.0 + h * var)
        m, v = state["ability"]
        ability = [m + v * gain, v - shrink * v * v + self.drift]
        own = dict(state["skills"])
        w = 1.0 / len(skills)
        for skill in skills:
            m, v = own.get(skill, (0.0, self.skill_variance))
            own[skill] = [m + v * w * gain, v - shrink * v * v * w * w + self.drift]
        return {"ability": ability, "skills": own}

    def predict_proba(self, log: InteractionLog) -> FloatArray:
        self._check_fitted()
        base = self._base(log).tolist()
        students = log.student.tolist()
        ptr = log.skill_ptr.tolist()
        names = [str(s) for s in log.skills]
        skill = log.skill.tolist()
        y = log.correct.tolist()
        out = np.empty(len(log))
        state: StudentState = {}
        for i, s in enumerate(students):
            if i == 0 or s != students[i - 1]:
                state = self.initial_state()
            skills = tuple(names[c] for c in skill[ptr[i] : ptr[i + 1]])
            mu, var = self._terms(state, skills)
            z = (base[i] + mu) / math.sqrt(1.0 + math.pi * var / 8.0)
            out[i] = 1.0 / (1.0 + math.exp(-z))
            state = self._step(state, skills, base[i], y[i])
        return out

    def _weights(self) -> dict[str, np.ndarray]:
        return {
            "skills": self.skills_,
            "items": self.items_,
            "item_coef": self.item_coef_,
            "skill_coef": self.skill_coef_,
            "scalars": np.asarray([self.intercept_, self.ability_mean_, self.ability_variance_]),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.skills_, self.items_ = arrays["skills"], arrays["items"]
        self.item_coef_, self.skill_coef_ = arrays["item_coef"], arrays["skill_coef"]
        scalars = [float(v) for v in np.asarray(arrays["scalars"], dtype=np.float64)]
        self.intercept_, self.ability_mean_, self.ability_variance_ = scalars
        self._index()
