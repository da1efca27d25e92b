"""Leaderboard figures as HTML fragments (plotly; plotly.js is served locally, once a page).

Figures are written as plain plotly JSON (``Plotly.newPlot(id, data, layout)``) rather
than through ``plotly.graph_objects``: its validation costs ~20 ms a figure, which
alone would take the pages past their 100 ms budget.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import escape

from ratings.boards import HistoryPoint, rating_history
from ratings.models import RatingSnapshot

# Past this many contenders a heatmap becomes unreadable: show the top ones.
MAX_HEATMAP = 30
MAX_HISTORY_LINES = 12
_CONFIG = {"displaylogo": False, "responsive": True}
# What plotly's "plotly_white" template amounts to for these charts.
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"color": "#2a3f5f"},
    "xaxis": {"gridcolor": "#EBF0F8", "automargin": True, "zeroline": False},
    "yaxis": {"gridcolor": "#EBF0F8", "automargin": True, "zeroline": False},
    "hovermode": "closest",
}
_COLORS = [
    "#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3",
    "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
]  # fmt: skip


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def figure_html(data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """A ``<div>`` and the script that draws it (plotly.js must be loaded by the page)."""
    div = f"fig-{uuid.uuid4().hex[:12]}"
    # "</" inside a <script> would end it: escape it in the JSON.
    payload = ", ".join(
        json.dumps(part, cls=DjangoJSONEncoder).replace("</", "<\\/")
        for part in (data, _merge(_LAYOUT, layout), _CONFIG)
    )
    return (
        f'<div id="{div}" class="plotly-graph-div"></div>'
        f'<script>Plotly.newPlot("{div}", {payload});</script>'
    )


def ci_chart(rows: Sequence[dict[str, Any]], *, title: str) -> str:
    """Ratings with their confidence intervals, best at the top."""
    rows = [r for r in rows if r["ci_lower"] is not None and r["ci_upper"] is not None]
    if not rows:
        return ""
    data = [
        {
            "type": "scatter",
            "x": [r["rating"] for r in rows],
            "y": [r["name"] for r in rows],
            "mode": "markers",
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [r["ci_upper"] - r["rating"] for r in rows],
                "arrayminus": [r["rating"] - r["ci_lower"] for r in rows],
            },
            "hovertemplate": "%{y}: %{x:.0f}<extra></extra>",
        }
    ]
    layout = {
        "title": {"text": escape(title)},
        "xaxis": {"title": {"text": "Rating"}},
        "yaxis": {"autorange": "reversed", "type": "category"},
        "height": max(250, 22 * len(rows) + 90),
    }
    return figure_html(data, layout)


def heatmap(
    names: list[str],
    values: list[list[Any]],
    *,
    title: str,
    value_format: str,
    colorscale: str,
    zmid: float | None = None,
) -> str:
    """A square matrix, row contender against column contender."""
    if len(names) < 2:
        return ""
    names, values = names[:MAX_HEATMAP], [row[:MAX_HEATMAP] for row in values[:MAX_HEATMAP]]
    trace: dict[str, Any] = {
        "type": "heatmap",
        "z": values,
        "x": names,
        "y": names,
        "colorscale": colorscale,
        "texttemplate": f"%{{z:{value_format}}}",
        "hovertemplate": f"%{{y}} vs %{{x}}: %{{z:{value_format}}}<extra></extra>",
    }
    if zmid is not None:
        trace["zmid"] = zmid
    layout = {
        "title": {"text": escape(title)},
        "xaxis": {"side": "top", "type": "category"},
        "yaxis": {"autorange": "reversed", "type": "category"},
        "height": max(300, 28 * len(names) + 140),
    }
    return figure_html([trace], layout)


def history_chart(series: dict[str, list[HistoryPoint]], *, title: str) -> str:
    """Each contender's rating across snapshots, with its interval as a shaded band.

    A point where the contender had too few votes to be ranked is drawn hollow, so a
    thin trend shows its uncertainty rather than a line that pretends precision.
    """
    lines = [(name, points) for name, points in series.items() if len(points) > 1]
    if not lines:
        return ""
    data: list[dict[str, Any]] = []
    for k, (name, points) in enumerate(lines[:MAX_HISTORY_LINES]):
        color = _COLORS[k % len(_COLORS)]
        # ISO strings once: each point is written three times (band out, back, line).
        iso = {id(p): p.at.isoformat() for p in points}
        at = [iso[id(p)] for p in points]
        banded = [p for p in points if p.ci_lower is not None and p.ci_upper is not None]
        if banded:
            data.append(
                {
                    "type": "scatter",
                    "x": [iso[id(p)] for p in banded] + [iso[id(p)] for p in reversed(banded)],
                    "y": [p.ci_upper for p in banded] + [p.ci_lower for p in reversed(banded)],
                    "fill": "toself",
                    "fillcolor": _rgba(color, 0.15),
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "legendgroup": name,
                    "showlegend": False,
                    "name": f"{name} 95% interval",
                }
            )
        data.append(
            {
                "type": "scatter",
                "x": at,
                "y": [p.rating for p in points],
                "customdata": [[p.ci_lower, p.ci_upper, p.votes] for p in points],
                "mode": "lines+markers",
                "name": escape(name),
                "legendgroup": name,
                "line": {"color": color},
                "marker": {
                    "color": [color if p.ranked else "white" for p in points],
                    "line": {"color": color, "width": 1.5},
                    "size": 7,
                },
                "hovertemplate": (
                    f"{escape(name)}: %{{y:.0f}} [%{{customdata[0]:.0f}}, "
                    "%{customdata[1]:.0f}], %{customdata[2]} votes<extra></extra>"
                ),
            }
        )
    layout = {
        "title": {"text": escape(title)},
        "yaxis": {"title": {"text": "Rating"}},
        "height": 400,
    }
    return figure_html(data, layout)


def leaderboard_figures(
    snapshot: RatingSnapshot, board: dict[str, Any], *, staff: bool
) -> dict[str, str]:
    """All figures of one category of the leaderboard page, as HTML fragments."""
    category = board["category"]
    figures = {"ci": ci_chart(board["rows"], title=f"Rating and 95% interval · {category}")}
    result = snapshot.category_results.filter(category=category).first()
    if result is not None:
        m = result.visible_matrices(staff=staff, limit=MAX_HEATMAP)
        figures["win_rate"] = heatmap(
            m.names,
            m.win_rate,
            title="Win rate of row against column (ties count half)",
            value_format=".2f",
            colorscale="RdBu",
            zmid=0.5,
        )
        figures["battles"] = heatmap(
            m.names, m.battles, title="Battles per pair", value_format="d", colorscale="Blues"
        )
    top = [r for r in board["rows"] if r["rank"] is not None][:MAX_HISTORY_LINES]
    series = rating_history(
        snapshot, category, [r["id"] for r in top], style_control=board["style_control"]
    )
    named = {r["name"]: series[r["id"]] for r in top}
    figures["history"] = history_chart(
        named, title="Rating across snapshots (band: 95% interval; hollow: too few votes)"
    )
    return figures


def model_history_chart(
    snapshot: RatingSnapshot, contender_id: int, name: str, *, style_control: bool
) -> str:
    """One contender's overall rating across snapshots, with its interval band."""
    series = rating_history(snapshot, "overall", [contender_id], style_control=style_control)
    return history_chart(
        {name: series[contender_id]},
        title="Overall rating across snapshots (band: 95% interval; hollow: too few votes)",
    )
