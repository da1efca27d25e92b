"""The leaderboard page, and plotly.js served from our own server (no CDN)."""

from __future__ import annotations

from pathlib import Path

import plotly
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ratings.plots import leaderboard_figures
from ratings.snapshots import current_snapshot

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "overall").strip() or "overall"
    staff = request.user.is_staff
    snapshot = current_snapshot()
    if snapshot is None:
        return render(request, "ratings/leaderboard.html", {"snapshot": None})
    categories = snapshot.categories()
    if category not in categories:
        context = {
            "snapshot": snapshot,
            "categories": categories,
            "error": f"Unknown category {category!r}. Pick one of the tabs above.",
        }
        return render(request, "ratings/leaderboard.html", context, status=404)
    board = snapshot.leaderboard(category, staff=staff)
    context = {
        "snapshot": snapshot,
        "categories": categories,
        "board": board,
        "figures": leaderboard_figures(snapshot, board, staff=staff),
    }
    return render(request, "ratings/leaderboard.html", context)


@require_GET
@cache_control(public=True, max_age=86400)
def plotly_js(request: HttpRequest) -> FileResponse:
    return FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
