"""Charts as plotly figures: built and checked here with ``plotly.graph_objects``, drawn in the
browser by plotly.js (``/vendor/plotly.min.js``, from the same package).

A page puts a figure in ``{{ chart(figure, label) }}`` (``templates/macros.html``), which
writes the figure as JSON beside an empty box; ``static/charts.js`` draws it. Every chart
comes with a table of its numbers on the same page, for readers without JavaScript or sight.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

COLOURS = ("#1d4ed8", "#15803d", "#7c3aed", "#b45309", "#0f766e", "#be185d", "#c2410c")
"""Dark enough to read on white; told apart by their dash pattern and marker too."""
DASHES = ("solid", "dot", "dashdot", "longdash", "dash", "longdashdot", "dash")
MARKERS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star")


def line_chart(
    x: Sequence[datetime | float | str],
    series: Mapping[str, Sequence[float | None]],
    *,
    x_title: str,
    y_title: str,
    percent: bool = False,
    x_axis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A line per series over ``x`` (``None``: no value there yet); the figure as plain
    JSON-ready data. With ``percent`` the values are shares, shown as 0-100 %; ``x_axis``
    adds to plotly's ``layout.xaxis``."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for n, (name, values) in enumerate(series.items()):
        figure.add_trace(
            go.Scatter(
                x=list(x),
                y=[None if v is None else round(v * 100, 1) if percent else v for v in values],
                name=name,
                mode="lines+markers",
                line={"color": COLOURS[n % len(COLOURS)], "dash": DASHES[n % len(DASHES)]},
                marker={"symbol": MARKERS[n % len(MARKERS)], "size": 7},
                hovertemplate="%{y}" + ("%" if percent else "") + "<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(
        template="none",
        margin={"l": 56, "r": 16, "t": 40, "b": 48},
        height=320,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        font={"family": "system-ui, sans-serif", "size": 13},
        xaxis={"title": {"text": x_title}, "automargin": True, **(x_axis or {})},
        yaxis={
            "title": {"text": y_title},
            "range": [0, 100] if percent else None,
            "ticksuffix": "%" if percent else "",
            "gridcolor": "#e5e7eb",
        },
    )
    return json.loads(figure.to_json())
