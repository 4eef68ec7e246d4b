"""Course use cases: import a pack into the database, read it back, export it, list courses.

Import is all-or-nothing (one transaction, after the pack validated cleanly) and re-import
updates in place: rows are matched by their pack ids, so attempts, grades and mastery that
point at them survive. Rows whose ids left the pack are retired, never deleted. The import
ends by rebuilding the course's material search index (``services.retrieval``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from learnloop.courses import export_pack, load_pack
from learnloop.domain import Concept, Course, CoursePack, Item, Material
from learnloop.errors import NotFoundError
from learnloop.services import retrieval
from learnloop.storage.tables import (
    ConceptRow,
    CourseRow,
    ItemConceptRow,
    ItemRow,
    MaterialConceptRow,
    MaterialRow,
    PrerequisiteRow,
    utcnow,
)

Progress = Callable[[str, int, int], None]
"""``(step, done, total)``: called as import advances, for progress bars."""

RowT = TypeVar("RowT", ConceptRow, ItemRow, MaterialRow)


@dataclass
class KindReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.retired} retired"
        )


@dataclass
class ImportReport:
    course_id: str
    created: bool
    concepts: KindReport = field(default_factory=KindReport)
    items: KindReport = field(default_factory=KindReport)
    materials: KindReport = field(default_factory=KindReport)
    index: retrieval.IndexReport | None = None

    def summary(self) -> str:
        verb = "imported" if self.created else "updated"
        text = (
            f"course {self.course_id!r} {verb}: concepts {self.concepts}; items {self.items}; "
            f"materials {self.materials}"
        )
        return f"{text}; {self.index.summary()}" if self.index is not None else text


def _concept_fields(c: Concept) -> dict[str, Any]:
    return {"name": c.name, "description": c.description}


def _item_fields(i: Item) -> dict[str, Any]:
    d = i.model_dump(mode="json")
    return {
        "type": d["type"],
        "prompt": d["prompt"],
        "answer": d["answer"],
        "reference_answers": d["reference_answers"],
        "rubric": d["rubric"],
        "hints": d["hints"],
        "explanation": d["explanation"],
        "difficulty": d["difficulty"],
    }


def _material_fields(m: Material) -> dict[str, Any]:
    return {"title": m.title, "body": m.body, "order": m.order}


def _sync_rows(
    session: Session,
    *,
    course: CourseRow,
    row_type: type[RowT],
    wanted: Iterable[tuple[str, dict[str, Any]]],
    report: KindReport,
) -> dict[str, RowT]:
    """Make the course's rows of one kind match ``wanted`` (key, fields) in order."""
    existing = session.scalars(select(row_type).where(row_type.course_id == course.id))
    by_key = {row.key: row for row in existing}
    seen: dict[str, RowT] = {}
    for position, (key, fields) in enumerate(wanted):
        row = by_key.get(key)
        if row is None:
            row = row_type(course_id=course.id, key=key)
            session.add(row)
            report.added += 1
        else:
            before = {name: getattr(row, name) for name in fields}
            if before != fields or row.retired or row.position != position:
                report.updated += 1
            else:
                report.unchanged += 1
        for name, value in fields.items():
            setattr(row, name, value)
        row.position = position
        row.retired = False
        seen[key] = row
    for key, row in by_key.items():
        if key not in seen and not row.retired:
            row.retired = True
            report.retired += 1
    session.flush()
    return seen


def import_pack(
    session: Session,
    *,
    pack: CoursePack,
    progress: Progress | None = None,
    embedder: retrieval.EmbedderChoice = "settings",
) -> ImportReport:
    """Store ``pack`` and index its materials for search (embedded with ``embedder``: by
    default ``LEARNLOOP_EMBEDDING_MODEL``'s, keywords only where it is not installed); the
    caller's transaction makes it all-or-nothing."""
    tick = progress or (lambda _step, _done, _total: None)
    total = 5
    course = session.scalar(select(CourseRow).where(CourseRow.key == pack.course.id))
    report = ImportReport(course_id=pack.course.id, created=course is None)
    if course is None:
        course = CourseRow(key=pack.course.id)
        session.add(course)
    info = pack.course.model_dump(mode="json")
    for name in ("title", "description", "languages", "version", "settings"):
        setattr(course, name, info[name])
    course.updated_at = utcnow()  # even if only items changed: it versions content's cache
    session.flush()
    tick("course", 1, total)

    concepts = _sync_rows(
        session,
        course=course,
        row_type=ConceptRow,
        wanted=((c.id, _concept_fields(c)) for c in pack.concepts),
        report=report.concepts,
    )
    all_concept_ids = select(ConceptRow.id).where(ConceptRow.course_id == course.id)
    session.execute(delete(PrerequisiteRow).where(PrerequisiteRow.concept_id.in_(all_concept_ids)))
    session.add_all(
        PrerequisiteRow(concept_id=concepts[c.id].id, prerequisite_id=concepts[p].id, position=n)
        for c in pack.concepts
        for n, p in enumerate(c.prerequisites)
    )
    tick("concepts", 2, total)

    items = _sync_rows(
        session,
        course=course,
        row_type=ItemRow,
        wanted=((i.id, _item_fields(i)) for i in pack.items),
        report=report.items,
    )
    item_ids = select(ItemRow.id).where(ItemRow.course_id == course.id)
    session.execute(delete(ItemConceptRow).where(ItemConceptRow.item_id.in_(item_ids)))
    session.add_all(
        ItemConceptRow(item_id=items[i.id].id, concept_id=concepts[c].id, position=n)
        for i in pack.items
        for n, c in enumerate(i.concepts)
    )
    tick("items", 3, total)

    materials = _sync_rows(
        session,
        course=course,
        row_type=MaterialRow,
        wanted=((m.id, _material_fields(m)) for m in pack.materials),
        report=report.materials,
    )
    material_ids = select(MaterialRow.id).where(MaterialRow.course_id == course.id)
    session.execute(
        delete(MaterialConceptRow).where(MaterialConceptRow.material_id.in_(material_ids))
    )
    session.add_all(
        MaterialConceptRow(material_id=materials[m.id].id, concept_id=concepts[c].id, position=n)
        for m in pack.materials
        for n, c in enumerate(m.concepts)
    )
    session.flush()
    tick("materials", 4, total)

    report.index = retrieval.index_course_row(
        session, course=course, embedder=embedder, progress=progress
    )
    tick("search index", 5, total)
    return report


