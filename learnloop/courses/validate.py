"""Whole-course checks: ids, references between files, the prerequisite graph, languages.

They run on the raw data of every object, valid or not, so that an item with a typo in one
field still has its concept references checked, and one broken file does not hide the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

from learnloop.courses.entries import Entry
from learnloop.courses.modelcheck import did_you_mean, is_localized, join_hints
from learnloop.courses.yamlio import Loc
from learnloop.errors import Problem
from learnloop.recommend.graph import ConceptGraph

ANY_LANGUAGE = "*"


def check_pack(
    *,
    languages: list[str],
    course: Entry | None,
    concepts: list[Entry],
    items: list[Entry],
    materials: list[Entry],
    concepts_complete: bool,
    items_complete: bool,
) -> list[Problem]:
    """``*_complete`` is False when a file could not be read: its ids are then unknown."""
    problems = duplicate_ids(concepts) + duplicate_ids(items)
    if concepts_complete:
        known = [e.id for e in concepts if e.id]
        problems += unknown_concepts(concepts, "prerequisites", known, "prerequisite")
        problems += unknown_concepts(items, "concepts", known, "concept")
        problems += unknown_concepts(materials, "concepts", known, "concept")
        if items_complete:
            problems += concepts_without_items(concepts, items)
    problems += prerequisite_cycles(concepts)
    for entry in [course, *concepts, *items, *materials]:
        if entry is not None and entry.obj is not None:
            problems += unlisted_languages(entry, languages)
    return problems


def duplicate_ids(entries: list[Entry]) -> list[Problem]:
    first: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        if entry.id is None:
            continue
        if entry.id in first:
            other = first[entry.id]
            problems.append(
                entry.problem(
                    ("id",),
                    f"duplicate {entry.kind} id {entry.id!r}",
                    f"first defined at {other.source.file}:{other.line('id')}; ids must be unique",
                    "duplicate_id",
                )
            )
        else:
            first[entry.id] = entry
    return problems


def unknown_concepts(
    entries: list[Entry], field: str, known: list[str], what: str
) -> list[Problem]:
    known_set = set(known)
    problems = []
    for entry in entries:
        for i, ref in entry.refs(field):
            if ref not in known_set:
                problems.append(
                    entry.problem(
                        (field, i),
                        f"unknown {what} {ref!r}",
                        join_hints(did_you_mean(ref, known), _known_hint(known)),
                        "unknown_concept",
                    )
                )
    return problems


def _known_hint(known: list[str]) -> str:
    if not known:
        return "concepts.yaml defines no concepts yet"
    if len(known) <= 8:
        return f"concepts.yaml defines: {', '.join(known)}"
    return "concepts are defined in concepts.yaml"


def concepts_without_items(concepts: list[Entry], items: list[Entry]) -> list[Problem]:
    practised = {ref for item in items for _, ref in item.refs("concepts")}
    return [
        Problem(
            c.source.file,
            c.line(),
            f"concept {c.id!r} has no items",
            f"students cannot practise it and its mastery cannot be measured; add an item with "
            f"'concepts: [{c.id}]'",
            "concept_without_items",
            severity="warning",
        )
        for c in concepts
        if c.id and c.id not in practised
    ]


def prerequisite_cycles(concepts: list[Entry]) -> list[Problem]:
    """Each cycle once (a tangle of many reports a bounded few: ``ConceptGraph.cycles``), at
    the reference from its earliest concept to the next one on the cycle."""
    entries: dict[str, Entry] = {}
    for c in concepts:
        if c.id is not None:
            entries.setdefault(c.id, c)
    graph = ConceptGraph(entries, {cid: _prerequisites(e) for cid, e in entries.items()})
    problems = []
    for cycle in graph.cycles:
        entry = entries[cycle[0]]
        nxt = cycle[1] if len(cycle) > 1 else cycle[0]
        path = " -> ".join([*cycle, cycle[0]])
        position = next(i for i, ref in entry.refs("prerequisites") if ref == nxt)
        problems.append(
            Problem(
                entry.source.file,
                entry.line("prerequisites", position),
                f"prerequisite cycle: {path}",
                "a concept cannot require itself, even through others; remove one of these "
                "prerequisites",
                "prerequisite_cycle",
            )
        )
    return problems


def _prerequisites(entry: Entry) -> list[str]:
    return [ref for _, ref in entry.refs("prerequisites")]


def unlisted_languages(entry: Entry, languages: list[str]) -> list[Problem]:
    allowed = {*languages, ANY_LANGUAGE}
    problems = []
    assert entry.obj is not None
    for loc, text in localized_fields(entry.obj):
        for lang in text:
            if lang not in allowed:
                problems.append(
                    entry.problem(
                        (*loc, lang),
                        f"text in {lang!r}, which the course does not offer",
                        f"the course's languages are {', '.join(languages)}; fix the language "
                        "code or add it to 'languages' in course.yaml",
                        "unknown_language",
                    )
                )
    return problems


def localized_fields(obj: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, dict[str, str]]]:
    for name, info in type(obj).model_fields.items():
        value: Any = getattr(obj, name)
        annotation = info.rebuild_annotation()
        here = (*loc, name)
        if isinstance(value, dict) and is_localized(annotation):
            yield here, value
        elif isinstance(value, BaseModel):
            yield from localized_fields(value, here)
        elif isinstance(value, list):
            element = get_args(annotation)[0] if get_args(annotation) else None
            for i, v in enumerate(value):
                if isinstance(v, BaseModel):
                    yield from localized_fields(v, (*here, i))
                elif isinstance(v, dict) and is_localized(element):
                    yield (*here, i), v
