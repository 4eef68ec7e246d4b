"""Bayesian Knowledge Tracing, one hidden-Markov model per skill, fitted by EM in numpy.

All skills are fitted at once: every (student, skill) sequence is laid out time-major, longest
first, so step ``t`` of all sequences still running is one contiguous slice and the
forward-backward recursions are a loop over time steps with vector operations, not a loop
over sequences. Parameters are clamped into bounds after every M-step, so a skill with
little data cannot run off to a degenerate fit (guess or slip near 1, learning 0 or 1).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from learnloop.errors import InvalidInputError
from learnloop.tracing.data import FloatArray, IntArray, InteractionLog, Response
from learnloop.tracing.estimator import (
    KnowledgeTracer,
    StudentState,
    fit_info,
    map_codes,
    vocabulary,
)

PARAMS = ("prior", "learn", "forget", "guess", "slip")
_START = {"prior": 0.4, "learn": 0.1, "forget": 0.0, "guess": 0.2, "slip": 0.1}
_EPS = 1e-12


@dataclass
class _Layout:
    """(student, skill) sequences, time-major: step ``t`` is ``[off[t], off[t + 1])``."""

    skill: IntArray
    row: IntArray
    y: FloatArray
    off: IntArray
    has_next: np.ndarray

    @classmethod
    def build(cls, log: InteractionLog, skill_codes: IntArray, n_keys: int) -> _Layout:
        rows, sk = log.expanded()
        sk = skill_codes[sk]
        key = log.student[rows] * n_keys + sk
        order = np.argsort(key, kind="stable")
        key = key[order]
        n = len(key)
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else np.zeros(0, int)
        lengths = np.diff(np.r_[starts, n])
        seq = np.repeat(np.arange(len(starts)), lengths)
        pos = np.arange(n) - starts[seq]
        rank = np.empty(len(starts), dtype=np.int64)
        rank[np.argsort(-lengths, kind="stable")] = np.arange(len(starts))
        elem_rank = rank[seq]
        tm = np.lexsort((elem_rank, pos))
        active = np.bincount(pos, minlength=1) if n else np.zeros(0, dtype=np.int64)
        off = np.r_[0, np.cumsum(active)].astype(np.int64)
        active_next = np.r_[active[1:], 0]
        has_next = (elem_rank < active_next[pos])[tm]
        row = rows[order][tm]
        return cls(
            skill=sk[order][tm],
            row=row,
            y=log.correct[row].astype(np.float64),
            off=off,
            has_next=has_next,
        )

    @property
    def steps(self) -> int:
        return len(self.off) - 1


def _forward(lay: _Layout, p: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per element: P(mastered) before the response, after it, and P(observed response)."""
    n = len(lay.y)
    sk, y, off = lay.skill, lay.y, lay.off
    learn, forget = p["learn"][sk], p["forget"][sk]
    guess, slip = p["guess"][sk], p["slip"][sk]
    e1 = np.where(y > 0, 1.0 - slip, slip)
    e0 = np.where(y > 0, guess, 1.0 - guess)
    a = np.empty(n)
    f = np.empty(n)
    lik = np.empty(n)
    if n == 0:
        return a, f, lik
    cur = p["prior"][sk[off[0] : off[1]]]
    for t in range(lay.steps):
        s, e = off[t], off[t + 1]
        num = cur * e1[s:e]
        den = num + (1.0 - cur) * e0[s:e]
        ft = num / den
        a[s:e] = cur
        f[s:e] = ft
        lik[s:e] = den
        if t + 1 < lay.steps:
            m = off[t + 2] - e
            fm = ft[:m]
            cur = fm * (1.0 - forget[s : s + m]) + (1.0 - fm) * learn[s : s + m]
    return a, f, lik


