"""Writing a ``CoursePack`` back out as a folder that ``load_pack`` reads to the same pack.

The output is meant to be edited by hand: block style, unicode as is, short lists and
translations on one line, fields in the order an author thinks of them, defaults left out.
Items are split into files by their first concept; consecutive runs keep their order, so the
numbered file names reproduce the pack's item order exactly.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from learnloop.courses.loader import CONCEPTS_FILE, COURSE_FILE, ITEMS_DIR, MATERIALS_DIR
from learnloop.courses.materials import ANY_LANGUAGE
from learnloop.domain import Concept, Course, CoursePack, Item, Material, MultipleChoiceAnswer
from learnloop.errors import ConflictError, InvalidInputError

_FLOW_WIDTH = 72
_UNICODE_BREAKS = "\x85\u2028\u2029"


def export_pack(pack: CoursePack, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``pack`` into the folder ``path`` (created if missing).

    A folder with files in it is refused unless ``overwrite``; then only the pack's own files
    (course.yaml, concepts.yaml, items/*.yaml, materials/*.md) are replaced, so notes or a
    ``.git`` folder next to them survive.
    """
    root = Path(path)
    _prepare(root, overwrite)
    languages = pack.course.languages
    _write(root / COURSE_FILE, _dump(_course(pack.course, languages)))
    _write(root / CONCEPTS_FILE, _dump(CommentedSeq(_concept(c, languages) for c in pack.concepts)))
    (root / ITEMS_DIR).mkdir(exist_ok=True)
    for name, items in _item_files(pack.items):
        _write(root / ITEMS_DIR / name, _dump(CommentedSeq(_item(i, languages) for i in items)))
    (root / MATERIALS_DIR).mkdir(exist_ok=True)
    used: set[str] = set()
    for material in pack.materials:
        for name, text in _material_files(material, languages, used):
            _write(root / MATERIALS_DIR / name, text)


