"""Re-training a course's free-text grader on its teachers' decisions, and keeping the better.

The loop the product promises: uncertain grades go to teachers, their confirmations and
overrides (``grading_labels``) become training data, and the next model learns from them.
A new model can be worse than the one in use (few labels, an unlucky split), so it replaces
the active model only if it is not worse on the same held-out answers:

- held out are a share of the teachers' labels, chosen by a stable hash of the answer, so a
  label held out once is held out in every later retraining and no model is ever measured on
  an answer it was trained on; plus the test set recorded with the active model, if any;
- trained on is the training set recorded with the active model (``data/train.jsonl`` in
  its directory, or ``base_data``) plus the other teachers' labels;
- both models are scored on what a student would see, the verdict (macro-F1, then
  accuracy), so a TF-IDF model and a fine-tuned encoder, or a 2-way and a 3-way model, are
  compared on equal terms.

The new model is saved and registered either way, with both scores and the reason it was or
was not activated, so a teacher can see why a retraining changed nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.domain import ItemType, pick
from learnloop.errors import InvalidInputError, LearnloopError, NotFoundError
from learnloop.grading.freetext import FreeTextModel, label_verdict, predict, score_verdict
from learnloop.grading.learned import (
    ALL_GRADERS,
    CROSS_ENCODER,
    GRADERS,
    Grader,
    make_any_grader,
)
from learnloop.services.context import Backend
from learnloop.services.graders import (
    KIND_OF_CONFIG,
    ActiveModel,
    active_model,
    add_model,
    load_model,
    new_model_dir,
    relative_to_data,
)
from learnloop.storage.tables import CourseRow, GradingLabelRow, ItemRow
from learnloop.training.examples import LABEL_SETS, GradingDataset, GradingExample, convert_label
from learnloop.training.metrics import accuracy, macro_f1
from learnloop.training.readers import read_table

Progress = Callable[[float, str], None]

HOLDOUT = 0.25
"""Share of the teachers' labels kept for measuring, never for training."""
DATA_DIR = "data"
TRAIN_FILE = "train.jsonl"
TEST_FILE = "test.jsonl"
MIN_FINETUNE = 20
"""Fewer training answers than this are too few to fine-tune an encoder on (it learns them
by heart); an unspecified kind then falls back to TF-IDF."""
TEACHER_LABELS = {"correct": "correct", "partially_correct": "incorrect", "incorrect": "incorrect"}
"""A teacher's verdict as a 2- or 3-way label: a partly right answer is not ``correct``
(SemEval folds ``partially_correct_incomplete`` into ``incorrect`` the same way)."""


@dataclass(frozen=True)
class RetrainReport:
    course_id: str
    kept: str
    """``new`` (the new model is active now) or ``current`` (the active one stays)."""
    reason: str
    model_id: int
    """The new model's registry id, active or not."""
    current_model_id: int | None
    kind: str
    path: str
    label_set: str | None
    train_examples: int
    teacher_labels: int
    heldout_examples: int
    new_scores: dict[str, float] | None
    current_scores: dict[str, float] | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return f"kept the {self.kept} model: {self.reason}"


def _noop(_fraction: float, _message: str) -> None:
    return None


