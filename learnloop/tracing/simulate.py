"""Synthetic response logs from known models, for tests, examples and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnloop.tracing.data import InteractionLog, Record


@dataclass(frozen=True)
class BKTTruth:
    prior: np.ndarray
    learn: np.ndarray
    guess: np.ndarray
    slip: np.ndarray


def simulate_bkt(
    *,
    n_students: int = 200,
    n_skills: int = 3,
    length: int = 20,
    items_per_skill: int = 5,
    truth: BKTTruth | None = None,
    random_state: int | None = 0,
) -> tuple[InteractionLog, BKTTruth]:
    """Each student answers ``length`` items of every skill in turn (skills interleaved at
    random), following one BKT per skill. Returns the log and the true parameters."""
    rng = np.random.default_rng(random_state)
    if truth is None:
        truth = BKTTruth(
            prior=rng.uniform(0.1, 0.5, n_skills),
            learn=rng.uniform(0.05, 0.3, n_skills),
            guess=rng.uniform(0.1, 0.3, n_skills),
            slip=rng.uniform(0.05, 0.2, n_skills),
        )
    records = []
    for s in range(n_students):
        known = rng.random(n_skills) < truth.prior
        order = rng.permutation(np.repeat(np.arange(n_skills), length))
        for k in order:
            p = 1.0 - truth.slip[k] if known[k] else truth.guess[k]
            correct = int(rng.random() < p)
            item = f"i{k}-{rng.integers(items_per_skill)}"
            records.append(Record(student=f"s{s}", item=item, skills=(f"k{k}",), correct=correct))
            if not known[k] and rng.random() < truth.learn[k]:
                known[k] = True
    return InteractionLog.from_records(records, merge_repeats=False), truth


def simulate_logistic(
    *,
    n_students: int = 300,
    n_skills: int = 4,
    n_items: int = 40,
    length: int = 30,
    random_state: int | None = 0,
) -> InteractionLog:
    """Responses from a logistic model with student ability, item difficulty and practice:
    each earlier answer on a skill raises the log-odds of the next one on it."""
    rng = np.random.default_rng(random_state)
    difficulty = rng.normal(0.0, 1.0, n_items)
    item_skill = rng.integers(n_skills, size=n_items)
    records = []
    for s in range(n_students):
        ability = rng.normal(0.0, 1.0)
        practice = np.zeros(n_skills)
        for j in rng.integers(n_items, size=length):
            k = item_skill[j]
            logit = ability - difficulty[j] + 0.8 * np.log1p(practice[k]) - 0.5
            correct = int(rng.random() < 1.0 / (1.0 + np.exp(-logit)))
            records.append(
                Record(student=f"s{s}", item=f"i{j}", skills=(f"k{k}",), correct=correct)
            )
            practice[k] += 1
    return InteractionLog.from_records(records, merge_repeats=False)
