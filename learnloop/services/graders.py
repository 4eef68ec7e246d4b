"""The registry of learned free-text graders, and the models the answer loop has loaded.

A model is a directory under ``data_dir`` (``graders/<course>/<name>/``), registered in
``grader_models``. A course grades with its active model, else with the active default
(a model registered without a course). Loading a model takes from milliseconds (TF-IDF) to
seconds (a fine-tuned encoder), so each process keeps the models it has loaded; it asks the
registry which model is active on every free-text answer (one indexed query), and a model
activated since then has another id, so the next answer loads and uses it.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnloop.errors import ConflictError, InvalidInputError, LearnloopError, NotFoundError
from learnloop.grading.freetext import FreeTextModel
from learnloop.grading.learned import ALL_GRADERS, CROSS_ENCODER, GRADERS, load_any_grader
from learnloop.storage.tables import CourseRow, GraderModelRow, utcnow

log = logging.getLogger(__name__)

MODELS_DIR = "graders"
"""Where models live inside ``data_dir``."""
CACHE_SIZE = 8
"""Loaded models kept per process; an encoder holds about 90 MB."""


KIND_OF_CONFIG = {"cross-encoder-grader": CROSS_ENCODER, **{name: name for name in GRADERS}}
"""The registry's kind (one of ``ALL_GRADERS``) for the ``model`` a directory's
``config.json`` names."""


def detect_kind(path: Path) -> str:
    """The kind of the saved grader in ``path``, from its ``config.json``."""
    config = path / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(
            f"{path} is not a saved grader: it has no config.json (save one with "
            "grader.save(path), or train one with: learnloop grader train --out DIR)"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read {config}: {exc}") from None
    model = data.get("model") if isinstance(data, dict) else None
    if model not in KIND_OF_CONFIG:
        raise InvalidInputError(
            f"{config} names the model {model!r}, which learnloop cannot grade with; "
            f"known: {', '.join(KIND_OF_CONFIG)}"
        )
    return KIND_OF_CONFIG[model]


@dataclass(frozen=True)
class ActiveModel:
    """A registry entry as the answer loop needs it, detached from any session."""

    id: int
    course_id: int | None
    name: str
    kind: str
    path: str
    label_set: str | None

    @classmethod
    def of(cls, row: GraderModelRow) -> ActiveModel:
        return cls(row.id, row.course_id, row.name, row.kind, row.path, row.label_set)


_ACTIVE = select(
    GraderModelRow.id,
    GraderModelRow.course_id,
    GraderModelRow.name,
    GraderModelRow.kind,
    GraderModelRow.path,
    GraderModelRow.label_set,
)


def active_model(s: Session, *, course_id: int) -> ActiveModel | None:
    """The course's active model, else the active default, else None."""
    rows = sorted(
        s.execute(
            _ACTIVE.where(
                GraderModelRow.active.is_(True),
                or_(GraderModelRow.course_id == course_id, GraderModelRow.course_id.is_(None)),
            )
        ).all(),
        key=lambda r: r.course_id is None,  # the course's own first
    )
    return ActiveModel(*rows[0]) if rows else None


# --- loaded models ------------------------------------------------------------------------

_cache: OrderedDict[tuple[int, str], FreeTextModel] = OrderedDict()
_cache_lock = threading.Lock()
_load_lock = threading.Lock()


def load_model(data_dir: Path, model: ActiveModel) -> FreeTextModel:
    """The fitted grader of a registry entry, loaded once per process.

    Keyed by the entry's id and absolute directory: re-registering a directory makes a new
    entry, so a model rewritten in place is read again, and two databases in one process
    (tests) never share a model by accident.
    """
    path = (data_dir / model.path).resolve()
    key = (model.id, str(path))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    with _load_lock:  # one load at a time: two answers arriving together load it once
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        if model.kind not in ALL_GRADERS:
            raise InvalidInputError(
                f"grader model #{model.id} ({model.name}) is of kind {model.kind!r}, which "
                f"this learnloop cannot load; known: {', '.join(ALL_GRADERS)}"
            )
        if not path.is_dir():
            raise InvalidInputError(
                f"grader model #{model.id} ({model.name}) should be at {path}, which does not "
                "exist; restore the data folder or register another model with: learnloop "
                "grader register"
            )
        loaded = load_any_grader(path)
        with _cache_lock:
            _cache[key] = loaded
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return loaded


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def grader_for(
    s: Session, *, course_id: int, data_dir: Path
) -> tuple[ActiveModel, FreeTextModel] | None:
    """The model that grades the course's free-text answers, loaded; None if there is none
    or it cannot be loaded (logged): the answer then waits for a teacher rather than fail."""
    model = active_model(s, course_id=course_id)
    if model is None:
        return None
    try:
        return model, load_model(data_dir, model)
    except (LearnloopError, OSError, ValueError, KeyError) as exc:
        log.error("cannot load grader model #%s (%s): %s", model.id, model.path, exc)
        return None


