"""Leaderboard figures as HTML fragments (plotly; plotly.js is served locally, once a page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from ratings.models import RatingSnapshot, display_name

# Figures are fragments; the page loads plotly.js itself from our own server.
_HTML_OPTIONS: dict[str, Any] = {
    "full_html": False,
    "include_plotlyjs": False,
    "config": {"displaylogo": False, "responsive": True},
}
# Past this many contenders a heatmap becomes unreadable: show the top ones.
MAX_HEATMAP = 30
MAX_HISTORY_LINES = 12


def _html(fig: go.Figure) -> str:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10}, template="plotly_white")
    html: str = fig.to_html(**_HTML_OPTIONS)
    return html


def ci_chart(rows: list[dict[str, Any]], *, title: str) -> str:
    """Ratings with their confidence intervals, best at the top."""
    rows = [r for r in rows if r["ci_lower"] is not None and r["ci_upper"] is not None]
    if not rows:
        return ""
    names = [r["name"] for r in rows]
    ratings = [r["rating"] for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=ratings,
            y=names,
            mode="markers",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["ci_upper"] - r["rating"] for r in rows],
                "arrayminus": [r["rating"] - r["ci_lower"] for r in rows],
            },
            hovertemplate="%{y}: %{x:.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="Rating",
        yaxis={"autorange": "reversed", "type": "category"},
        height=max(250, 22 * len(rows) + 90),
    )
    return _html(fig)


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
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=names,
            y=names,
            colorscale=colorscale,
            zmid=zmid,
            texttemplate=f"%{{z:{value_format}}}",
            hovertemplate=f"%{{y}} vs %{{x}}: %{{z:{value_format}}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis={"side": "top", "type": "category"},
        yaxis={"autorange": "reversed", "type": "category"},
        height=max(300, 28 * len(names) + 140),
    )
    return _html(fig)


def history_chart(series: dict[str, list[tuple[datetime, float]]], *, title: str) -> str:
    """Each contender's rating across snapshots."""
    lines = [(name, points) for name, points in series.items() if len(points) > 1]
    if not lines:
        return ""
    fig = go.Figure(
        [
            go.Scatter(
                x=[at for at, _ in points],
                y=[rating for _, rating in points],
                mode="lines+markers",
                name=name,
            )
            for name, points in lines[:MAX_HISTORY_LINES]
        ]
    )
    fig.update_layout(title=title, yaxis_title="Rating", height=400)
    return _html(fig)


def leaderboard_figures(
    snapshot: RatingSnapshot, board: dict[str, Any], *, staff: bool
) -> dict[str, str]:
    """All figures of one category of the leaderboard page, as HTML fragments."""
    category = board["category"]
    figures = {"ci": ci_chart(board["rows"], title=f"Rating and 95% interval · {category}")}
    result = snapshot.category_results.filter(category=category).first()
    if result is not None:
        m = result.visible_matrices(staff=staff)
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
    top = list(snapshot.visible_rows(category, staff=staff)[:MAX_HISTORY_LINES])
    series = snapshot.history(category, [r.contender_id for r in top])
    named = {display_name(r.contender, staff=staff): series[r.contender_id] for r in top}
    figures["history"] = history_chart(named, title="Rating across snapshots")
    return figures
