"""The course map as a server-drawn SVG: concepts in layers by prerequisite depth, an arrow
from each prerequisite to the concept that needs it, each box coloured by mastery.

Drawn on the server so that it needs no JavaScript and prints; the page puts the same numbers
in a table beside it. A layer wider than ``across`` boxes wraps onto more rows: the page draws
the map twice, four boxes across for wide screens and two for a phone, and shows the one
that fits (CSS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnloop.recommend.graph import ConceptGraph
from learnloop.tracing import MASTERED

BOX_W = 168
BOX_H_LINE = 17
GAP_X = 22
GAP_Y = 46
PAD = 12
WIDE = 4
NARROW = 2
MAX_LINES = 4
CHARS_PER_LINE = 21
"""Latin characters per line of a box; a CJK character counts as two."""


@dataclass(frozen=True)
class MapConcept:
    key: str
    name: str
    prerequisites: list[str]
    p_mastery: float
    attempts: int
    mastered: bool
    href: str | None
    description: str = ""


@dataclass
class Box:
    concept: MapConcept
    x: float
    y: float
    w: float
    h: float
    lines: list[str]
    fill: str
    stroke: str

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def text_rows(self) -> list[tuple[float, str]]:
        """(baseline y, text) of each line of the name."""
        return [(self.y + 21 + n * BOX_H_LINE, line) for n, line in enumerate(self.lines)]

    @property
    def value_y(self) -> float:
        """Baseline of the mastery figure, at the bottom of the box."""
        return self.y + self.h - 10


@dataclass(frozen=True)
class Arrow:
    d: str
    """An SVG path from the prerequisite's bottom to the concept's top."""
    done: bool
    """The prerequisite is mastered."""


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    boxes: list[Box]
    arrows: list[Arrow]


def mastery_colour(p: float) -> str:
    """Red (0) through amber to green (mastered), light enough for dark text on it."""
    share = min(max(p / MASTERED, 0.0), 1.0)
    hue = round(4 + share * 116)
    return f"hsl({hue}, 70%, {86 - round(share * 6)}%)"


def border_colour(p: float) -> str:
    share = min(max(p / MASTERED, 0.0), 1.0)
    return f"hsl({round(4 + share * 116)}, 55%, 32%)"


UNSEEN_FILL = "#eef1f5"
UNSEEN_BORDER = "#64748b"
"""A concept never practised is neutral grey: only evidence gets a colour."""


def box_colours(c: MapConcept) -> tuple[str, str]:
    """(fill, border) of a concept's box."""
    if not c.attempts:
        return UNSEEN_FILL, UNSEEN_BORDER
    return mastery_colour(c.p_mastery), border_colour(c.p_mastery)


_CJK_RANGES = "\u2014\u2015\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{_CJK_RANGES}]")
_TOKENS = re.compile(f"[{_CJK_RANGES}]|[^\\s{_CJK_RANGES}]+|\\s+")


def _width(text: str) -> int:
    return sum(2 if _CJK.match(c) else 1 for c in text)


def wrap(text: str, per_line: int = CHARS_PER_LINE, max_lines: int = MAX_LINES) -> list[str]:
    """Lines for a box: at spaces, or between any two CJK characters; an ellipsis when the
    text does not fit."""
    tokens = _TOKENS.findall(text)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            if line and not line.endswith(" "):
                line += " "
            continue
        if _width(line) + _width(token) > per_line and line.strip():
            lines.append(line.rstrip())
            line = ""
        while _width(token) > per_line:  # a single word longer than a line
            lines.append(token[: per_line - 1] + "-")
            token = token[per_line - 1 :]
        line += token
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _width(last) > per_line - 1:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines or [""]


def layout(concepts: list[MapConcept], across: int = WIDE) -> MapLayout:
    # course packs are acyclic; a cycle that slipped in is drawn flat rather than looped on
    graph = ConceptGraph([c.key for c in concepts], {c.key: c.prerequisites for c in concepts})
    by_key = {c.key: c for c in concepts}
    # order each layer by where its prerequisites sit (fewer crossing arrows)
    position: dict[str, float] = {}

    def below(c: MapConcept) -> float:
        needs = graph.prerequisites(c.key)
        return sum(position.get(p, 0.0) for p in needs) / max(len(needs), 1)

    rows: list[list[MapConcept]] = []
    for level, keys in enumerate(graph.layers()):
        members = [by_key[key] for key in keys]
        if level:
            members.sort(key=below)
        for start in range(0, len(members), across):
            row = members[start : start + across]
            rows.append(row)
            for n, c in enumerate(row):
                position[c.key] = (n + 0.5) / len(row)
    widest = max((len(r) for r in rows), default=1)
    width = PAD * 2 + widest * BOX_W + (widest - 1) * GAP_X
    boxes: dict[str, Box] = {}
    y = float(PAD)
    for row in rows:
        wrapped = [wrap(c.name) for c in row]
        h = (max(len(w) for w in wrapped) + 1) * BOX_H_LINE + 14
        row_w = len(row) * BOX_W + (len(row) - 1) * GAP_X
        x = (width - row_w) / 2
        for c, lines in zip(row, wrapped, strict=True):
            boxes[c.key] = Box(
                concept=c,
                x=x,
                y=y,
                w=BOX_W,
                h=h,
                lines=lines,
                fill=box_colours(c)[0],
                stroke=box_colours(c)[1],
            )
            x += BOX_W + GAP_X
        y += h + GAP_Y
    arrows = []
    for c in concepts:
        to = boxes[c.key]
        for p in graph.prerequisites(c.key):
            frm = boxes[p]
            x1, y1 = frm.cx, frm.y + frm.h
            x2, y2 = to.cx, to.y - 3
            bend = max((y2 - y1) * 0.5, 12)
            arrows.append(
                Arrow(
                    d=f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} "
                    f"{x2:.1f},{y2:.1f}",
                    done=frm.concept.mastered,
                )
            )
    return MapLayout(width=width, height=y - GAP_Y + PAD, boxes=list(boxes.values()), arrows=arrows)
