"""Free-text graders for the demo courses, trained from labelled sample answers shipped with them.

Without a model, a free-text answer in the demo would wait for a teacher. Each demo course with
a file ``demo/grader-data/<course>.jsonl`` (answers in English and Chinese, labelled correct or
incorrect) gets a TF-IDF grader trained on three quarters of it and measured on the rest:
a share of every item's answers in each language and label, chosen by a stable hash of the
answer's id, so the held-out answers are the same on every machine and the model never saw them.
The model is saved with both parts (``data/train.jsonl``, ``data/test.jsonl``), so a teacher's
retraining builds on the sample answers and is measured on the same held-out ones.

Re-running the demo trains again only when the data file or the recipe changed (a hash of both
is kept in the model's registry metrics). A new demo model replaces an active demo model, but
never a model a teacher trained or registered.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.errors import NotFoundError
from learnloop.grading.learned import TfidfGrader
from learnloop.grading.learned.base import CONFIG
from learnloop.services.context import Backend
from learnloop.services.graders import MODELS_DIR, activate, add_model
from learnloop.services.retrain import (
    DATA_DIR,
    TEST_FILE,
    TRAIN_FILE,
    verdict_scores,
    write_dataset,
)
from learnloop.storage.tables import CourseRow, GraderModelRow
from learnloop.training.examples import GradingDataset, GradingExample
from learnloop.training.readers import read_table

DEMO_GRADER_DATA = Path(__file__).resolve().parent.parent / "demo" / "grader-data"
HOLDOUT = 0.25
"""Share of each item's answers (per language and label) kept for measuring."""
KIND = "tfidf"
PARAMS: dict[str, Any] = {}
"""TF-IDF defaults: on 5-fold cross-validation of the training part, higher ``C`` or balanced
class weights did no better and made more wrong grades confident enough to be final."""
RECIPE = {"kind": KIND, "params": PARAMS, "holdout": HOLDOUT, "split": 1}
"""Part of the hash: changing how the model is made retrains it like new data does."""
DIGEST_KEY = "demo_data_sha256"
"""The registry metric that marks a demo model and says what it was trained from."""


def demo_data_file(course_key: str) -> Path | None:
    path = DEMO_GRADER_DATA / f"{course_key}.jsonl"
    return path if path.is_file() else None


def data_digest(path: Path) -> str:
    digest = hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()


def _share(example_id: str) -> str:
    return hashlib.sha256(f"demo-holdout:{example_id}".encode()).hexdigest()


def split_heldout(
    examples: Sequence[GradingExample], share: float = HOLDOUT
) -> tuple[list[GradingExample], list[GradingExample]]:
    """(train, held out): of the answers to each item in each language with each label, the
    ``share`` (at least one of two or more) with the lowest hash of their id is held out, so
    every item keeps right and wrong answers in both parts."""
    groups: dict[tuple[str, str, str | None], list[GradingExample]] = {}
    for ex in examples:
        groups.setdefault((ex.question_id, ex.language, ex.label), []).append(ex)
    train: list[GradingExample] = []
    held: list[GradingExample] = []
    for group in groups.values():
        ordered = sorted(group, key=lambda ex: _share(ex.id))
        k = max(1, round(len(ordered) * share)) if len(ordered) >= 2 else 0
        held += ordered[:k]
        train += ordered[k:]
    return train, held


@dataclass(frozen=True)
class DemoGraderReport:
    course_id: str
    model_id: int
    trained: bool
    """False when a model of the same data and recipe was already registered."""
    active: bool
    metrics: dict[str, Any]

    def summary(self) -> str:
        m = self.metrics
        held = m.get("heldout") or {}
        n = int(m.get("heldout_examples", 0))
        right = round(float(held.get("accuracy", 0.0)) * n)
        measured = (
            f"held-out accuracy {held.get('accuracy', 0.0):.2f} ({right}/{n} answers it never "
            f"saw), macro-F1 {held.get('macro_f1', 0.0):.2f}"
        )
        state = (
            "active"
            if self.active
            else "not activated: a grader a teacher trained or registered is active"
        )
        if not self.trained:
            return f"grader for {self.course_id!r} up to date (model #{self.model_id}, {measured})"
        return (
            f"grader for {self.course_id!r} trained: {KIND} on {m.get('train_examples')} sample "
            f"answers ({', '.join(m.get('languages', []))}); {measured}; {state}"
        )


