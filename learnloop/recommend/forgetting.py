"""Forgetting: how likely a student still recalls a concept they practised some time ago, and
when it falls due for review.

Two models, each keeping a small JSON memory per student and concept (stored on the mastery
row, updated by every graded answer on the concept, a review's included):

- ``fsrs``: the Free Spaced Repetition Scheduler (the ``fsrs`` package): a card per concept,
  each answer a review rated Again / Hard / Good, recall ``(1 + F t / S) ^ C`` after ``t``
  days at stability ``S``. Its weights were fitted by its authors on millions of reviews; we
  fit one factor on the elapsed time to the course's own log.
- ``decay``: a time-decay term on the student model: recall ``exp(-t / tau)`` with
  ``tau = tau0 * growth ^ successes`` (each right answer makes memory last longer), both
  fitted to the log.

``select_model`` fits both on part of a timestamped log and keeps the one with the lower
log-loss on the held-out answers (``bench/forgetting.py`` reports it).
"""

from __future__ import annotations

import json
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

Memory = dict[str, Any]
"""``last`` (ISO time of the latest answer), ``n`` answers, ``ok`` right ones, ``peak``
(highest mastery seen), ``once`` (mastered at some point), plus the model's own fields."""

DAY = 86_400.0


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    t = datetime.fromisoformat(str(value))
    return t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC)


def _days(memory: Memory, now: datetime) -> float | None:
    last = _parse(memory.get("last"))
    if last is None:
        return None
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (now - last).total_seconds() / DAY)


class ForgettingModel(ABC):
    name: ClassVar[str]

    @abstractmethod
    def params(self) -> dict[str, float]: ...

    @abstractmethod
    def _update(self, memory: Memory, score: float, now: datetime) -> Memory:
        """The model's own fields after an answer (``last`` is still the previous one)."""

    @abstractmethod
    def recall_after(self, memory: Memory, days: float) -> float: ...

    @abstractmethod
    def days_until(self, memory: Memory, recall: float) -> float:
        """Days after the latest answer at which recall falls to ``recall``."""

    def update(
        self, memory: Memory, score: float, now: datetime, *, p_mastery: float, mastered: float
    ) -> Memory:
        # SQLite hands back stored times without their zone, PostgreSQL in the session's
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        last = _parse(memory.get("last"))
        if last is not None and now < last:  # a teacher's late decision on an older answer
            now = last
        new = self._update(dict(memory), score, now)
        new["last"] = now.astimezone(UTC).isoformat()
        new["n"] = int(memory.get("n", 0)) + 1
        new["ok"] = int(memory.get("ok", 0)) + (score >= 0.5)
        new["peak"] = max(float(memory.get("peak", 0.0)), p_mastery)
        new["once"] = bool(memory.get("once")) or p_mastery >= mastered
        return new

    def recall(self, memory: Memory, now: datetime) -> float | None:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        days = _days(memory, now)
        return None if days is None else self.recall_after(memory, days)

    def recall_and_due(
        self, memory: Memory, now: datetime, threshold: float
    ) -> tuple[float | None, datetime | None]:
        """``recall`` and ``due`` together, the memory read once (the recommender asks both
        for every concept on every choice)."""
        last = _parse(memory.get("last"))
        if last is None:
            return None, None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        days = max(0.0, (now - last).total_seconds() / DAY)
        wait = min(self.days_until(memory, threshold), 36_500.0)
        return self.recall_after(memory, days), last + timedelta(days=wait)

    def due(self, memory: Memory, threshold: float) -> datetime | None:
        last = _parse(memory.get("last"))
        if last is None:
            return None
        days = self.days_until(memory, threshold)
        return last + timedelta(days=min(days, 36_500.0))