def _prepare(root: Path, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise ConflictError(f"cannot export to {root}: it is a file, not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not overwrite:
            raise ConflictError(
                f"cannot export to {root}: the folder is not empty. Choose a new or empty "
                "folder, or pass overwrite=True to replace the course pack in it"
            )
        for pattern in (COURSE_FILE, CONCEPTS_FILE, f"{ITEMS_DIR}/*.yaml", f"{ITEMS_DIR}/*.yml"):
            for old in root.glob(pattern):
                old.unlink()
        for old in root.glob(f"{MATERIALS_DIR}/*.md"):
            old.unlink()
    root.mkdir(parents=True, exist_ok=True)


def _write(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    text = out.getvalue()
    if isinstance(data, CommentedSeq) and data:
        # ruamel indents a top-level list like a nested one; authors write '- id:' at column 0.
        # Every line of the list is indented at least two spaces, literal blocks included.
        text = "\n".join(line[2:] if line.startswith("  ") else line for line in text.split("\n"))
    return text


def _str(s: str) -> str:
    """Multi-line text as a literal block (``|``), which reads like the Markdown it holds."""
    if any(c in _UNICODE_BREAKS for c in s):
        # ruamel writes these unescaped in plain and single-quoted scalars, and reads them back
        # as folded spaces; double quotes escape them.
        return DoubleQuotedScalarString(s)
    if "\n" in s and not s.endswith("\n\n") and s.strip() and not any(map(_breaks_block, s)):
        return LiteralScalarString(s)
    return s


def _breaks_block(char: str) -> bool:
    """Characters a literal block cannot hold as they are (YAML would read them differently)."""
    return char not in "\n\t" and (
        unicodedata.category(char) in ("Cc", "Cs") or char in "\u2028\u2029\ufeff"
    )


def _ordered(keys: Iterable[str], languages: list[str]) -> list[str]:
    rank = {lang: i for i, lang in enumerate(languages)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def _text(text: dict[str, str], languages: list[str], *, mapping: bool = False) -> Any:
    """Text for every language (key ``*``) is written as a plain string, as authors do."""
    if set(text) == {ANY_LANGUAGE} and not mapping:
        return _str(text[ANY_LANGUAGE])
    m = CommentedMap((k, _str(text[k])) for k in _ordered(text, languages))
    return _flow_if_short(m)


def _flow_if_short(node: CommentedMap | CommentedSeq) -> CommentedMap | CommentedSeq:
    values = node.values() if isinstance(node, CommentedMap) else node
    if all(_short_scalar(v) for v in values) and len(str(list(values))) <= _FLOW_WIDTH:
        node.fa.set_flow_style()
    return node


def _short_scalar(value: Any) -> bool:
    if isinstance(value, CommentedMap | CommentedSeq):
        return bool(value.fa.flow_style())
    if not isinstance(value, str):
        return True
    # ruamel writes '?0' unquoted inside {...} and then cannot read it back.
    return "\n" not in value and len(value) <= _FLOW_WIDTH and not value.startswith("?")


def _flow(values: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(values)
    if all(_short_scalar(v) for v in seq):
        seq.fa.set_flow_style()
    return seq


def _course(course: Course, languages: list[str]) -> CommentedMap:
    m = CommentedMap()
    m["id"] = course.id
    m["title"] = _text(course.title, languages)
    if course.description:
        m["description"] = _text(course.description, languages)
    m["languages"] = _flow(course.languages)
    m["version"] = course.version
    if course.settings:
        m["settings"] = CommentedMap(
            (k, _str(v) if isinstance(v, str) else v) for k, v in course.settings.items()
        )
    return m


def _concept(concept: Concept, languages: list[str]) -> CommentedMap:
    m = CommentedMap()
    m["id"] = concept.id
    m["name"] = _text(concept.name, languages)
    if concept.description:
        m["description"] = _text(concept.description, languages)
    if concept.prerequisites:
        m["prerequisites"] = _flow(concept.prerequisites)
    return m


def _item_files(items: list[Item]) -> list[tuple[str, list[Item]]]:
    runs: list[tuple[str, list[Item]]] = []
    for item in items:
        if runs and runs[-1][0] == item.concepts[0]:
            runs[-1][1].append(item)
        else:
            runs.append((item.concepts[0], [item]))
    width = max(3, len(str(len(runs))))
    return [(f"{n:0{width}d}-{concept}.yaml", run) for n, (concept, run) in enumerate(runs, 1)]


def _item(item: Item, languages: list[str]) -> CommentedMap:
    m = CommentedMap()
    m["id"] = item.id
    m["type"] = item.type.value
    m["concepts"] = _flow(item.concepts)
    if item.difficulty != Item.model_fields["difficulty"].default:
        m["difficulty"] = item.difficulty
    m["prompt"] = _text(item.prompt, languages)
    answer = _answer(item, languages)
    if answer:
        m["answer"] = answer
    for name in ("reference_answers", "rubric", "hints"):
        texts: list[dict[str, str]] = getattr(item, name)
        if texts:
            m[name] = CommentedSeq(_text(t, languages) for t in texts)
    if item.explanation:
        m["explanation"] = _text(item.explanation, languages)
    return m


def _answer(item: Item, languages: list[str]) -> CommentedMap:
    answer = item.answer
    m = CommentedMap()
    if isinstance(answer, MultipleChoiceAnswer):
        if answer.multiple:
            m["multiple"] = True
        if not answer.shuffle:
            m["shuffle"] = False
        choices = CommentedSeq()
        for choice in answer.choices:
            c = CommentedMap()
            c["id"] = choice.id
            c["text"] = _text(choice.text, languages)
            if choice.correct:
                c["correct"] = True
            if choice.feedback is not None:
                c["feedback"] = _text(choice.feedback, languages)
            choices.append(_flow_if_short(c))
        m["choices"] = choices
        return m
    for key, value in answer.model_dump(exclude_defaults=True, exclude={"type"}).items():
        if isinstance(value, list):
            m[key] = _flow([_str(v) if isinstance(v, str) else v for v in value])
        elif isinstance(value, dict):
            m[key] = _flow_if_short(CommentedMap(value))
        else:
            m[key] = _str(value) if isinstance(value, str) else value
    return m


def _material_files(
    material: Material, languages: list[str], used: set[str]
) -> list[tuple[str, str]]:
    """One file per language; titles without a page of their own go into the first file."""
    if not material.body:
        raise InvalidInputError(f"material {material.id!r} has no body in any language")
    body_languages = _ordered(material.body, languages)
    extra = {k: v for k, v in material.title.items() if k not in material.body}
    files = []
    for n, lang in enumerate(body_languages):
        front = CommentedMap()
        front["id"] = material.id
        if n == 0 and extra:
            own = {lang: material.title[lang]} if lang in material.title else {}
            front["title"] = _text({**own, **extra}, languages, mapping=True)
        elif lang in material.title:
            front["title"] = _str(material.title[lang])
        front["language"] = lang
        if material.concepts:
            front["concepts"] = _flow(material.concepts)
        if material.order:
            front["order"] = material.order
        text = f"---\n{_dump(front)}---\n{material.body[lang]}"
        files.append((_file_name(material.id, lang, used), text))
    return files


def _file_name(mid: str, lang: str, used: set[str]) -> str:
    """Unique even on case-insensitive file systems (ids ``A`` and ``a`` are distinct)."""
    stem, n = mid, 1
    while True:
        name = f"{stem}.md" if lang == ANY_LANGUAGE else f"{stem}.{lang}.md"
        if name.casefold() not in used:
            used.add(name.casefold())
            return name
        n += 1
        stem = f"{mid}-{n}"