def import_path(
    session: Session,
    *,
    path: str | Path,
    progress: Progress | None = None,
    embedder: retrieval.EmbedderChoice = "settings",
) -> ImportReport:
    """Validate the pack at ``path`` (raising with every problem) and store it."""
    return import_pack(session, pack=load_pack(path), progress=progress, embedder=embedder)


def get_course_row(session: Session, *, course_id: str) -> CourseRow:
    row = session.scalar(select(CourseRow).where(CourseRow.key == course_id))
    if row is None:
        known = ", ".join(session.scalars(select(CourseRow.key).order_by(CourseRow.key))) or "none"
        raise NotFoundError(f"no course with id {course_id!r} (courses: {known})")
    return row


def _keys_by_owner(
    session: Session, link: type[ItemConceptRow] | type[MaterialConceptRow], owner_ids: list[int]
) -> dict[int, list[str]]:
    owner_col = link.item_id if link is ItemConceptRow else link.material_id  # type: ignore[union-attr]
    rows = session.execute(
        select(owner_col, ConceptRow.key)
        .join(ConceptRow, ConceptRow.id == link.concept_id)
        .where(owner_col.in_(owner_ids))
        .order_by(owner_col, link.position)
    ).all()
    out: dict[int, list[str]] = {i: [] for i in owner_ids}
    for owner, key in rows:
        out[owner].append(key)
    return out


def read_pack(session: Session, *, course_id: str) -> CoursePack:
    """The course as a pack (current rows only, retired ones left out)."""
    course = get_course_row(session, course_id=course_id)
    concepts = [c for c in course.concepts if not c.retired]
    key_of = {c.id: c.key for c in course.concepts}
    prereqs: dict[int, list[str]] = {c.id: [] for c in concepts}
    for link in session.scalars(
        select(PrerequisiteRow)
        .where(PrerequisiteRow.concept_id.in_(list(prereqs)))
        .order_by(PrerequisiteRow.concept_id, PrerequisiteRow.position)
    ):
        prereqs[link.concept_id].append(key_of[link.prerequisite_id])
    items = [i for i in course.items if not i.retired]
    item_concepts = _keys_by_owner(session, ItemConceptRow, [i.id for i in items])
    materials = [m for m in course.materials if not m.retired]
    material_concepts = _keys_by_owner(session, MaterialConceptRow, [m.id for m in materials])
    return CoursePack(
        course=Course(
            id=course.key,
            title=course.title,
            description=course.description,
            languages=course.languages,
            version=course.version,
            settings=course.settings,
        ),
        concepts=[
            Concept(id=c.key, name=c.name, description=c.description, prerequisites=prereqs[c.id])
            for c in concepts
        ],
        items=[
            Item.model_validate(
                {
                    "id": i.key,
                    "concepts": item_concepts[i.id],
                    **{name: getattr(i, name) for name in _ITEM_COLUMNS},
                }
            )
            for i in items
        ],
        materials=[
            Material(
                id=m.key,
                title=m.title,
                body=m.body,
                order=m.order,
                concepts=material_concepts[m.id],
            )
            for m in materials
        ],
    )


_ITEM_COLUMNS = (
    "type",
    "prompt",
    "answer",
    "reference_answers",
    "rubric",
    "hints",
    "explanation",
    "difficulty",
)


def export_course(
    session: Session, *, course_id: str, path: str | Path, overwrite: bool = False
) -> CoursePack:
    pack = read_pack(session, course_id=course_id)
    export_pack(pack, path, overwrite=overwrite)
    return pack


@dataclass(frozen=True)
class CourseSummary:
    id: str
    title: dict[str, str]
    languages: list[str]
    concepts: int
    items: int
    materials: int


def list_courses(session: Session) -> list[CourseSummary]:
    out = []
    for course in session.scalars(select(CourseRow).order_by(CourseRow.key)):
        out.append(
            CourseSummary(
                id=course.key,
                title=course.title,
                languages=course.languages,
                concepts=sum(not c.retired for c in course.concepts),
                items=sum(not i.retired for i in course.items),
                materials=sum(not m.retired for m in course.materials),
            )
        )
    return out


def get_item_row(session: Session, *, course: CourseRow, item_key: str) -> ItemRow:
    row = session.scalar(
        select(ItemRow).where(
            ItemRow.course_id == course.id, ItemRow.key == item_key, ItemRow.retired.is_(False)
        )
    )
    if row is None:
        raise NotFoundError(f"no item {item_key!r} in course {course.key!r}")
    return row