# --- the registry -------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "model"


def new_model_dir(data_dir: Path, *, scope: str, name: str) -> Path:
    """A fresh directory for a model: ``graders/<scope>/<UTC time>-<name>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = data_dir / MODELS_DIR / _slug(scope) / f"{stamp}-{_slug(name)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def relative_to_data(data_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        raise InvalidInputError(
            f"{path} is outside the data folder {data_dir}; models are kept inside it"
        ) from None


def activate(s: Session, row: GraderModelRow) -> None:
    """Make ``row`` its course's (or the default) active model, and no other."""
    scope = (
        GraderModelRow.course_id.is_(None)
        if row.course_id is None
        else GraderModelRow.course_id == row.course_id
    )
    s.execute(
        update(GraderModelRow)
        .where(scope, GraderModelRow.active.is_(True), GraderModelRow.id != row.id)
        .values(active=False)
    )
    row.active = True
    try:
        s.flush()
    except IntegrityError as exc:
        raise ConflictError(
            "another grader model was activated for this course at the same moment; "
            "list the models and activate the one you want again"
        ) from exc


def add_model(
    s: Session,
    *,
    course: CourseRow | None,
    name: str,
    kind: str,
    path: str,
    label_set: str | None,
    metrics: dict[str, Any],
    active: bool,
    created_by: int | None,
) -> GraderModelRow:
    row = GraderModelRow(
        course_id=course.id if course else None,
        name=name[:200],
        kind=kind,
        path=path,
        label_set=label_set,
        metrics=metrics,
        active=False,
        created_by_id=created_by,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    if active:
        activate(s, row)
    return row


def list_models(s: Session, *, course: CourseRow | None) -> list[GraderModelRow]:
    """A course's models (newest first), or the defaults for ``course=None``."""
    scope = (
        GraderModelRow.course_id.is_(None)
        if course is None
        else GraderModelRow.course_id == course.id
    )
    return list(s.scalars(select(GraderModelRow).where(scope).order_by(GraderModelRow.id.desc())))


def model_info(model: FreeTextModel) -> dict[str, Any]:
    info = getattr(model, "info_", {})
    return dict(info) if isinstance(info, dict) else {}


def import_model(
    s: Session,
    *,
    data_dir: Path,
    course: CourseRow | None,
    source: Path,
    name: str | None = None,
    created_by: int | None = None,
) -> GraderModelRow:
    """Register the saved grader in ``source`` and make it active.

    The directory is loaded first, so a broken or unknown model is refused before any
    answer meets it; one outside the data folder is copied in, so that backing up the data
    folder backs up every model the registry names.
    """
    source = source.expanduser()
    if not source.is_dir():
        raise NotFoundError(f"no model directory {source}")
    kind = detect_kind(source)
    model = load_any_grader(source)
    try:
        rel = relative_to_data(data_dir, source)
    except InvalidInputError:
        target = new_model_dir(data_dir, scope=course.key if course else "default", name=kind)
        shutil.copytree(source, target)
        rel = relative_to_data(data_dir, target)
    info = model_info(model)
    metrics = {
        "source": str(source),
        "validation": info.get("valid_metrics", {}),
        "train_examples": info.get("train_examples", info.get("examples")),
    }
    return add_model(
        s,
        course=course,
        name=name or source.name,
        kind=kind,
        path=rel,
        label_set=getattr(model, "label_set_", None),
        metrics=metrics,
        active=True,
        created_by=created_by,
    )


def get_model(s: Session, model_id: int) -> GraderModelRow:
    row = s.get(GraderModelRow, model_id)
    if row is None:
        raise NotFoundError(f"no grader model with id {model_id}")
    return row
