"""Course material split into passages small enough to cite and to embed.

A page is cut at its headings first, so every passage belongs to one section and can link
to it (``material#anchor``); within a section, paragraphs are the unit. A paragraph of a few
words says little on its own, so tiny ones join their neighbours in the same section; a very
long one is cut between sentences (list items, table rows), never inside a code block or a
display formula, which stay whole whatever their length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

SECTION_SEPARATOR = " › "

MAX_SIZE = 160
"""Most words (CJK characters count one each) in a passage before it is cut."""
MIN_SIZE = 40
"""Passages smaller than this join a neighbour in the same section."""

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]")
_TABLE_ROW = re.compile(r"^ {0,3}\|")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|(?<=[。！？；])")
_UNITS = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")
_INLINE = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images keep their text
    (re.compile(r"(\*\*|__|\*|_|`+|~~)(\S(?:.*?\S)?)\1"), r"\2"),
]


@dataclass(frozen=True)
class Chunk:
    """One passage of one material in one language."""

    material: str
    """The material's key in its course pack."""
    language: str
    title: str
    """The material's title in ``language``."""
    section: str
    """The heading path down to the passage, joined by ``›``; empty before any heading."""
    anchor: str
    """The slug of the passage's heading (see ``slugify``); empty before any heading."""
    position: int
    """Order of the passage within the material in this language, from 0."""
    text: str
    """The Markdown of the passage, as written."""

    @property
    def search_text(self) -> str:
        """What is searched and embedded: the passage under its title and section, so that
        a short paragraph still says what it is about."""
        return f"{heading_line(self.title, self.section)}\n\n{self.text}"

    @property
    def link(self) -> str:
        """``material#anchor``, percent-encoded, for a UI to link to the section."""
        return f"{self.material}#{quote(self.anchor)}" if self.anchor else self.material


def heading_line(title: str, section: str) -> str:
    """``title › section`` without saying the title twice (the page's own ``#`` heading
    usually repeats it)."""
    parts = [title] if title else []
    for part in section.split(SECTION_SEPARATOR) if section else []:
        if part and part not in parts:
            parts.append(part)
    return SECTION_SEPARATOR.join(parts)


def size(text: str) -> int:
    """Words in ``text``, each CJK character counting as one."""
    return len(_UNITS.findall(text))


def plain_heading(text: str) -> str:
    """A heading's text without Markdown emphasis, code marks or link targets."""
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def slugify(heading: str) -> str:
    """A fragment id for a heading: lower case, punctuation dropped, spaces as hyphens.

    Letters and digits of every script are kept, so ``例题 1：减法`` becomes ``例题-1减法``
    (browsers percent-encode it in a URL; ``Chunk.link`` does so already). Empty when the
    heading has no letter or digit at all.
    """
    text = unicodedata.normalize("NFKC", plain_heading(heading)).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_]+", "-", text)
    return re.sub(r"-{2,}", "-", text).strip("-")


@dataclass
class _Block:
    text: str
    kind: str  # "text", "list", "table" or "verbatim" (code, display math)
    path: tuple[str, ...]
    anchor: str


def chunk_material(material: str, language: str, title: str, markdown: str) -> list[Chunk]:
    """The passages of one material's Markdown in one language, in reading order."""
    pieces: list[tuple[tuple[str, ...], str, str]] = []
    section: list[_Block] = []

    def close_section() -> None:
        if section:
            path, anchor = section[0].path, section[0].anchor
            pieces.extend((path, anchor, text) for text in _pack(section))
            section.clear()

    last: tuple[tuple[str, ...], str] = ((), "")
    for block in _blocks(markdown):
        if (block.path, block.anchor) != last:
            close_section()
            last = (block.path, block.anchor)
        section.append(block)
    close_section()
    return [
        Chunk(
            material=material,
            language=language,
            title=title,
            section=SECTION_SEPARATOR.join(path),
            anchor=anchor,
            position=n,
            text=text,
        )
        for n, (path, anchor, text) in enumerate(pieces)
    ]