def _stable_share(course_key: str, attempt_id: int) -> float:
    digest = hashlib.sha256(f"{course_key}:{attempt_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


@dataclass(frozen=True)
class _Label:
    attempt_id: int
    share: float
    example: GradingExample


def teacher_examples(s: Session, *, course: CourseRow, label_set: str | None) -> list[_Label]:
    """The teachers' latest decision on each free-text answer of the course, as examples in
    ``label_set``'s terms (``None``: scores), in the answer's language."""
    rows = s.execute(
        select(GradingLabelRow, ItemRow)
        .join(ItemRow, ItemRow.id == GradingLabelRow.item_id)
        .where(ItemRow.course_id == course.id, ItemRow.type == ItemType.FREE_TEXT.value)
        .order_by(GradingLabelRow.id)
    ).all()
    latest: dict[int, tuple[GradingLabelRow, ItemRow]] = {}
    for label, item in rows:
        latest[label.attempt_id] = (label, item)
    out = []
    for attempt_id, (label, item) in sorted(latest.items()):
        lang = label.language
        references = tuple(r for r in (pick(ref, lang) for ref in item.reference_answers) if r)
        if not references or not label.answer.strip():
            continue
        if label_set is None:
            target: dict[str, Any] = {"score": label.score}
        else:
            target = {"label": convert_label(TEACHER_LABELS[label.label], label_set)}
        example = GradingExample(
            question_id=item.key,
            question=pick(item.prompt, lang),
            references=references,
            answer=label.answer,
            id=f"label-{label.id}",
            language=lang,
            source=f"grading_labels #{label.id}",
            **target,
        )
        out.append(_Label(attempt_id, _stable_share(course.key, attempt_id), example))
    return out


def split_labels(labels: list[_Label], share: float) -> tuple[list[_Label], list[_Label]]:
    """(train, held out) by each answer's stable hash; with two labels or more, at least one
    of each, so there is always something to learn from and to measure on."""
    held = [x for x in labels if x.share < share]
    train = [x for x in labels if x.share >= share]
    if len(labels) >= 2 and not held:
        first = min(train, key=lambda x: x.share)
        held, train = [first], [x for x in train if x is not first]
    if len(labels) >= 2 and not train:
        last = max(held, key=lambda x: x.share)
        train, held = [last], [x for x in held if x is not last]
    return train, held


# --- recorded data ------------------------------------------------------------------------


def write_dataset(path: Path, data: GradingDataset) -> None:
    """``data`` as JSONL that ``training.readers.read_table`` reads back unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for ex in data:
            row: dict[str, Any] = {
                "id": ex.id,
                "question_id": ex.question_id,
                "question": ex.question,
                "reference": list(ex.references),
                "answer": ex.answer,
                "language": ex.language,
            }
            if data.label_set is not None and ex.label is not None:
                row["label"] = ex.label
            if ex.score is not None:
                row["score"] = ex.score
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def recorded_data(model_dir: Path, name: str, label_set: str | None) -> GradingDataset | None:
    path = model_dir / DATA_DIR / name
    if not path.is_file() or path.stat().st_size == 0:
        return None
    return read_table(path, fmt="jsonl", label_set=label_set)


def _in_label_set(data: GradingDataset | None, label_set: str | None) -> GradingDataset | None:
    if data is None or data.label_set == label_set:
        return data
    if label_set is None:
        raise InvalidInputError(
            f"the recorded data {data.name} is labelled ({data.label_set}) but the grader "
            "predicts scores; retrain from scored data"
        )
    return data.with_label_set(label_set)


# --- measuring ----------------------------------------------------------------------------


def true_verdict(example: GradingExample) -> str:
    if example.label is not None:
        return label_verdict(example.label).value
    assert example.score is not None
    return score_verdict(example.score).value


def verdict_scores(model: FreeTextModel, examples: Sequence[GradingExample]) -> dict[str, float]:
    """Macro-F1 and accuracy of the model's verdicts on ``examples``."""
    truth = [true_verdict(ex) for ex in examples]
    guess = [p.verdict.value for p in predict(model, list(examples))]
    labels = sorted(set(truth) | set(guess))
    return {
        "macro_f1": round(macro_f1(truth, guess, labels), 4),
        "accuracy": round(accuracy(truth, guess), 4),
        "examples": float(len(examples)),
    }


def _not_worse(new: dict[str, float], current: dict[str, float]) -> bool:
    return (new["macro_f1"], new["accuracy"]) >= (current["macro_f1"], current["accuracy"])


# --- fitting ------------------------------------------------------------------------------


def torch_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


def choose_kind(current: ActiveModel | None, kind: str | None, answers: int) -> str:
    """Fine-tune an encoder unless the current model is TF-IDF-like, torch is missing, or
    there are too few answers to fine-tune on."""
    if kind is not None:
        if kind not in ALL_GRADERS:
            raise InvalidInputError(
                f"unknown grader kind {kind!r}; choose one of {', '.join(ALL_GRADERS)}"
            )
        if kind == CROSS_ENCODER and answers < MIN_FINETUNE:
            raise InvalidInputError(
                f"{answers} training answers are too few to fine-tune an encoder on (at least "
                f"{MIN_FINETUNE}); train a tfidf grader, or let teachers decide more answers"
            )
        return kind
    if current is not None and current.kind in GRADERS:
        return current.kind
    return CROSS_ENCODER if torch_available() and answers >= MIN_FINETUNE else "tfidf"


def _fit(
    kind: str,
    train: GradingDataset,
    *,
    current: FreeTextModel | None,
    current_dir: Path | None,
    params: dict[str, Any],
) -> Grader:
    """A new model of ``kind`` on ``train``, starting from the current model's settings (and
    for an encoder from its weights) when it is of the same kind."""
    same_kind = current is not None and KIND_OF_CONFIG.get(getattr(current, "name", "")) == kind
    get_params = getattr(current, "get_params", None) if same_kind else None
    base: dict[str, Any] = dict(get_params()) if callable(get_params) else {}
    if kind == CROSS_ENCODER:
        if same_kind and current_dir is not None:
            base["encoder"] = str(current_dir)
        base["verbose"] = False
    return make_any_grader(kind, **{**base, **params}).fit(train)


# --- the use case -------------------------------------------------------------------------


def retrain_grader(
    backend: Backend,
    course: str,
    *,
    base_data: GradingDataset | None = None,
    base_test: GradingDataset | None = None,
    kind: str | None = None,
    params: dict[str, Any] | None = None,
    holdout: float = HOLDOUT,
    created_by: int | None = None,
    progress: Progress | None = None,
) -> RetrainReport:
    """Train a new grader for ``course`` and activate it if it is not worse than the active
    one on the same held-out answers (see the module docstring)."""
    tick = progress or _noop
    data_dir = backend.settings.data_dir
    if not 0 < holdout < 1:
        raise InvalidInputError(f"holdout must be between 0 and 1, not {holdout}")
    tick(0.02, "reading the teachers' labels")
    with backend.transaction() as s:
        row = s.scalar(select(CourseRow).where(CourseRow.key == course))
        if row is None:
            raise NotFoundError(f"no course with id {course!r}")
        s.expunge(row)
        current = active_model(s, course_id=row.id)

    current_model: FreeTextModel | None = None
    current_dir: Path | None = None
    unloadable = ""
    if current is not None:
        current_dir = data_dir / current.path
        try:
            current_model = load_model(data_dir, current)
        except (LearnloopError, OSError, ValueError) as exc:
            unloadable = f"the active model #{current.id} cannot be loaded here ({exc})"

    label_set = _label_set(base_data, current, current_model)
    if current_dir is not None and base_data is None:
        base_data = recorded_data(current_dir, TRAIN_FILE, label_set)
    if current_dir is not None and base_test is None:
        base_test = recorded_data(current_dir, TEST_FILE, label_set)
    base_data, base_test = _in_label_set(base_data, label_set), _in_label_set(base_test, label_set)

    with backend.transaction() as s:
        labels = teacher_examples(s, course=row, label_set=label_set)
    train_labels, held_labels = split_labels(labels, holdout)
    train = GradingDataset(
        [*(base_data or []), *(x.example for x in train_labels)],
        label_set=label_set,
        name=f"{course} teachers' labels" + (f" + {base_data.name}" if base_data else ""),
    )
    heldout = [*(base_test or []), *(x.example for x in held_labels)]
    if len(train) == 0:
        raise InvalidInputError(
            f"there is nothing to train the grader of course {course!r} on: teachers have "
            "decided no free-text answer of it yet and no training data is recorded with its "
            "model; review answers first (GET /api/v1/reviews) or pass base data"
        )

    chosen = choose_kind(current, kind, len(train))
    tick(0.1, f"fitting a {chosen} grader on {len(train)} answers")
    try:
        model = _fit(
            chosen,
            train,
            current=current_model,
            current_dir=current_dir,
            params=dict(params or {}),
        )
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"cannot train the grader of course {course!r}: {exc.message}", details=exc.details
        ) from exc

    tick(0.8, f"measuring on {len(heldout)} held-out answers")
    new_scores = verdict_scores(model, heldout) if heldout else None
    current_scores = (
        verdict_scores(current_model, heldout) if heldout and current_model is not None else None
    )
    kept, reason = _decide(current, unloadable, new_scores, current_scores, len(heldout))

    tick(0.9, "saving the model")
    path = new_model_dir(data_dir, scope=course, name=chosen)
    model.save(path)
    if base_data is not None and len(base_data):
        write_dataset(path / DATA_DIR / TRAIN_FILE, base_data)
    if base_test is not None and len(base_test):
        write_dataset(path / DATA_DIR / TEST_FILE, base_test)
    rel = relative_to_data(data_dir, path)

    with backend.transaction() as s:
        now_active = active_model(s, course_id=row.id)
        if kept == "new" and (now_active.id if now_active else None) != (
            current.id if current else None
        ):
            kept, reason = (
                "current",
                "another model became active while this one trained; this one was kept "
                "inactive (activate it with learnloop grader register)",
            )
        course_row = s.get(CourseRow, row.id)
        if course_row is None:
            raise NotFoundError(f"the course {course!r} was deleted while its grader trained")
        entry = add_model(
            s,
            course=course_row,
            name=f"{course} {chosen} ({len(train)} answers)",
            kind=chosen,
            path=rel,
            label_set=label_set,
            metrics={
                "heldout": new_scores,
                "compared_with": {"model_id": current.id, "heldout": current_scores}
                if current
                else None,
                "heldout_examples": len(heldout),
                "train_examples": len(train),
                "teacher_labels": len(labels),
                "teacher_labels_heldout": len(held_labels),
                "kept": kept,
                "reason": reason,
            },
            active=kept == "new",
            created_by=created_by,
        )
        model_id = entry.id
    tick(1.0, reason)
    return RetrainReport(
        course_id=course,
        kept=kept,
        reason=reason,
        model_id=model_id,
        current_model_id=current.id if current else None,
        kind=chosen,
        path=rel,
        label_set=label_set,
        train_examples=len(train),
        teacher_labels=len(labels),
        heldout_examples=len(heldout),
        new_scores=new_scores,
        current_scores=current_scores,
    )


