"""The leaderboard pages (one category, the overview, one model) and plotly.js served from
our own server (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from battles.exclusions import KIND_LABELS
from ratings.access import sees_preliminary
from ratings.boards import SORT_KEYS, model_report, overview, public_history, visible_contender
from ratings.plots import leaderboard_figures, model_history_chart
from ratings.snapshots import current_snapshot

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _flag(request: HttpRequest, name: str, default: bool) -> bool:
    """``?name=1``/``0`` (also on/off, true/false); anything else keeps the default."""
    value = request.GET.get(name, "").strip().lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    return default


def _filters(request: HttpRequest) -> dict[str, bool]:
    # As on LMArena: style control on, retired (deprecated) models hidden.
    return {
        "style_control": _flag(request, "style", True),
        "show_retired": _flag(request, "retired", False),
    }


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    """The public board: revealed contenders only, whoever is looking."""
    return _board_page(request, preliminary=False)


@require_GET
def preliminary_leaderboard(request: HttpRequest) -> HttpResponse:
    """The same fit with the unrevealed codenames and their intervals, for staff and the
    analysts group only (anyone else: 404, the page does not exist for them)."""
    if not sees_preliminary(request.user):
        raise Http404("No such page.")
    return _board_page(request, preliminary=True)


def _board_page(request: HttpRequest, *, preliminary: bool) -> HttpResponse:
    category = request.GET.get("category", "overall").strip() or "overall"
    staff = preliminary
    base = {
        "preliminary": preliminary,
        "may_see_preliminary": sees_preliminary(request.user),
        "provisional_votes": settings.ARENA_PROVISIONAL_VOTES,
    }
    filters = _filters(request)
    snapshot = current_snapshot()
    if snapshot is None:
        return render(request, "ratings/leaderboard.html", {"snapshot": None, **base})
    categories = snapshot.categories()
    if category not in categories:
        context = {
            **base,
            "snapshot": snapshot,
            "categories": categories,
            "filters": filters,
            "error": f"Unknown category {category!r}. Pick one of the tabs above.",
        }
        return render(request, "ratings/leaderboard.html", context, status=404)
    board = snapshot.leaderboard(category, staff=staff, **filters)
    for row in board["rows"]:
        row["display"] = _row_display(row)
    board["excluded_text"] = excluded_text(board["excluded"])
    context = {
        **base,
        # One reverse() for the page rather than one per row.
        "model_url": reverse("ratings:model", args=[0]).removesuffix("0/"),
        "snapshot": snapshot,
        "categories": categories,
        "board": board,
        "filters": filters,
        "figures": leaderboard_figures(snapshot, board, staff=staff),
    }
    return render(request, "ratings/leaderboard.html", context)


@require_GET
def leaderboard_overview(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    snapshot = current_snapshot()
    if snapshot is None:
        return render(request, "ratings/overview.html", {"snapshot": None})
    sort = request.GET.get("sort", "overall").strip()
    if sort not in SORT_KEYS and sort not in snapshot.categories():
        sort = "overall"
    descending = request.GET.get("dir") == "desc"
    # A public board: unrevealed contenders are on the preliminary one only.
    board = overview(
        snapshot, staff=False, sort=sort, descending=descending, **filters
    )
    for row in board["rows"]:
        # One string per row: the template would spend most of the page on 3,000 cells.
        row["cells_html"] = format_html_join(
            "", '<td class="{}" title="{}">{} <small>{}</small></td>',
            (_overview_cell(cell) for cell in row["ranks"]),
        )  # fmt: skip
    context: dict[str, Any] = {
        "snapshot": snapshot,
        "board": board,
        "filters": filters,
        "model_url": reverse("ratings:model", args=[0]).removesuffix("0/"),
    }
    return render(request, "ratings/overview.html", context)


def excluded_text(excluded: dict[str, Any]) -> str:
    """'3.1% of 12,000 votes are not counted: identity leak 250, duplicate cap 120.'"""
    if not excluded["excluded"]:
        return ""
    kinds = ", ".join(
        f"{KIND_LABELS.get(kind, kind).lower()} {n:,}" for kind, n in excluded["by_kind"].items()
    )
    return (
        f"{100 * excluded['share']:.1f}% of {excluded['votes']:,} votes are kept but not "
        f"counted in the ratings: {kinds}."
    )


def _row_display(row: dict[str, Any]) -> dict[str, str]:
    """The formatted cells of a leaderboard row (Django's ``floatformat`` over 150 rows
    costs more than the queries)."""
    ranked = row["rank"] is not None
    lower, upper = row["ci_lower"], row["ci_upper"]
    return {
        "rank": str(row["rank_ub"]) if ranked else "not enough votes",
        "rating": f"{row['rating']:.0f}",
        "ci": "\u2013" if lower is None else f"{lower:.0f} \u2013 {upper:.0f}",
        "p_first": f"{100 * row['p_first']:.0f}%"
        if ranked and row["p_first"] is not None
        else "\u2013",
        "win_rate": "" if row["win_rate"] is None else f"{100 * row['win_rate']:.0f}%",
    }


def _overview_cell(cell: dict[str, Any] | None) -> tuple[str, str, str, str]:
    """(css class, title, rank upper bound text, rank text) of one overview cell."""
    if cell is None:
        return "unranked", "no votes", "\u2013", ""
    if cell["rank"] is None:
        return "unranked", f"{cell['votes']} votes", "not enough votes", ""
    if cell["first"]:
        return (
            "first",
            "#1: no model is statistically better",
            str(cell["rank_ub"]),
            (f"({cell['rank']})"),
        )
    return "", f"rating {cell['rating']:.0f}", str(cell["rank_ub"]), f"({cell['rank']})"


@require_GET
def model_page(request: HttpRequest, contender_id: int) -> HttpResponse:
    staff = sees_preliminary(request.user)
    style_control = _flag(request, "style", True)
    snapshot = current_snapshot()
    contender = visible_contender(contender_id, staff=staff)
    if snapshot is None or contender is None:
        raise Http404("No such model on the leaderboard.")
    report = model_report(snapshot, contender, staff=staff, style_control=style_control)
    styled = bool(report["categories"]) and report["categories"][0]["style_control"]
    context = {
        "snapshot": snapshot,
        "report": report,
        "history_steps": public_history(contender),
        "style_control": style_control,
        "history": model_history_chart(
            snapshot, contender.pk, report["name"], style_control=styled
        ),
    }
    return render(request, "ratings/model.html", context)


@require_GET
@cache_control(public=True, max_age=86400)
def plotly_js(request: HttpRequest) -> FileResponse:
    return FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
