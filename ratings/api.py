"""The leaderboard JSON API: one category, the overview across categories, one contender,
and the export of a snapshot (CSV or JSON)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field

from arena.errors import BadRequest, NotFound
from ratings.access import sees_preliminary
from ratings.boards import (
    EXPORT_COLUMNS,
    SORT_KEYS,
    export_rows,
    model_report,
    overview,
    visible_contender,
)
from ratings.models import RatingSnapshot
from ratings.snapshots import current_snapshot

router = Router(tags=["ratings"])

# The row types are plain pydantic models rather than ninja Schemas: ninja's Schema runs
# a Django-aware validator per object, ten times slower over 150 rows x 20 categories.


class LeaderboardRow(BaseModel):
    id: int
    name: str
    revealed: bool
    retired: bool
    rating: float
    ci_lower: float | None
    ci_upper: float | None
    # None below the category's vote threshold ("not enough votes").
    rank: int | None
    rank_ub: int | None
    votes: int
    win_rate: float | None
    # Probability of being #1 among the ranked contenders.
    p_first: float | None
    # Revealed, with fewer than ARENA_PROVISIONAL_VOTES votes since the reveal.
    provisional: bool = False
    retired_at: datetime | None = None


class StyleCoefficient(BaseModel):
    coef: float
    ci_lower: float | None
    ci_upper: float | None


class ExcludedVotes(BaseModel):
    votes: int = Field(description="All votes when the snapshot was computed.")
    excluded: int = Field(description="Votes kept but left out of the ratings.")
    share: float = Field(description="excluded / votes.")
    by_kind: dict[str, int] = Field(
        description="Excluded votes by kind: identity_leak, identity_question, "
        "duplicate_cap, flagged_voter, failed_side, other."
    )


class Leaderboard(Schema):
    computed_at: datetime | None
    snapshot: int | None
    method: dict[str, Any]
    votes: int
    category: str
    category_votes: int
    categories: list[str]
    hidden: int
    retired_hidden: int
    show_retired: bool
    min_votes: int
    # Which fit the rows are: the style-controlled one when asked for and available.
    style_control: bool
    style_available: bool
    style_votes: int
    style_coefficients: dict[str, StyleCoefficient]
    warnings: list[str]
    excluded: ExcludedVotes
    rows: list[LeaderboardRow]


class OverviewCell(BaseModel):
    rank: int | None
    rank_ub: int | None
    rating: float
    votes: int
    # Rank upper bound 1: nobody is statistically better in this category.
    first: bool


class OverviewRow(BaseModel):
    id: int
    name: str
    revealed: bool
    retired: bool
    rating: float | None
    votes: int
    p_first: float | None
    # In the order of ``categories``; None where the contender has no votes.
    ranks: list[OverviewCell | None]


class Overview(Schema):
    computed_at: datetime | None
    snapshot: int | None
    categories: list[str]
    style_control: dict[str, bool]
    show_retired: bool
    rows: list[OverviewRow]


class ModelCategory(BaseModel):
    category: str
    style_control: bool
    rating: float
    ci_lower: float | None
    ci_upper: float | None
    rank: int | None
    rank_ub: int | None
    votes: int
    win_rate: float | None
    p_first: float | None


class Opponent(BaseModel):
    id: int
    name: str
    battles: int
    win_rate: float | None


class ModelReport(Schema):
    id: int
    name: str
    revealed: bool
    retired: bool
    retired_at: datetime | None = None
    provisional: bool = False
    organisation: str
    computed_at: datetime
    snapshot: int
    categories: list[ModelCategory]
    opponents: list[Opponent]


def _empty_board(category: str, show_retired: bool) -> dict[str, Any]:
    return {
        "computed_at": None,
        "snapshot": None,
        "method": {},
        "votes": 0,
        "category": category,
        "category_votes": 0,
        "categories": [],
        "hidden": 0,
        "retired_hidden": 0,
        "show_retired": show_retired,
        "min_votes": 0,
        "style_control": False,
        "style_available": False,
        "style_votes": 0,
        "style_coefficients": {},
        "warnings": [],
        "excluded": {"votes": 0, "excluded": 0, "share": 0.0, "by_kind": {}},
        "rows": [],
    }


@router.get("/leaderboard", response=Leaderboard)
def leaderboard(
    request: HttpRequest,
    category: str = "overall",
    style_control: bool = True,
    show_retired: bool = False,
) -> dict[str, Any]:
    """Ratings of one category (style-controlled by default where the category has the
    fit); unrevealed codenames are listed only for staff, retired contenders on request."""
    staff = sees_preliminary(request.user)
    snapshot = current_snapshot()
    if snapshot is None:
        return _empty_board(category, show_retired)
    categories = snapshot.categories()
    if category not in categories:
        raise NotFound(f"unknown category {category!r}; available: {', '.join(categories)}")
    return snapshot.leaderboard(
        category,
        staff=staff,
        style_control=style_control,
        show_retired=show_retired,
    )


@router.get("/leaderboard/overview", response=Overview)
def leaderboard_overview(
    request: HttpRequest,
    style_control: bool = True,
    show_retired: bool = False,
    sort: str = "overall",
    descending: bool = False,
) -> dict[str, Any]:
    """Every contender's rank and rank upper bound in every category; rows sorted by rank
    in ``sort`` (a category), or by ``rating``, ``votes`` or ``name``."""
    snapshot = current_snapshot()
    if snapshot is None:
        return {
            "computed_at": None,
            "snapshot": None,
            "categories": [],
            "style_control": {},
            "show_retired": show_retired,
            "rows": [],
        }
    if sort not in SORT_KEYS and sort not in snapshot.categories():
        raise BadRequest(f"cannot sort by {sort!r}: a category, rating, votes or name")
    return overview(
        snapshot,
        staff=sees_preliminary(request.user),
        style_control=style_control,
        show_retired=show_retired,
        sort=sort,
        descending=descending,
    )


@router.get("/leaderboard/models/{contender_id}", response=ModelReport)
def leaderboard_model(
    request: HttpRequest, contender_id: int, style_control: bool = True
) -> dict[str, Any]:
    """One contender across categories, and its win rate against every opponent."""
    staff = sees_preliminary(request.user)
    snapshot = current_snapshot()
    contender = visible_contender(contender_id, staff=staff)
    if snapshot is None or contender is None:
        raise NotFound("no such model on the leaderboard")
    return model_report(snapshot, contender, staff=staff, style_control=style_control)


@router.get("/leaderboard/export")
def leaderboard_export(
    request: HttpRequest,
    fmt: Literal["csv", "json"] = Query("json", alias="format"),
    snapshot: int | None = None,
) -> HttpResponse:
    """Every row of one snapshot (the latest by default): both fits, all categories."""
    staff = sees_preliminary(request.user)
    chosen = (
        current_snapshot()
        if snapshot is None
        else RatingSnapshot.objects.filter(pk=snapshot).first()
    )
    if chosen is None:
        raise NotFound("no such snapshot" if snapshot is not None else "no ratings yet")
    rows = export_rows(chosen, staff=staff)
    name = f"leaderboard-snapshot-{chosen.pk}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    body = {
        "snapshot": chosen.pk,
        "computed_at": chosen.computed_at.isoformat(),
        "method": chosen.public_method(staff=staff),
        "votes": chosen.votes,
        "rows": rows,
    }
    response = HttpResponse(json.dumps(body), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response
