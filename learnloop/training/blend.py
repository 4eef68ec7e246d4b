"""Stacking the fine-tuned network with a TF-IDF grader: each catches what the other misses.

A small encoder fine-tuned on a few thousand answers judges meaning ("the bulb is in a closed
path" against "the circuit is complete"), while TF-IDF over word and character n-grams
remembers the exact phrasings that earned each label on a question. On SemEval's Beetle
unseen answers either alone trails the pair. The pair is combined by a logistic regression
over the network's logits and the partner's log-probabilities, fitted on the validation
answers neither was trained on; being a logistic regression, it is also the calibration
(temperature scaling is then not needed). The partner is then re-fitted on every answer,
since it is cheap and the answers it did not see are exactly the ones the next term brings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from learnloop.training.calibration import softmax
from learnloop.training.examples import GradingDataset, GradingExample

if TYPE_CHECKING:  # learnloop.grading.learned imports the fine-tuning module, which imports this
    from learnloop.grading.learned import LearnedGrader

PARTNERS = ("tfidf",)
"""Graders the network can be stacked with (names in ``learnloop.grading.learned``)."""
PARTNER_DIR = "partner"
_FLOOR = 1e-6


def features(logits: np.ndarray, partner_proba: np.ndarray) -> np.ndarray:
    """Centred network logits beside the partner's log-probabilities."""
    centred = logits - logits.mean(axis=1, keepdims=True)
    return np.hstack([centred, np.log(np.clip(partner_proba, _FLOOR, 1.0))])


@dataclass
class Blend:
    partner: LearnedGrader
    coef: np.ndarray
    """``[classes, features]`` (one row for two classes, as scikit-learn stores it)."""
    intercept: np.ndarray

    def proba(self, logits: np.ndarray, examples: list[GradingExample]) -> np.ndarray:
        x = features(logits, self.partner.predict_proba(examples))
        z = x @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        return softmax(z, 1.0)

    def save(self, path: Path) -> dict[str, Any]:
        """Write the partner under ``path``; returns what the config records."""
        self.partner.save(path / PARTNER_DIR)
        return {
            "partner": self.partner.name,
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

    @classmethod
    def load(cls, path: Path, record: dict[str, Any]) -> Blend:
        from learnloop.grading.learned import load_grader

        return cls(
            partner=load_grader(path / PARTNER_DIR),
            coef=np.asarray(record["coef"], dtype=np.float64),
            intercept=np.asarray(record["intercept"], dtype=np.float64),
        )


def fit_blend(
    partner: str,
    train: GradingDataset,
    valid: GradingDataset,
    valid_logits: np.ndarray,
    valid_targets: np.ndarray,
    n_classes: int,
    *,
    C: float = 1.0,
    random_state: int | None = 0,
) -> Blend | None:
    """The stacked grader, or ``None`` when the validation answers lack a label (the
    combiner could then never predict it)."""
    from sklearn.linear_model import LogisticRegression

    from learnloop.grading.learned import GRADERS

    if len(set(valid_targets.tolist())) < n_classes:
        return None
    model = GRADERS[partner]().fit(train)
    x = features(valid_logits, model.predict_proba(list(valid)))
    combiner = LogisticRegression(C=C, max_iter=2000, random_state=random_state)
    combiner.fit(x, valid_targets)
    everything = GradingDataset(
        [*train, *valid], label_set=train.label_set, name=train.name or "training"
    )
    model = GRADERS[partner]().fit(everything)
    return Blend(
        partner=model,
        coef=np.asarray(combiner.coef_, dtype=np.float64),
        intercept=np.asarray(combiner.intercept_, dtype=np.float64),
    )