def _course_models(s: Session, course_id: int) -> list[GraderModelRow]:
    return list(s.scalars(select(GraderModelRow).where(GraderModelRow.course_id == course_id)))


def _is_demo(row: GraderModelRow) -> bool:
    return isinstance(row.metrics, dict) and DIGEST_KEY in row.metrics


def _may_activate(models: list[GraderModelRow]) -> bool:
    """Whether the demo model may be the course's active one: no model of the course is active,
    or a demo model is."""
    active = [m for m in models if m.active]
    return not active or all(_is_demo(m) for m in active)


def train_demo_grader(data_file: Path, target: Path) -> dict[str, Any]:
    """Fit a grader on the training part of ``data_file``, save it in ``target`` with both
    parts, and return its registry metrics."""
    data = read_table(data_file, fmt="jsonl", label_set="2way")
    train, held = split_heldout(data.examples)
    train_set = GradingDataset(train, label_set="2way", name=f"{data.name} (train)")
    test_set = GradingDataset(held, label_set="2way", name=f"{data.name} (held out)")
    model = TfidfGrader(**PARAMS).fit(train_set)
    languages = sorted({ex.language for ex in data})
    by_language = {
        lang: verdict_scores(model, [ex for ex in held if ex.language == lang])
        for lang in languages
    }
    if target.exists():  # left by a run that stopped before registering it
        shutil.rmtree(target)
    model.save(target)
    write_dataset(target / DATA_DIR / TRAIN_FILE, train_set)
    write_dataset(target / DATA_DIR / TEST_FILE, test_set)
    return {
        "source": "demo",
        DIGEST_KEY: data_digest(data_file),
        "data_file": data_file.name,
        "languages": languages,
        "train_examples": len(train),
        "heldout_examples": len(held),
        "heldout": verdict_scores(model, held),
        "heldout_by_language": by_language,
        "questions": len({ex.question_id for ex in data}),
    }


def ensure_demo_grader(backend: Backend, *, course: str, data_file: Path) -> DemoGraderReport:
    """The course's demo grader, trained and registered if no model of the same data exists.

    A registered model whose folder has gone (a data folder restored without it) is trained
    again into the same folder, under the same registry entry.
    """
    data_dir = backend.settings.data_dir
    digest = data_digest(data_file)
    with backend.transaction() as s:
        row = s.scalar(select(CourseRow).where(CourseRow.key == course))
        if row is None:
            raise NotFoundError(f"no course with id {course!r}; import the demo courses first")
        course_id = row.id
        models = _course_models(s, course_id)
        same = next((m for m in models if _is_demo(m) and m.metrics[DIGEST_KEY] == digest), None)
        if same is not None and (data_dir / same.path / CONFIG).is_file():
            if not same.active and _may_activate(models):
                activate(s, same)
            return DemoGraderReport(course, same.id, False, same.active, dict(same.metrics))
        same_id = same.id if same is not None else None
        path = same.path if same is not None else f"{MODELS_DIR}/{course}/demo-{KIND}-{digest[:12]}"

    metrics = train_demo_grader(data_file, data_dir / path)

    with backend.transaction() as s:
        models = _course_models(s, course_id)
        may_activate = _may_activate(models)
        entry = next((m for m in models if m.id == same_id), None)
        if entry is None:
            course_row = s.get(CourseRow, course_id)
            if course_row is None:
                raise NotFoundError(f"the course {course!r} was deleted while its grader trained")
            entry = add_model(
                s,
                course=course_row,
                name=f"{course} demo {KIND} ({metrics['train_examples']} sample answers)",
                kind=KIND,
                path=path,
                label_set="2way",
                metrics=metrics,
                active=may_activate,
                created_by=None,
            )
        elif may_activate:
            activate(s, entry)
        return DemoGraderReport(course, entry.id, True, entry.active, metrics)
