"""DKT with Rasch item embeddings and practice counts: item difficulty where DKT has none.

Plain DKT sees only skills, so every problem of a skill looks alike; on ASSISTments most of
what separates the better models (IRT, PFA with items, AKT's Rasch variant) is item
difficulty. This model keeps DKT's cheap recurrent state (one LSTM step per answer) and adds
per-item difficulty through AKT's Rasch embedding, plus the PFA counts an LSTM only
approximates.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from learnloop.tracing.data import InteractionLog, Response
from learnloop.tracing.deep import DeepTracer, _Encoded
from learnloop.tracing.estimator import StudentState, map_codes
from learnloop.tracing.logistic import _counts_before

if TYPE_CHECKING:
    from learnloop.tracing.nets import Recurrent

OFFSET_FOLDS = 5


def item_offsets(
    skills: np.ndarray, items: np.ndarray, correct: np.ndarray, n_items: int, prior: float
) -> np.ndarray:
    """How much harder each item is than its skills' success rate predicts: its skills'
    log-odds minus the item's (shrunk towards them by ``prior`` pseudo-answers); 0 for an
    item without answers and for code 0 (no item)."""
    y = correct.astype(np.float64)
    has = skills >= 0
    n_skills = int(skills.max(initial=0)) + 1
    flat = skills[has]
    rate = (np.bincount(flat, np.repeat(y, has.sum(1)), n_skills) + 1.0) / (
        np.bincount(flat, minlength=n_skills) + 2.0
    )
    logit = np.log(rate / (1.0 - rate))
    z = np.where(has, logit[skills.clip(0)], 0.0).sum(1) / np.maximum(has.sum(1), 1)
    expected = 1.0 / (1.0 + np.exp(-z))
    seen = np.bincount(items, minlength=n_items)
    right = np.bincount(items, y, minlength=n_items)
    base = (np.bincount(items, expected, minlength=n_items) / np.maximum(seen, 1)).clip(
        1e-3, 1 - 1e-3
    )
    shrunk = ((right + prior * base) / (seen + prior)).clip(1e-3, 1 - 1e-3)
    offset = np.log(base / (1 - base)) - np.log(shrunk / (1 - shrunk))
    offset[0] = 0.0
    return offset.astype(np.float32)


class RaschDKT(DeepTracer):
    """An LSTM over responses whose items are Rasch embeddings (skill vector + item
    difficulty × variation vector), with an MLP output over the state, the next item and
    five features: log1p of the student's earlier successes and failures on the next item's
    skills (averaged over them) and overall, and the item's difficulty.

    The difficulty is not learnt by gradient descent: with a handful of answers per item,
    learnt item parameters memorise them and over-fit within two epochs. It is the item's
    log-odds against its skills' rate, shrunk by ``item_prior`` pseudo-answers, from the
    training log; on training students, from the other folds' students only, so the
    feature never holds the label it predicts. Items unseen in training get 0, their skills'
    rate."""

    name = "dkt-rasch"
    title = "DKT with Rasch item embeddings and practice counts"
    summary = (
        "An LSTM over each student's responses, items embedded as their skills moved by a "
        "difficulty (AKT's Rasch embedding; the difficulty is each item's shrunk log-odds "
        "against its skills in the training log); the next response is predicted by an MLP "
        "from the state before it, the next item, PFA-style practice counts and the "
        "difficulty (PyTorch, Adam, early stopping on held-out students)."
    )
    uses_items = True
    n_features = 5

    def __init__(
        self,
        *,
        embed_size: int = 32,
        hidden_size: int = 64,
        mlp_size: int = 32,
        layers: int = 1,
        dropout: float = 0.2,
        lr: float = 2e-3,
        item_prior: float = 5.0,
        batch_size: int = 32,
        window: int = 200,
        max_epochs: int = 30,
        patience: int = 3,
        valid_fraction: float = 0.1,
        threads: int | None = None,
        random_state: int | None = 0,
        verbose: bool | None = None,
    ) -> None:
        self.embed_size = embed_size
        self.hidden_size = hidden_size
        self.mlp_size = mlp_size
        self.layers = layers
        self.dropout = dropout
        self.lr = lr
        self.item_prior = item_prior
        self.batch_size = batch_size
        self.window = window
        self.max_epochs = max_epochs
        self.patience = patience
        self.valid_fraction = valid_fraction
        self.threads = threads
        self.random_state = random_state
        self.verbose = verbose

    def _network(self, n_skills: int, n_items: int) -> Recurrent:
        from learnloop.tracing.nets import RaschDKTNet

        return RaschDKTNet(
            n_skills,
            self.n_features,
            embed=self.embed_size,
            hidden=self.hidden_size,
            layers=self.layers,
            dropout=self.dropout,
            mlp=self.mlp_size,
        )

    def _fit_features(self, data: _Encoded, rng: np.random.Generator) -> None:
        """Each item's offset from its skills, from all training students; a training
        student's own responses get the offsets of the other folds' students instead, so
        the feature never holds the label it is used to predict (target encoding)."""
        n_items = len(self.items_) + 1
        self.item_offset_ = item_offsets(
            data.skills, data.items, data.correct, n_items, self.item_prior
        )
        fold = np.repeat(rng.integers(0, OFFSET_FOLDS, len(data.lengths)), data.lengths)
        for k in range(OFFSET_FOLDS):
            out = fold == k
            offsets = item_offsets(
                data.skills[~out], data.items[~out], data.correct[~out], n_items, self.item_prior
            )
            data.feats[out, -1] = offsets[data.items[out]]

    def _extra_weights(self) -> dict[str, np.ndarray]:
        return {"item_offset": self.item_offset_}

    def _restore_extra(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_offset_ = arrays["item_offset"]

    # --- counts: the same numbers for a whole log and one student online ---------------

    def _features(self, log: InteractionLog) -> np.ndarray:
        offset = np.zeros(len(log))
        fitted = len(getattr(self, "item_offset_", ())) == len(self.items_) + 1
        if fitted and len(log.items):
            codes = map_codes(self.item_index_, log.items)[log.item] + 1
            offset = self.item_offset_[np.where(log.item >= 0, codes, 0)]
        rows, sk = log.expanded()
        y = log.correct.astype(np.float64)
        succ, fail = _counts_before(log.student[rows] * len(log.skills) + sk, y[rows])
        per = np.diff(log.skill_ptr).astype(np.float64)
        total_succ, total_fail = _counts_before(log.student, y)
        return np.stack(
            [
                np.bincount(rows, np.log1p(succ), minlength=len(log)) / per,
                np.bincount(rows, np.log1p(fail), minlength=len(log)) / per,
                np.log1p(total_succ),
                np.log1p(total_fail),
                offset,
            ],
            axis=1,
        )

    def _initial_counts(self) -> StudentState:
        return {"succ": {}, "fail": {}, "total": [0, 0]}

    def _next_features(
        self, state: StudentState, skills: tuple[str, ...], item: int
    ) -> list[float]:
        n = len(skills)
        return [
            sum(math.log1p(state["succ"].get(s, 0)) for s in skills) / n,
            sum(math.log1p(state["fail"].get(s, 0)) for s in skills) / n,
            math.log1p(state["total"][0]),
            math.log1p(state["total"][1]),
            float(self.item_offset_[item]),
        ]

    def _count(self, state: StudentState, response: Response) -> StudentState:
        right = response.correct >= 0.5
        key = "succ" if right else "fail"
        counts = dict(state[key])
        for skill in dict.fromkeys(response.skills):
            counts[skill] = counts.get(skill, 0) + 1
        total = list(state["total"])
        total[0 if right else 1] += 1
        return {**state, key: counts, "total": total}