def _blocks(markdown: str) -> list[_Block]:
    """Blocks (paragraphs, lists, tables, code, display math) with their heading path."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    path: list[tuple[int, str]] = []
    anchor = ""
    seen: dict[str, int] = {}
    current: list[str] = []

    def flush() -> None:
        if current and any(line.strip() for line in current):
            text = "\n".join(current).strip("\n")
            blocks.append(_Block(text, _kind(current), tuple(h for _, h in path), anchor))
        current.clear()

    def heading(level: int, raw: str) -> None:
        nonlocal anchor
        flush()
        text = plain_heading(raw)
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, text))
        anchor = _unique(slugify(raw) or "section", seen)

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence or line.strip() in ("$$", r"\["):
            flush()
            closing = (
                re.compile(
                    rf"^ {{0,3}}{re.escape(fence.group(1)[0])}{{{len(fence.group(1))},}}\s*$"
                )
                if fence
                else re.compile(r"^\s*(\$\$|\\\])\s*$")
            )
            end = i + 1
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            current.extend(lines[i : end + 1])
            blocks.append(_Block("\n".join(current), "verbatim", tuple(h for _, h in path), anchor))
            current.clear()
            i = end + 1
            continue
        match = _HEADING.match(line)
        if match:
            heading(len(match.group(1)), match.group(2))
        elif _SETEXT.match(line) and current and not _LIST_ITEM.match(current[0]):
            level = 1 if line.strip().startswith("=") else 2
            raw = " ".join(s.strip() for s in current)
            current.clear()
            heading(level, raw)
        elif _RULE.match(line) or not line.strip():
            flush()
        else:
            current.append(line)
        i += 1
    flush()
    return blocks


def _unique(slug: str, seen: dict[str, int]) -> str:
    if slug not in seen:
        seen[slug] = 0
        return slug
    seen[slug] += 1
    return _unique(f"{slug}-{seen[slug]}", seen)


def _kind(lines: list[str]) -> str:
    if _TABLE_ROW.match(lines[0]):
        return "table"
    if _LIST_ITEM.match(lines[0]):
        return "list"
    return "text"


def _pack(blocks: list[_Block]) -> list[str]:
    """One section's blocks as passages: long blocks cut, tiny neighbours joined."""
    units: list[str] = []
    for block in blocks:
        units.extend(_split(block) if size(block.text) > MAX_SIZE else [block.text])
    out: list[str] = []
    current: list[str] = []
    for unit in units:
        joined = size("\n\n".join([*current, unit]))
        if current and joined > MAX_SIZE and size("\n\n".join(current)) >= MIN_SIZE:
            out.append("\n\n".join(current))
            current = []
        current.append(unit)
    if current:
        last = "\n\n".join(current)
        if out and size(last) < MIN_SIZE and size(out[-1]) + size(last) <= MAX_SIZE * 3 // 2:
            out[-1] = f"{out[-1]}\n\n{last}"
        else:
            out.append(last)
    return out


def _split(block: _Block) -> list[str]:
    """A block too long for one passage, cut at its natural seams."""
    if block.kind == "verbatim":
        return [block.text]
    lines = block.text.split("\n")
    if block.kind == "table":
        head, rows = lines[:2], lines[2:]
        return [
            "\n".join([*head, *group])
            for group in _groups(rows, "\n", MAX_SIZE - size("".join(head)))
        ]
    if block.kind == "list":
        items: list[str] = []
        for line in lines:
            if _LIST_ITEM.match(line) or not items:
                items.append(line)
            else:
                items[-1] += "\n" + line
        if len(items) > 1:
            return ["\n".join(group) for group in _groups(items, "\n", MAX_SIZE)]
    sentences = [s for s in _SENTENCE_END.split(block.text) if s.strip()]
    pieces: list[str] = []
    for sentence in sentences:
        pieces.extend(_hard_split(sentence) if size(sentence) > MAX_SIZE else [sentence])
    joiner = "" if _mostly_cjk(block.text) else " "
    return [joiner.join(group).strip() for group in _groups(pieces, joiner, MAX_SIZE)]


def _groups(parts: list[str], joiner: str, limit: int) -> list[list[str]]:
    """Consecutive parts gathered into groups of at most ``limit`` words (a single part
    larger than that makes a group of its own)."""
    groups: list[list[str]] = []
    total = 0
    for part in parts:
        n = size(part)
        if groups and total + n <= limit:
            groups[-1].append(part)
            total += n
        else:
            groups.append([part])
            total = n
    return groups


def _hard_split(sentence: str) -> list[str]:
    """A 'sentence' longer than a passage (no full stops at all): cut every MAX_SIZE words."""
    spans = [m.span() for m in _UNITS.finditer(sentence)]
    starts = [spans[n][0] for n in range(0, len(spans), MAX_SIZE)]
    bounds = [*starts[1:], len(sentence)]
    return [sentence[a:b].strip() for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]


def _mostly_cjk(text: str) -> bool:
    units = _UNITS.findall(text)
    return sum(len(u) == 1 and ord(u) >= 0x2E80 for u in units) > len(units) / 2