def _backward(
    lay: _Layout, p: dict[str, FloatArray], a: FloatArray, f: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Smoothed P(mastered) per element and the expected learn / forget transitions after it."""
    sk, off = lay.skill, lay.off
    learn, forget = p["learn"][sk], p["forget"][sk]
    g = f.copy()
    x01 = np.zeros_like(f)
    x10 = np.zeros_like(f)
    for t in range(lay.steps - 2, -1, -1):
        s, nxt = off[t], off[t + 1]
        m = off[t + 2] - nxt
        gn = g[nxt : nxt + m]
        an = np.clip(a[nxt : nxt + m], _EPS, 1.0 - _EPS)
        r1 = gn / an
        r0 = (1.0 - gn) / (1.0 - an)
        ft = f[s : s + m]
        fl = forget[s : s + m]
        x01[s : s + m] = (1.0 - ft) * learn[s : s + m] * r1
        x10[s : s + m] = ft * fl * r0
        g[s : s + m] = ft * (1.0 - fl) * r1 + x10[s : s + m]
    return g, x01, x10


def _sum_by(idx: IntArray, weights: FloatArray, n: int) -> FloatArray:
    return np.bincount(idx, weights, minlength=n).astype(np.float64, copy=False)


def _ratio(num: FloatArray, den: FloatArray, old: FloatArray) -> FloatArray:
    return np.where(den > 1e-9, num / np.maximum(den, 1e-9), old)


class BKT(KnowledgeTracer):
    """Bayesian Knowledge Tracing with one parameter set per skill.

    A multi-skill response updates every one of its skills and is predicted by combining
    the per-skill predictions (``multi_skill``: ``"mean"`` or ``"product"``), each from the
    skill's state before the response.
    """

    name = "bkt"
    title = "Bayesian Knowledge Tracing"
    summary = (
        "One hidden-Markov model per skill (prior, learn, guess, slip and, if enabled, "
        "forget) fitted by expectation-maximisation; skills unseen in training use the "
        "median parameters."
    )

    def __init__(
        self,
        *,
        forgets: bool = False,
        n_init: int = 1,
        max_iter: int = 100,
        tol: float = 1e-6,
        prior_bounds: tuple[float, float] = (0.001, 0.999),
        learn_bounds: tuple[float, float] = (0.0001, 0.5),
        forget_bounds: tuple[float, float] = (0.0, 0.3),
        guess_bounds: tuple[float, float] = (0.001, 0.4),
        slip_bounds: tuple[float, float] = (0.001, 0.4),
        multi_skill: str = "mean",
        random_state: int | None = None,
    ) -> None:
        self.forgets = forgets
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.prior_bounds = prior_bounds
        self.learn_bounds = learn_bounds
        self.forget_bounds = forget_bounds
        self.guess_bounds = guess_bounds
        self.slip_bounds = slip_bounds
        self.multi_skill = multi_skill

        self.random_state = random_state

    # --- fitting ------------------------------------------------------------------------

    def _bounds(self, name: str) -> tuple[float, float]:
        if name == "forget" and not self.forgets:
            return (0.0, 0.0)
        lo, hi = getattr(self, f"{name}_bounds")
        return float(lo), float(hi)

    def _clip(self, p: dict[str, FloatArray]) -> dict[str, FloatArray]:
        return {k: np.clip(v, *self._bounds(k)) for k, v in p.items()}

    def fit(self, log: InteractionLog) -> Self:
        self._check_log(log)
        if self.multi_skill not in ("mean", "product"):
            raise InvalidInputError(
                f"multi_skill must be 'mean' or 'product', not {self.multi_skill!r}"
            )
        started = time.perf_counter()
        n_skills = len(log.skills)
        lay = _Layout.build(log, np.arange(n_skills, dtype=np.int64), n_skills)
        rng = np.random.default_rng(self.random_state)
        best: dict[str, FloatArray] | None = None
        best_ll = np.full(n_skills, -np.inf)
        n_iter = 0
        for attempt in range(max(1, self.n_init)):
            if attempt == 0:
                # forget = 0 is a fixed point of EM: start above it when it is to be learnt.
                start = {k: np.full(n_skills, v) for k, v in _START.items()}
                start["forget"][:] = 0.05
            else:
                start = {k: rng.uniform(*self._bounds(k), size=n_skills) for k in PARAMS}
            params, ll, iters = self._em(lay, self._clip(start), n_skills)
            n_iter = max(n_iter, iters)
            if best is None:
                best, best_ll = params, ll
            else:
                better = ll > best_ll
                best = {k: np.where(better, params[k], best[k]) for k in PARAMS}
                best_ll = np.maximum(ll, best_ll)
        assert best is not None
        seen = np.bincount(lay.skill, minlength=n_skills) > 0
        self.skills_ = log.skills[seen]
        for k in PARAMS:
            setattr(self, f"{k}_", best[k][seen])
        self.log_likelihood_ = best_ll[seen]
        self.n_iter_ = n_iter
        self.info_ = fit_info(log, time.perf_counter() - started, em_iterations=n_iter)
        self._index()
        return self

    def _em(
        self, lay: _Layout, p: dict[str, FloatArray], n_skills: int
    ) -> tuple[dict[str, FloatArray], FloatArray, int]:
        sk, y = lay.skill, lay.y
        first = slice(lay.off[0], lay.off[1]) if lay.steps else slice(0, 0)
        nxt = lay.has_next.astype(np.float64)
        prev_ll = -np.inf
        ll = np.zeros(n_skills)
        iterations = 0
        for _ in range(self.max_iter):
            iterations += 1
            a, f, lik = _forward(lay, p)
            ll = _sum_by(sk, np.log(lik), n_skills)
            total = float(ll.sum())
            if total - prev_ll < self.tol * len(y):
                break
            prev_ll = total
            g, x01, x10 = _backward(lay, p, a, f)
            ng = 1.0 - g

            def total_by_skill(w: FloatArray, idx: IntArray = sk) -> FloatArray:
                return _sum_by(idx, w, n_skills)

            new = {
                "prior": _ratio(
                    total_by_skill(g[first], sk[first]),
                    np.bincount(sk[first], minlength=n_skills).astype(float),
                    p["prior"],
                ),
                "learn": _ratio(total_by_skill(x01), total_by_skill(ng * nxt), p["learn"]),
                "forget": _ratio(total_by_skill(x10), total_by_skill(g * nxt), p["forget"]),
                "guess": _ratio(total_by_skill(ng * y), total_by_skill(ng), p["guess"]),
                "slip": _ratio(total_by_skill(g * (1.0 - y)), total_by_skill(g), p["slip"]),
            }
            p = self._clip(new)
        return p, ll, iterations

    # --- batch prediction ---------------------------------------------------------------

    def _index(self, unseen: dict[str, float] | None = None) -> None:
        self.skill_index_ = vocabulary(self.skills_)
        full = {k: getattr(self, f"{k}_") for k in PARAMS}
        if unseen is None:
            unseen = {k: float(np.median(v)) if len(v) else _START[k] for k, v in full.items()}
        self.unseen_ = {k: float(unseen[k]) for k in PARAMS}
        # Unseen skills (code K) get ``unseen_``.
        self._table = {k: np.r_[v, self.unseen_[k]] for k, v in full.items()}

    @classmethod
    def from_params(cls, params: dict[str, float], *, info: dict[str, Any] | None = None) -> BKT:
        """A fitted BKT that gives every skill ``params``: parameters fitted on another log
        (the shipped priors, ``learnloop.tracing.priors``) for a platform with none of its own."""
        missing = [k for k in PARAMS if k not in params]
        if missing:
            raise InvalidInputError(f"BKT parameters lack {', '.join(missing)}")
        model = cls(forgets=float(params["forget"]) > 0)
        model.skills_ = np.zeros(0, dtype=np.str_)
        for k in PARAMS:
            setattr(model, f"{k}_", np.zeros(0))
        model.log_likelihood_ = np.zeros(0)
        model.n_iter_ = 0
        model.info_ = dict(info or {})
        model._index({k: float(params[k]) for k in PARAMS})
        return model

    def _layout(self, log: InteractionLog) -> tuple[_Layout, dict[str, FloatArray]]:
        """``log`` laid out for the forward pass, and the parameter table it indexes: each
        skill unseen in training gets a code of its own (its own chains, as online), with
        the ``unseen_`` parameters."""
        self._check_fitted()
        k = len(self.skills_)
        codes = map_codes(self.skill_index_, log.skills)
        new = codes < 0
        codes[new] = k + np.arange(int(new.sum()))
        table = {
            name: np.r_[getattr(self, f"{name}_"), np.full(int(new.sum()), self.unseen_[name])]
            for name in PARAMS
        }
        return _Layout.build(log, codes, k + int(new.sum())), table

    def _per_skill_proba(self, log: InteractionLog) -> tuple[IntArray, FloatArray]:
        lay, table = self._layout(log)
        a, _, _ = _forward(lay, table)
        guess, slip = table["guess"][lay.skill], table["slip"][lay.skill]
        return lay.row, a * (1.0 - slip) + (1.0 - a) * guess

    def predict_proba(self, log: InteractionLog) -> FloatArray:
        rows, p = self._per_skill_proba(log)
        n = len(log)
        counts = np.diff(log.skill_ptr).astype(np.float64)
        if self.multi_skill == "product":
            return np.exp(np.bincount(rows, np.log(np.maximum(p, _EPS)), minlength=n))
        return np.bincount(rows, p, minlength=n) / counts

    def mastery(self, log: InteractionLog) -> FloatArray:
        """P(mastered) of each response's skills after it (mean over the response's skills)."""
        lay, table = self._layout(log)
        _, f, _ = _forward(lay, table)
        return np.bincount(lay.row, f, minlength=len(log)) / np.diff(log.skill_ptr)

    # --- online -------------------------------------------------------------------------

    def params_of(self, skill: str | None) -> dict[str, float]:
        """The parameters of ``skill`` (``unseen_``, by default the median ones, for a skill
        not seen in training)."""
        self._check_fitted()
        code = self.skill_index_.get(skill, len(self.skills_)) if skill is not None else -1
        return {k: float(self._table[k][code]) for k in PARAMS}

    def initial_state(self) -> StudentState:
        return {"p": {}}

    def p_known(self, state: StudentState, skill: str) -> float:
        """P(mastered) of ``skill`` before the student's next answer."""
        known = state.get("p", {})
        return float(known[skill]) if skill in known else self.params_of(skill)["prior"]

    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        ps = []
        for skill in dict.fromkeys(skills):
            prm = self.params_of(skill)
            a = self.p_known(state, skill)
            ps.append(a * (1.0 - prm["slip"]) + (1.0 - a) * prm["guess"])
        if not ps:
            raise InvalidInputError("a response needs at least one skill")
        if self.multi_skill == "product":
            return float(np.prod(ps))
        return float(sum(ps) / len(ps))

    def update(self, state: StudentState, response: Response) -> StudentState:
        known = dict(state.get("p", {}))
        for skill in dict.fromkeys(response.skills):
            known[skill] = step(self.params_of(skill), self.p_known(state, skill), response.correct)
        return {**state, "p": known}

    # --- persistence --------------------------------------------------------------------

    def _weights(self) -> dict[str, np.ndarray]:
        return {
            "skills": self.skills_,
            **{k: getattr(self, f"{k}_") for k in PARAMS},
            "log_likelihood": self.log_likelihood_,
            "unseen": np.array([self.unseen_[k] for k in PARAMS]),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.skills_ = arrays["skills"]
        for k in PARAMS:
            setattr(self, f"{k}_", arrays[k].astype(np.float64))
        self.log_likelihood_ = arrays["log_likelihood"]
        self.n_iter_ = int(self.info_.get("em_iterations", 0))
        # models saved before ``unseen`` was stored give unseen skills the median
        unseen = arrays.get("unseen")
        self._index(None if unseen is None else dict(zip(PARAMS, map(float, unseen), strict=True)))


def step(prm: dict[str, float], known: float, score: float) -> float:
    """P(mastered) before the next answer, from P(mastered) before this one and its score.

    A score strictly between 0 and 1 is taken as soft evidence: the posterior is the
    score-weighted mix of the posteriors after a right and after a wrong answer.
    """
    score = min(1.0, max(0.0, float(score)))
    right = known * (1.0 - prm["slip"])
    right = right / (right + (1.0 - known) * prm["guess"])
    wrong = known * prm["slip"]
    wrong = wrong / (wrong + (1.0 - known) * (1.0 - prm["guess"]))
    post = score * right + (1.0 - score) * wrong
    return post * (1.0 - prm["forget"]) + (1.0 - post) * prm["learn"]