class FSRSForgetting(ForgettingModel):
    """FSRS with its published default weights; ``time_scale`` stretches elapsed time (fitted:
    a concept is practised through varied items, so it is remembered unlike a flash card)."""

    name = "fsrs"

    def __init__(self, *, time_scale: float = 1.0) -> None:
        from fsrs import Scheduler

        self.time_scale = time_scale
        self._scheduler = Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())

    def params(self) -> dict[str, float]:
        return {"time_scale": self.time_scale}

    @staticmethod
    def _rating(score: float) -> Any:
        from fsrs import Rating

        if score >= 0.99:
            return Rating.Good
        return Rating.Hard if score >= 0.5 else Rating.Again

    def _update(self, memory: Memory, score: float, now: datetime) -> Memory:
        from fsrs import Card

        raw = memory.get("card")
        card = Card.from_dict(raw) if raw else Card(due=now)
        if raw and self.time_scale != 1.0 and card.last_review is not None:
            # review as if the scaled time had passed, so stability grows as the fit says
            elapsed = now - card.last_review
            card.last_review = now - elapsed * self.time_scale
        card, _ = self._scheduler.review_card(card, self._rating(score), review_datetime=now)
        memory["card"] = card.to_dict()
        return memory

    def _stability(self, memory: Memory) -> float | None:
        card = memory.get("card") or {}
        s = card.get("stability")
        if s:
            return float(s)
        if memory.get("last"):  # a memory another model wrote: as after one good review
            return float(self._scheduler.parameters[2])
        return None

    def recall_after(self, memory: Memory, days: float) -> float:
        s = self._stability(memory)
        if s is None:
            return 0.0
        decay = -self._scheduler.parameters[20]
        factor = 0.9 ** (1 / decay) - 1
        return float((1 + factor * days * self.time_scale / s) ** decay)

    def days_until(self, memory: Memory, recall: float) -> float:
        s = self._stability(memory)
        if s is None:
            return 0.0
        decay = -self._scheduler.parameters[20]
        factor = 0.9 ** (1 / decay) - 1
        return s * (recall ** (1 / decay) - 1) / factor / self.time_scale


class DecayForgetting(ForgettingModel):
    """Recall ``exp(-t / tau)``, ``tau = tau0 * growth ** successes`` days."""

    name = "decay"

    def __init__(self, *, tau0: float = 0.5, growth: float = 2.5) -> None:
        """Defaults between the fits to the simulated learners (``bench/forgetting.py``:
        tau0 0.1-0.5 days, growth 1.6-4): half a day after one right answer, about three
        days after two, eight after three."""
        self.tau0 = tau0
        self.growth = growth

    def params(self) -> dict[str, float]:
        return {"tau0": self.tau0, "growth": self.growth}

    def _update(self, memory: Memory, score: float, now: datetime) -> Memory:
        return memory

    def _tau(self, memory: Memory) -> float:
        return self.tau0 * self.growth ** min(int(memory.get("ok", 0)), 30)

    def recall_after(self, memory: Memory, days: float) -> float:
        return math.exp(-days / self._tau(memory))

    def days_until(self, memory: Memory, recall: float) -> float:
        return -math.log(max(recall, 1e-9)) * self._tau(memory)


FORGETTING: dict[str, type[ForgettingModel]] = {"fsrs": FSRSForgetting, "decay": DecayForgetting}

