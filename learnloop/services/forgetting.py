"""Fitting the forgetting model to the platform's own log, and rebuilding every student's
memory with it.

The log is every graded answer with its time, one sequence per student and concept (an
answer to an item of two concepts counts for both). ``recommend.forgetting.select_model``
fits FSRS and the time-decay model on most sequences and keeps the one with the lower
log-loss on the rest; the choice and the evidence are saved in the data folder, where
``progress.forgetting_for`` finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from learnloop.recommend.forgetting import (
    Event,
    ForgettingModel,
    Memory,
    Selection,
    save_forgetting,
    select_model,
)
from learnloop.services.context import Backend
from learnloop.storage.tables import AttemptRow, GradeRow, ItemConceptRow, MasteryRow
from learnloop.tracing import MASTERED

MIN_ANSWERS = 300
"""Answers that follow an earlier one on the same concept needed before a fit is trusted."""


def _graded_with_times(s: Session, user_id: int | None = None) -> Any:
    """(user, concept, submitted at, score) of every graded answer by its latest grade, for
    each concept of its item: ``services.tracing``'s log with the items' concepts."""
    from learnloop.services.tracing import _graded

    q = (
        _graded(s)
        .add_columns(ItemConceptRow.concept_id)
        .join(ItemConceptRow, ItemConceptRow.item_id == AttemptRow.item_id)
        .with_only_columns(
            AttemptRow.user_id, ItemConceptRow.concept_id, AttemptRow.submitted_at, GradeRow.score
        )
    )
    if user_id is not None:
        q = q.where(AttemptRow.user_id == user_id)
    return q


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def forgetting_log(backend: Backend) -> list[list[Event]]:
    """Every student-concept history of graded answers, in time order."""
    out: dict[tuple[int, int], list[Event]] = {}
    with backend.transaction() as s:
        for user_id, concept_id, at, score in s.execute(_graded_with_times(s)):
            out.setdefault((user_id, concept_id), []).append(Event(_utc(at), float(score)))
    return list(out.values())


@dataclass(frozen=True)
class ForgettingFit:
    selection: Selection | None
    sequences: int
    answers: int
    rebuilt: int

    def summary(self) -> str:
        if self.selection is None:
            return (
                f"not enough history to fit a forgetting model ({self.answers:,} answers in "
                f"{self.sequences:,} student-concept histories; at least {MIN_ANSWERS:,} "
                "repeated answers are needed); the default stays"
            )
        sel = self.selection
        losses = ", ".join(f"{k} {v:.4f}" for k, v in sorted(sel.test_loss.items()))
        return (
            f"kept {sel.chosen} (held-out log-loss {losses} on {sel.test_answers:,} answers); "
            f"{self.rebuilt:,} memories rebuilt with it"
        )


def fit_forgetting(backend: Backend, *, min_answers: int = MIN_ANSWERS) -> ForgettingFit:
    """Fit and keep the better forgetting model, then rebuild every memory with it."""
    log = forgetting_log(backend)
    repeated = sum(max(0, len(seq) - 1) for seq in log)
    answers = sum(len(seq) for seq in log)
    if repeated < min_answers:
        return ForgettingFit(None, len(log), answers, 0)
    from learnloop.tracing.priors import load_priors

    # judged inside the same BKT as bench/forgetting.py: the shipped priors
    selection = select_model(log, tracer=dict(load_priors().params))
    save_forgetting(selection, backend.settings.data_dir)
    rebuilt = rebuild_memories(backend, selection.models[selection.chosen])
    return ForgettingFit(selection, len(log), answers, rebuilt)


def replay(model: ForgettingModel, events: list[Event], *, p_mastery: float) -> Memory:
    memory: Memory = {}
    for ev in events:
        memory = model.update(memory, ev.score, ev.at, p_mastery=0.0, mastered=MASTERED)
    memory["peak"] = max(float(memory.get("peak", 0.0)), p_mastery)
    memory["once"] = bool(memory.get("once")) or p_mastery >= MASTERED
    return memory


def rebuild_memories(backend: Backend, model: ForgettingModel) -> int:
    """Replay each student's graded answers through ``model`` into their mastery rows'
    memory (one transaction per student), keeping what the rows knew of peaks."""
    with backend.transaction() as s:
        users = list(s.scalars(select(MasteryRow.user_id).distinct().order_by(MasteryRow.user_id)))
    written = 0
    for user_id in users:
        with backend.transaction() as s:
            events: dict[int, list[Event]] = {}
            for _, concept_id, at, score in s.execute(_graded_with_times(s, user_id)):
                events.setdefault(concept_id, []).append(Event(_utc(at), float(score)))
            rows = s.execute(
                select(MasteryRow.concept_id, MasteryRow.p_mastery, MasteryRow.memory).where(
                    MasteryRow.user_id == user_id
                )
            ).all()
            for concept_id, p, old in rows:
                memory = replay(model, events.get(concept_id, []), p_mastery=p)
                old = old or {}
                memory["peak"] = max(memory["peak"], float(old.get("peak", 0.0)))
                memory["once"] = memory["once"] or bool(old.get("once"))
                s.execute(
                    update(MasteryRow)
                    .where(MasteryRow.user_id == user_id, MasteryRow.concept_id == concept_id)
                    .values(memory=memory)
                )
                written += 1
    return written
