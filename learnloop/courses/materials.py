"""Markdown pages: front matter, language, and merging one page's translations.

A page in several languages is several files sharing an ``id``. Each file gives its body in
its own language; ``title`` written as plain text belongs to that language too, while a
mapping (``{en: ..., zh: ...}``) sets titles explicitly. ``concepts`` and ``order`` may be
given in one file only, but where several files give them they must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from learnloop.courses.entries import Entry
from learnloop.courses.modelcheck import validate_model
from learnloop.courses.yamlio import parse_yaml, read_text
from learnloop.domain import LocalizedText, Material
from learnloop.domain.course import Identifier
from learnloop.errors import Problem

ANY_LANGUAGE = "*"
_LANGUAGE_SUFFIX = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_FRONT_MATTER_HINT = (
    "start the file with a line '---', then 'id: ...', 'title: ...', 'language: ...' and "
    "'concepts: [...]' lines, then a line '---', then the Markdown text"
)


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Identifier
    title: LocalizedText | None = None
    language: str | None = None
    concepts: list[Identifier] | None = None
    order: int | None = None


@dataclass
class MaterialFile:
    entry: Entry
    front: FrontMatter
    language: str
    body: str


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(front matter, body), or None when the file does not start with a front matter block.

    Split on ``\\n`` only, so that the body comes back byte for byte as it was written.
    """
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None
    for end in range(1, len(lines)):
        if lines[end].rstrip() == "---":
            return "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    return None


def read_material(
    path: Path, rel: str, languages: list[str]
) -> tuple[MaterialFile | None, list[Problem]]:
    text, problem = read_text(path, rel)
    if text is None:
        return None, [problem] if problem else []
    if text.split("\n")[0].rstrip() != "---":
        return None, [
            Problem(rel, 1, "the page has no front matter", _FRONT_MATTER_HINT, "no_front_matter")
        ]
    parts = split_front_matter(text)
    if parts is None:
        return None, [
            Problem(
                rel,
                1,
                "the front matter is not closed",
                "add a line '---' after the front matter fields",
                "bad_front_matter",
            )
        ]
    source = parse_yaml(parts[0], rel, line_offset=1)
    if not source.ok:
        return None, source.problems
    if not isinstance(source.data, dict):
        return None, [
            Problem(
                rel,
                1,
                "the front matter is not a set of 'field: value' lines",
                _FRONT_MATTER_HINT,
                "bad_front_matter",
            )
        ]
    entry = Entry("material", source, (), source.data)
    if "id" not in source.data:
        return None, [
            Problem(
                rel,
                1,
                "the front matter has no 'id'",
                "add 'id: <page-name>'; files with the same id are one page in several languages",
                "missing_field",
            )
        ]
    front, problems = validate_model(FrontMatter, source, (), f"material {entry.id!r}")
    if front is None:
        return None, problems
    entry.obj = front
    language = _language(front, path.name, languages)
    if language not in (*languages, ANY_LANGUAGE):
        where = ("language",) if front.language is not None else ()
        how = "its 'language:'" if front.language is not None else "its file name"
        problems.append(
            entry.problem(
                where,
                f"the page is in {language!r} (from {how}), which the course does not offer",
                f"the course's languages are {', '.join(languages)}; fix the language or add it "
                "to 'languages' in course.yaml",
                "unknown_language",
            )
        )
    return MaterialFile(entry, front, language, parts[1]), problems


def _language(front: FrontMatter, filename: str, languages: list[str]) -> str:
    if front.language is not None:
        return front.language
    stem = filename.removesuffix(".md")
    if "." in stem:
        suffix = stem.rsplit(".", 1)[1]
        if _LANGUAGE_SUFFIX.match(suffix):
            return suffix
    return languages[0]


def merge_materials(files: list[MaterialFile]) -> tuple[list[Material], list[Problem]]:
    groups: dict[str, list[MaterialFile]] = {}
    for f in files:
        groups.setdefault(f.front.id, []).append(f)
    materials: list[Material] = []
    problems: list[Problem] = []
    for mid, group in groups.items():
        material, found = _merge(mid, group)
        problems += found
        if material is not None:
            materials.append(material)
    materials.sort(key=lambda m: (m.order, m.id))
    return materials, problems


def _merge(mid: str, group: list[MaterialFile]) -> tuple[Material | None, list[Problem]]:
    problems: list[Problem] = []
    body: dict[str, str] = {}
    title: dict[str, str] = {}
    origin: dict[str, MaterialFile] = {}
    shared: dict[str, tuple[Any, MaterialFile]] = {}
    for f in group:
        if f.language in body:
            first = origin[f.language]
            problems.append(
                f.entry.problem(
                    ("id",),
                    f"a second {f.language!r} page with this id",
                    f"{first.entry.source.file}:{first.entry.line('id')} already has it; change "
                    "one 'id' or 'language'",
                    "duplicate_id",
                )
            )
            continue
        body[f.language] = f.body
        origin[f.language] = f
        raw_title = f.entry.raw.get("title")
        page_titles = {f.language: raw_title} if isinstance(raw_title, str) else f.front.title or {}
        for lang, text in page_titles.items():
            if title.setdefault(lang, text) != text:
                problems.append(
                    f.entry.problem(
                        ("title",),
                        f"the {lang!r} title differs from the other files of this page",
                        f"another file already sets it to {title[lang]!r}; keep one",
                        "material_mismatch",
                    )
                )
        for name in ("concepts", "order"):
            value = getattr(f.front, name)
            if value is None:
                continue
            if name in shared and shared[name][0] != value:
                problems.append(_mismatch(f, name, shared[name][1].entry.source.file))
            shared.setdefault(name, (value, f))
    if not title:
        problems.append(
            group[0].entry.problem(
                (), "the page has no title", "add 'title: ...' to the front matter", "missing_field"
            )
        )
    if problems:
        return None, problems
    concepts: list[str] = shared["concepts"][0] if "concepts" in shared else []
    order: int = shared["order"][0] if "order" in shared else 0
    material = Material(id=mid, title=title, concepts=concepts, body=body, order=order)
    return material, []


def _mismatch(f: MaterialFile, name: str, other: str) -> Problem:
    return f.entry.problem(
        (name,),
        f"'{name}' differs from the other files of this page",
        f"make it the same as in {other}, or write it in one file only",
        "material_mismatch",
    )