GRID: dict[str, dict[str, Sequence[float]]] = {
    "fsrs": {"time_scale": (0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0)},
    "decay": {
        "tau0": (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
        "growth": (1.0, 1.3, 1.6, 2.0, 2.5, 3.0, 4.0),
    },
}
"""The parameters ``fit`` tries; a grid is enough for one or two numbers and never diverges."""


@dataclass(frozen=True)
class Event:
    """One graded answer of a student on a concept, in time order within the sequence."""

    at: datetime
    score: float


TRACER = {"prior": 0.4, "learn": 0.1, "forget": 0.0, "guess": 0.2, "slip": 0.1}
"""The knowledge-tracing model the forgetting models are judged inside (BKT's parameters);
``bench/forgetting.py`` and ``learnloop kt forgetting`` pass the live model's priors."""


def predictions(
    model: ForgettingModel | None,
    sequences: Iterable[Sequence[Event]],
    *,
    tracer: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(right) for every answer that follows an earlier one on the concept, and what
    happened: a BKT over each history in which, between two answers, what was known is
    still known with the forgetting model's recall (``model=None``: no forgetting, plain
    BKT). Both models are judged by the same tracer, so only forgetting differs."""
    prm = {**TRACER, **(tracer or {}), "forget": 0.0}
    guess, slip = prm["guess"], prm["slip"]
    p_out: list[float] = []
    y: list[float] = []
    for seq in sequences:
        memory: Memory = {}
        known = prm["prior"]
        for ev in seq:
            days = _days(memory, ev.at)
            if days is not None:
                if model is not None:
                    known *= model.recall_after(memory, days)
                p_out.append(known * (1 - slip) + (1 - known) * guess)
                y.append(float(ev.score >= 0.5))
            known = _bkt_step(prm, known, ev.score)
            if model is not None:
                memory = model.update(memory, ev.score, ev.at, p_mastery=known, mastered=1.0)
            else:
                memory = {"last": ev.at.isoformat()}
    return np.asarray(p_out), np.asarray(y)


def _bkt_step(prm: dict[str, float], known: float, score: float) -> float:
    from learnloop.tracing.bkt import step

    return step(prm, known, score)


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    if len(y) == 0:
        return float("nan")
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def fit(
    name: str, sequences: Sequence[Sequence[Event]], *, tracer: dict[str, float] | None = None
) -> tuple[ForgettingModel, float]:
    """The grid point with the lowest log-loss on ``sequences``, and that loss."""
    grid = GRID[name]
    keys = list(grid)
    best: tuple[float, ForgettingModel] | None = None
    for values in np.array(np.meshgrid(*grid.values())).T.reshape(-1, len(keys)):
        model = FORGETTING[name](**{k: float(v) for k, v in zip(keys, values, strict=True)})
        loss = log_loss(*predictions(model, sequences, tracer=tracer))
        if best is None or loss < best[0]:
            best = (loss, model)
    assert best is not None
    return best[1], best[0]


@dataclass(frozen=True)
class Selection:
    chosen: str
    models: dict[str, ForgettingModel]
    train_loss: dict[str, float]
    test_loss: dict[str, float]
    test_answers: int
    no_forgetting_loss: float
    """The same tracer without forgetting, on the same held-out answers: the floor to beat."""


def select_model(
    sequences: Sequence[Sequence[Event]],
    *,
    test_share: float = 0.3,
    random_state: int = 0,
    tracer: dict[str, float] | None = None,
) -> Selection:
    """Fit every model on the training sequences (whole student-concept histories) and keep
    the one with the lowest log-loss on the held-out ones."""
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(sequences))
    cut = int(len(sequences) * (1 - test_share))
    train = [sequences[i] for i in order[:cut]]
    test = [sequences[i] for i in order[cut:]]
    models: dict[str, ForgettingModel] = {}
    train_loss: dict[str, float] = {}
    test_loss: dict[str, float] = {}
    answers = 0
    for name in FORGETTING:
        models[name], train_loss[name] = fit(name, train, tracer=tracer)
        p, y = predictions(models[name], test, tracer=tracer)
        test_loss[name] = log_loss(p, y)
        answers = len(y)
    chosen = min(test_loss, key=lambda n: (math.isnan(test_loss[n]), test_loss[n]))
    floor = log_loss(*predictions(None, test, tracer=tracer))
    return Selection(chosen, models, train_loss, test_loss, answers, floor)


def make_forgetting(name: str, params: dict[str, float] | None = None) -> ForgettingModel:
    try:
        cls = FORGETTING[name]
    except KeyError:
        from learnloop.errors import InvalidInputError

        raise InvalidInputError(
            f"unknown forgetting model {name!r}; choose one of {', '.join(FORGETTING)}"
        ) from None
    return cls(**(params or {}))


FITTED = "config.json"


def forgetting_dir(data_dir: Path) -> Path:
    """Where a forgetting model fitted to the platform's own log is saved."""
    return data_dir / "models" / "forgetting"


def save_forgetting(selection: Selection, data_dir: Path) -> Path:
    """Save the chosen model and the evidence for the choice."""
    path = forgetting_dir(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    chosen = selection.models[selection.chosen]
    config = {
        "model": selection.chosen,
        "params": chosen.params(),
        "test_log_loss": selection.test_loss,
        "train_log_loss": selection.train_loss,
        "test_answers": selection.test_answers,
        "no_forgetting_log_loss": selection.no_forgetting_loss,
        "fitted_at": datetime.now(UTC).isoformat(),
    }
    tmp = path / (FITTED + ".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path / FITTED)
    return path


_live_lock = threading.Lock()
_live: dict[tuple[Path, str], tuple[float, ForgettingModel]] = {}


def live_forgetting(data_dir: Path, default: str) -> ForgettingModel:
    """The model fitted to the platform's log if there is one (re-read when re-fitted), else
    ``default`` with its own defaults."""
    path = forgetting_dir(data_dir) / FITTED
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0
    key = (path, default)
    hit = _live.get(key)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    with _live_lock:
        if mtime < 0:
            model = make_forgetting(default)
        else:
            config = json.loads(path.read_text(encoding="utf-8"))
            model = make_forgetting(config["model"], config.get("params"))
        _live[key] = (mtime, model)
    return model
