"""A course's reading material as a student opens it: the list, and one page in one language.

The tutor cites passages as ``material#anchor`` (``retrieval.chunking``); the pages render the
same Markdown with the same anchors, so a citation lands on its section.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from learnloop.domain import pick
from learnloop.errors import NotFoundError
from learnloop.storage.tables import ConceptRow, CourseRow, MaterialConceptRow, MaterialRow


@dataclass(frozen=True)
class MaterialSummary:
    id: str
    title: dict[str, str]
    languages: list[str]
    concepts: list[str]


@dataclass(frozen=True)
class MaterialPage:
    id: str
    language: str
    """The language of ``body``: the one asked for if the material has it."""
    title: str
    body: str
    """Markdown."""
    languages: list[str]
    concepts: list[str]


def _concepts_by_material(s: Session, material_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in material_ids}
    rows = s.execute(
        select(MaterialConceptRow.material_id, ConceptRow.key)
        .join(ConceptRow, ConceptRow.id == MaterialConceptRow.concept_id)
        .where(MaterialConceptRow.material_id.in_(material_ids))
        .order_by(MaterialConceptRow.material_id, MaterialConceptRow.position)
    )
    for material_id, key in rows:
        out[material_id].append(key)
    return out


def list_materials(s: Session, *, course: CourseRow) -> list[MaterialSummary]:
    """The course's current materials in reading order (``order``, then the pack's)."""
    rows = list(
        s.scalars(
            select(MaterialRow)
            .where(MaterialRow.course_id == course.id, MaterialRow.retired.is_(False))
            .order_by(MaterialRow.order, MaterialRow.position)
        )
    )
    concepts = _concepts_by_material(s, [r.id for r in rows])
    return [
        MaterialSummary(
            id=r.key, title=dict(r.title), languages=sorted(r.body), concepts=concepts[r.id]
        )
        for r in rows
    ]


def get_material(
    s: Session, *, course: CourseRow, material_key: str, language: str
) -> MaterialPage:
    """One material in ``language``, or in the best other language it has."""
    row = s.scalar(
        select(MaterialRow).where(
            MaterialRow.course_id == course.id,
            MaterialRow.key == material_key,
            MaterialRow.retired.is_(False),
        )
    )
    if row is None:
        raise NotFoundError(f"no material {material_key!r} in course {course.key!r}")
    body = pick(row.body, language)
    shown = next((lang for lang, text in row.body.items() if text == body), language)
    if row.body.get(language):
        shown = language
    return MaterialPage(
        id=row.key,
        language=shown,
        title=pick(row.title, shown) or row.key,
        body=body,
        languages=sorted(row.body),
        concepts=_concepts_by_material(s, [row.id])[row.id],
    )
