"""The shapes of a leaderboard (typed dicts: they are stored and served as JSON as is)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class LeaderboardRow(TypedDict):
    """One contender in one category. ``rank``/``rank_ub`` are None below the vote
    threshold ("not enough votes"); the interval is None without an interval method."""

    model: str
    rating: float
    ci_lower: float | None
    ci_upper: float | None
    rank: int | None
    rank_ub: int | None
    votes: int
    win_rate: float
    p_first: NotRequired[float | None]


class StyleCoefficient(TypedDict):
    """Log-odds effect of one standard deviation of a style feature, with its interval."""

    coef: float
    ci_lower: float | None
    ci_upper: float | None


class CategoryBoard(TypedDict):
    """One category: its votes, its rows (highest rating first) and what to warn about."""

    votes: int
    rows: list[LeaderboardRow]
    warnings: list[str]
    style_coefficients: NotRequired[dict[str, StyleCoefficient]]


class Leaderboard(TypedDict):
    """Every category, with the method record of the fit (see ``FitOptions.method``)."""

    method: dict[str, Any]
    categories: dict[str, CategoryBoard]
