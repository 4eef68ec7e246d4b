"""Course content as the answer loop reads it, kept in memory between requests.

Every answer needs its item's answer specification, the item's concepts, and the course's
concept graph to suggest what comes next; reading and validating those anew for each answer
was most of the cost of answering. Content changes only when a course pack is imported, and
an import always moves the course's ``updated_at`` (``courses.import_pack``), so an entry is
used only while the course row the request has just read carries the same ``updated_at``.
Server processes each keep their own copy; none can serve content older than the course row
it checked. The cache is per engine, so two databases in one process never share entries.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from learnloop.domain import Item
from learnloop.recommend.graph import ConceptGraph
from learnloop.recommend.model import CourseModel, ItemInfo
from learnloop.storage.tables import (
    ConceptRow,
    CourseRow,
    ItemConceptRow,
    ItemRow,
    PrerequisiteRow,
)

ConceptRef = tuple[int, str]
"""(database id, key)"""


class CourseVersion(Protocol):
    """A course and the version of its content: a ``CourseRow`` or an ``access.CourseRef``."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...


def item_from_row(row: ItemRow, concept_keys: list[str]) -> Item:
    return Item.model_validate(
        {
            "id": row.key,
            "type": row.type,
            "prompt": row.prompt,
            "concepts": concept_keys,
            "answer": row.answer,
            "reference_answers": row.reference_answers,
            "rubric": row.rubric,
            "hints": row.hints,
            "explanation": row.explanation,
            "difficulty": row.difficulty,
        }
    )


@dataclass(frozen=True)
class ItemContent:
    id: int
    key: str
    row: ItemRow = field(repr=False)
    """Detached from any session; read it, never change it."""
    concepts: tuple[ConceptRef, ...]
    """In the order the course pack lists them, retired ones included."""

    @cached_property
    def item(self) -> Item:
        """The validated item, built on first use (a broken item only breaks itself)."""
        return item_from_row(self.row, [key for _, key in self.concepts])


@dataclass(frozen=True)
class CourseContent:
    course_id: int
    course_key: str
    updated_at: datetime
    concepts: tuple[ConceptRef, ...]
    """Current concepts in course order."""
    prerequisites: dict[int, frozenset[int]]
    items: dict[str, ItemContent]
    """Current items by key."""
    items_of_concept: dict[int, tuple[ConceptRef, ...]]
    """Current items practising each concept, (id, key) in course order."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The course's settings (``review_threshold``...), which also change only on import."""
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """Every concept's name by key, in each language (retired ones included)."""

    @cached_property
    def graph(self) -> ConceptGraph:
        """The concept graph by concept key, built once per course version."""
        key_of = dict(self.concepts)
        return ConceptGraph(
            [key for _, key in self.concepts],
            {
                key_of[c]: [key_of[p] for p in pre if p in key_of]
                for c, pre in self.prerequisites.items()
                if c in key_of
            },
        )

    @cached_property
    def model(self) -> CourseModel:
        """The course as the recommender's policies read it."""
        current = {cid for cid, _ in self.concepts}
        items = [
            ItemInfo(
                key=it.key,
                concepts=tuple(key for cid, key in it.concepts if cid in current),
                difficulty=float(it.row.difficulty),
                type=it.row.type,
            )
            for it in self.items.values()
        ]
        return CourseModel.build(self.key, self.graph, [i for i in items if i.concepts])

    @property
    def key(self) -> str:
        return self.course_key

    @cached_property
    def key_by_id(self) -> dict[int, str]:
        """Current items' keys by database id."""
        return {it.id: it.key for it in self.items.values()}

    @cached_property
    def free_text(self) -> frozenset[str]:
        """Keys of the free-text items, which only a learned grader or a teacher grades."""
        return frozenset(it.key for it in self.items.values() if it.row.type == "free_text")


_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Engine, dict[int, CourseContent]] = weakref.WeakKeyDictionary()


def course_content(s: Session, course: CourseVersion) -> CourseContent:
    """The content of ``course`` as of the ``updated_at`` its row carries."""
    engine = s.get_bind()
    assert isinstance(engine, Engine)
    with _lock:
        entries = _cache.setdefault(engine, {})
        hit = entries.get(course.id)
    if hit is not None and hit.updated_at == course.updated_at:
        return hit
    content = _load(s, course)
    with _lock:
        entries[course.id] = content
    return content


def _load(s: Session, course: CourseVersion) -> CourseContent:
    settings = s.scalar(select(CourseRow.settings).where(CourseRow.id == course.id)) or {}
    concepts = s.execute(
        select(ConceptRow.id, ConceptRow.key, ConceptRow.retired, ConceptRow.name)
        .where(ConceptRow.course_id == course.id)
        .order_by(ConceptRow.position)
    ).all()
    concept_key = {cid: key for cid, key, _, _ in concepts}
    prerequisites: dict[int, set[int]] = {}
    for concept_id, prerequisite_id in s.execute(
        select(PrerequisiteRow.concept_id, PrerequisiteRow.prerequisite_id)
        .join(ConceptRow, ConceptRow.id == PrerequisiteRow.concept_id)
        .where(ConceptRow.course_id == course.id)
    ):
        prerequisites.setdefault(concept_id, set()).add(prerequisite_id)
    rows = s.scalars(
        select(ItemRow)
        .where(ItemRow.course_id == course.id, ItemRow.retired.is_(False))
        .order_by(ItemRow.position)
    ).all()
    links: dict[int, list[int]] = {}
    for item_id, concept_id in s.execute(
        select(ItemConceptRow.item_id, ItemConceptRow.concept_id)
        .join(ItemRow, ItemRow.id == ItemConceptRow.item_id)
        .where(ItemRow.course_id == course.id, ItemRow.retired.is_(False))
        .order_by(ItemConceptRow.position)
    ):
        links.setdefault(item_id, []).append(concept_id)
    items_of_concept: dict[int, list[ConceptRef]] = {}
    for row in rows:
        for concept_id in links.get(row.id, []):
            items_of_concept.setdefault(concept_id, []).append((row.id, row.key))
        s.expunge(row)
    return CourseContent(
        course_id=course.id,
        course_key=course.key,
        updated_at=course.updated_at,
        concepts=tuple((cid, key) for cid, key, retired, _ in concepts if not retired),
        names={key: dict(name or {}) for _, key, _, name in concepts},
        prerequisites={c: frozenset(p) for c, p in prerequisites.items()},
        items={
            row.key: ItemContent(
                id=row.id,
                key=row.key,
                row=row,
                concepts=tuple((cid, concept_key[cid]) for cid in links.get(row.id, [])),
            )
            for row in rows
        },
        items_of_concept={c: tuple(refs) for c, refs in items_of_concept.items()},
        settings=dict(settings),
    )


def item_content_by_id(s: Session, item_id: int) -> ItemContent:
    """Any item, retired ones included (an old answer may be to one); not cached."""
    row = s.get(ItemRow, item_id)
    assert row is not None
    concepts = s.execute(
        select(ConceptRow.id, ConceptRow.key)
        .join(ItemConceptRow, ItemConceptRow.concept_id == ConceptRow.id)
        .where(ItemConceptRow.item_id == item_id)
        .order_by(ItemConceptRow.position)
    ).all()
    return ItemContent(
        id=row.id, key=row.key, row=row, concepts=tuple((cid, key) for cid, key in concepts)
    )
