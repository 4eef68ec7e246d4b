"""Reading YAML so that every value can be traced back to its line.

We compose ruamel.yaml's node tree and build plain Python data from it ourselves instead of
letting a constructor do it. That way only the standard YAML types can ever be made (no tag
constructs a Python object), every duplicate key is reported instead of silently merged, and a
number the author meant as text (``text: 0.5``) can be read back exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from learnloop.errors import Problem

Loc = tuple[str | int, ...]
"""A path into parsed data: mapping keys and list positions."""

_TAG = "tag:yaml.org,2002:"
_MAX_NODES = 250_000
"""Aliases can make a tiny file expand enormously ("billion laughs"); stop well before that."""


@dataclass
class Source:
    """One parsed YAML document: its data, and the line of each key and list entry."""

    file: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)
    texts: dict[Loc, str] = field(default_factory=dict)
    """Source text of plain scalars read as numbers or booleans, for fields that want text."""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The data can be checked further: a duplicate key is reported, then the first one used."""
        return all(p.code == "duplicate_key" for p in self.problems)

    def resolve(self, loc: Loc) -> Loc:
        return resolve(self.data, loc)

    def value_at(self, loc: Loc) -> Any:
        node = self.data
        for seg in loc:
            node = node[seg]
        return node

    def line(self, loc: Loc = ()) -> int:
        path = self.resolve(loc)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def parse_yaml(text: str, file: str, *, line_offset: int = 0) -> Source:
    """Parse one YAML document; syntax errors become problems, never exceptions."""
    source = Source(file=file)
    try:
        root = YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_hint(str(what))
        ctx = exc.context_mark
        if exc.context and ctx is not None and mark is not None and ctx.line != mark.line:
            hint = f"{exc.context} that starts on line {ctx.line + 1 + line_offset}; {hint}"
        source.problems.append(Problem(file, line, f"bad YAML: {what}", hint, code="bad_yaml"))
        return source
    except YAMLError as exc:
        source.problems.append(Problem(file, None, f"bad YAML: {exc}", code="bad_yaml"))
        return source
    if root is None:
        return source
    builder = _Builder(source, line_offset)
    try:
        source.data = builder.build(root, ())
    except _TooLarge:
        source.data = None
        source.problems.append(
            Problem(
                file,
                None,
                "the file expands to too much data",
                hint="aliases (*name) that repeat big blocks many times; write the data out",
                code="bad_yaml",
            )
        )
    return source


def _syntax_hint(what: str) -> str:
    if "mapping values are not allowed" in what:
        return "a text containing ': ' must be quoted: prompt: \"Ratio: 3/4\""
    if "found character '\\t'" in what or "tab" in what:
        return "indent with spaces, not tabs"
    if "expected a single document" in what:
        return "a pack file holds one document; remove the extra '---' line"
    return "check the indentation and quoting on this line and the one before it"


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, source: Source, line_offset: int) -> None:
        self.source = source
        self.offset = line_offset
        self.count = 0
        self.stack: set[int] = set()

    def _line(self, node: Node) -> int:
        return int(node.start_mark.line) + 1 + self.offset

    def _problem(self, node: Node, message: str, hint: str, code: str = "bad_yaml") -> None:
        problem = Problem(self.source.file, self._line(node), message, hint, code)
        self.source.problems.append(problem)

    def build(self, node: Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooLarge
        self.source.lines.setdefault(loc, self._line(node))
        if id(node) in self.stack:
            self._problem(node, "an alias refers to itself", "remove the recursive alias")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _TAG + "seq":
                    self._bad_tag(node)
                return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.tag != _TAG + "map":
                    self._bad_tag(node)
                return self._mapping(node, loc)
        finally:
            self.stack.discard(id(node))
        return None  # pragma: no cover - ruamel only makes the three node kinds

    def _bad_tag(self, node: Node) -> None:
        self._problem(
            node,
            f"unsupported YAML tag {str(node.tag).replace(_TAG, '!!')!r}",
            "course packs use plain YAML: strings, numbers, true/false, lists and mappings",
            code="unsupported_tag",
        )

    def _scalar(self, node: ScalarNode, loc: Loc) -> Any:
        tag, text = node.tag, node.value
        if node.style == ">":
            # ruamel's round-trip composer marks where a folded block was folded with BEL
            # characters (the space is already there); the text itself has none
            text = text.replace("\a", "")
        if tag in (_TAG + "str", _TAG + "timestamp"):
            return text
        if tag == _TAG + "null":
            return None
        value: Any
        try:
            if tag == _TAG + "bool":
                value = text.lower() == "true"
            elif tag == _TAG + "int":
                value = _to_int(text)
            elif tag == _TAG + "float":
                value = _to_float(text)
            else:
                self._bad_tag(node)
                return None
        except ValueError:
            self._problem(node, f"{text!r} is not a valid {str(tag).removeprefix(_TAG)}", "")
            return None
        if node.style is None:
            self.source.texts[loc] = text
        return value

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag == _TAG + "null":
                self._problem(
                    key_node, "a mapping key must be a plain name", "write keys like 'id:'"
                )
                continue
            key = str(key_node.value)
            line = self._line(key_node)
            if key in result:
                self._problem(
                    key_node,
                    f"duplicate key {key!r}",
                    f"{key!r} is already set on line {first_line[key]}; keep one of them",
                    code="duplicate_key",
                )
                continue
            first_line[key] = line
            self.source.lines[(*loc, key)] = line
            result[key] = self.build(value_node, (*loc, key))
        for value_node in merged:
            for base in _merge_sources(value_node):
                extra = self.build(base, loc)
                if isinstance(extra, dict):
                    for key, value in extra.items():
                        result.setdefault(key, value)
        return result


def resolve(data: Any, loc: Iterable[str | int]) -> Loc:
    """The longest part of ``loc`` that exists in ``data``.

    Segments that are not in the data are skipped rather than ending the walk: pydantic
    puts the name of a union member (``answer.numeric.value``) into its error locations.
    """
    found: list[str | int] = []
    for seg in loc:
        if has_key(data, seg):
            data = data[seg]
            found.append(seg)
    return tuple(found)


def has_key(container: Any, seg: str | int) -> bool:
    if isinstance(container, dict):
        return seg in container
    return isinstance(container, list) and isinstance(seg, int) and 0 <= seg < len(container)


def _merge_sources(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    else:
        yield node


def _to_int(text: str) -> int:
    t = text.replace("_", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if t.lower().startswith(prefix):
            return sign * int(t[2:], base)
    return sign * int(t)


def _to_float(text: str) -> float:
    t = text.replace("_", "").lower()
    if t.lstrip("+-") in (".inf", "inf"):
        return float("-inf") if t.startswith("-") else float("inf")
    if t in (".nan", "nan"):
        return float("nan")
    return float(t)


def read_text(path: Path, file: str) -> tuple[str | None, Problem | None]:
    """File text with newlines kept as written, so Markdown bodies round-trip exactly."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(
            file,
            line,
            "the file is not UTF-8 text",
            hint="save it as UTF-8 (most editors offer this under 'Save with encoding')",
            code="bad_encoding",
        )
    return text.removeprefix("\ufeff"), None