def _label_set(
    base: GradingDataset | None, current: ActiveModel | None, model: FreeTextModel | None
) -> str | None:
    """The label set to train in: the base data's or the current model's, else 2-way; a
    5-way set becomes 3-way, since a teacher's "incorrect" does not say which of the 5-way
    kinds of wrong an answer is."""
    if base is not None:
        found = base.label_set
    elif current is not None:
        found = current.label_set if model is None else getattr(model, "label_set_", None)
    else:
        found = "2way"
    if found == "5way":
        return "3way"
    if found is not None and found not in LABEL_SETS:
        return "2way"
    return found


def _decide(
    current: ActiveModel | None,
    unloadable: str,
    new: dict[str, float] | None,
    old: dict[str, float] | None,
    n: int,
) -> tuple[str, str]:
    if current is None:
        return "new", "the course had no active grader to compare with"
    if unloadable:
        return "new", f"{unloadable}, so there is nothing to compare with"
    if new is None or old is None:
        return (
            "current",
            "there are no held-out answers to compare the models on; teachers need to "
            "decide more answers in the review queue",
        )
    detail = (
        f"macro-F1 {new['macro_f1']:.3f} (accuracy {new['accuracy']:.3f}) against the "
        f"active model's {old['macro_f1']:.3f} ({old['accuracy']:.3f}) on the same {n} "
        "held-out answers"
    )
    if _not_worse(new, old):
        return "new", f"the new model is not worse: {detail}"
    return "current", f"the new model is worse: {detail}; the active model stays"
