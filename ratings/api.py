"""``GET /api/leaderboard``: the latest snapshot, one category at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from arena.errors import NotFound
from ratings.snapshots import current_snapshot

router = Router(tags=["ratings"])


class LeaderboardRow(Schema):
    name: str
    revealed: bool
    rating: float
    ci_lower: float | None
    ci_upper: float | None
    rank: int
    rank_ub: int
    votes: int
    win_rate: float | None


class Leaderboard(Schema):
    computed_at: datetime | None
    method: dict[str, Any]
    votes: int
    category: str
    category_votes: int
    categories: list[str]
    hidden: int
    warnings: list[str]
    rows: list[LeaderboardRow]


@router.get("/leaderboard", response=Leaderboard)
def leaderboard(request: HttpRequest, category: str = "overall") -> dict[str, Any]:
    """Ratings of one category; unrevealed codenames are listed only for staff."""
    staff = request.user.is_staff
    snapshot = current_snapshot()
    if snapshot is None:
        return {
            "computed_at": None,
            "method": {},
            "votes": 0,
            "category": category,
            "category_votes": 0,
            "categories": [],
            "hidden": 0,
            "warnings": [],
            "rows": [],
        }
    categories = snapshot.categories()
    if category not in categories:
        raise NotFound(f"unknown category {category!r}; available: {', '.join(categories)}")
    return snapshot.leaderboard(category, staff=staff)
