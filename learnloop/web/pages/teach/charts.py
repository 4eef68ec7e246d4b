"""The teacher pages' charts as plotly figures (``web.pages.charts`` explains how a page draws
one). Each page puts a table of the same numbers right after its chart."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from learnloop.web.pages.charts import COLOURS

MASTERY_SCALE = [
    [0.0, "hsl(4, 70%, 86%)"],
    [0.5, "hsl(62, 70%, 83%)"],
    [1.0, "hsl(120, 70%, 80%)"],
]
"""Low to high mastery, pale enough for the dark numbers written in each cell: the scale of
the students' course map, and of ``cell_colour`` in the tables."""


def cell_colour(p: float) -> str:
    """The colour ``MASTERY_SCALE`` gives ``p`` (0 to 1), for a table cell beside the chart."""
    p = min(max(p, 0.0), 1.0)
    (a, (h0, l0)), (b, (h1, l1)) = (
        ((0.0, (4, 86)), (0.5, (62, 83)))
        if p <= 0.5
        else (
            (0.5, (62, 83)),
            (1.0, (120, 80)),
        )
    )
    f = (p - a) / (b - a)
    return f"hsl({round(h0 + f * (h1 - h0))}, 70%, {round(l0 + f * (l1 - l0))}%)"


UNSEEN = "#e5e7eb"
"""The background, which shows through where a student has no estimate yet."""
FONT = {"family": "system-ui, sans-serif", "size": 13}
ROW_HEIGHT = 34


def _figure_json(figure: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(figure.to_json())
    return found


def _wrap(label: str, width: int = 14) -> str:
    """A concept name on lines of about ``width`` characters, for a column heading."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines) or label


def _width(text: str) -> int:
    """Width in Latin characters: a Chinese character takes two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _label_room(concepts: Sequence[str], slanted: bool) -> int:
    """Pixels the column headings take above the cells."""
    longest = max((_width(c) for c in concepts), default=0)
    if slanted:
        return 40 + int(longest * 7 * 0.71)
    lines = max((_wrap(c).count("<br>") + 1 for c in concepts), default=1)
    return 40 + 18 * lines


def mastery_heatmap(
    students: Sequence[str],
    concepts: Sequence[str],
    p_mastery: Sequence[Sequence[float]],
    seen: Sequence[Sequence[bool]],
    *,
    x_title: str,
    hover_unseen: str,
    ranges: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Students (rows, first at the top) by concepts, each cell coloured and labelled with
    its estimate (and, on hover, the range it probably lies in, ``ranges``). A concept the
    student has not practised is a grey cell with no number: only evidence gets a colour."""
    import plotly.graph_objects as go

    z = [
        [round(p * 100, 1) if s else None for p, s in zip(row, flags, strict=True)]
        for row, flags in zip(p_mastery, seen, strict=True)
    ]
    text = [["" if v is None else f"{round(v)}%" for v in row] for row in z]
    spans = ranges or [["" for _ in row] for row in p_mastery]
    hover = [
        [
            (f"{round(p * 100)}%" + (f" ({r})" if r else "")) if s else hover_unseen
            for p, s, r in zip(row, flags, spans_row, strict=True)
        ]
        for row, flags, spans_row in zip(p_mastery, seen, spans, strict=True)
    ]
    many = len(concepts) > 8
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[c if many else _wrap(c) for c in concepts],
            y=list(students),
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            textfont={"size": 12, "color": "#111827"},
            hovertemplate="%{y} · %{x}: %{customdata}<extra></extra>",
            hoverongaps=False,
            zmin=0,
            zmax=100,
            colorscale=MASTERY_SCALE,
            xgap=2,
            ygap=2,
            colorbar={"ticksuffix": "%", "thickness": 12, "len": 0.9},
        )
    )
    figure.update_layout(
        template="none",
        font=FONT,
        plot_bgcolor=UNSEEN,
        height=_label_room(concepts, many) + 40 + ROW_HEIGHT * max(len(students), 3),
        margin={"l": 16, "r": 16, "t": 16, "b": 16},
        xaxis={
            "title": {"text": x_title, "standoff": 8},
            "side": "top",
            "automargin": True,
            "tickangle": -45 if many else 0,
            "showgrid": False,
        },
        yaxis={"autorange": "reversed", "automargin": True, "showgrid": False},
    )
    return _figure_json(figure)


def _count_step(series: dict[str, Sequence[float | None]]) -> int:
    """Whole steps for an axis of counts: a question is never asked 0.4 times."""
    top = max((v for values in series.values() for v in values if v is not None), default=1)
    return max(1, math.ceil(top / 8))


def horizontal_bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    x_title: str,
    percent: bool = False,
) -> dict[str, Any]:
    """One bar per label and series, labels top to bottom in the given order; a missing
    value draws no bar."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for n, (name, values) in enumerate(series.items()):
        xs = [None if v is None else round(v * 100, 1) if percent else v for v in values]
        figure.add_trace(
            go.Bar(
                y=list(labels),
                x=xs,
                name=name,
                orientation="h",
                marker={"color": COLOURS[n % len(COLOURS)]},
                text=["" if v is None else f"{round(v)}%" if percent else f"{v:g}" for v in xs],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        template="none",
        font=FONT,
        barmode="group",
        height=max(200, 110 + ROW_HEIGHT * len(labels) * max(1, len(series))),
        margin={"l": 16, "r": 40, "t": 40, "b": 48},
        showlegend=len(series) > 1,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        xaxis={
            "title": {"text": x_title},
            "range": [0, 105] if percent else None,
            "ticksuffix": "%" if percent else "",
            "gridcolor": "#e5e7eb",
            "rangemode": "tozero",
            "dtick": None if percent else _count_step(series),
        },
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return _figure_json(figure)
