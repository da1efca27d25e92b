"""What the leaderboard pages read from a snapshot: the overview across categories, one
contender's report, its rating history, and the export rows.

Every function applies the anonymity rule of :meth:`arena.models.Contender.name_for` (an
unrevealed contender appears only to staff) and reads compact ``values_list`` rows,
never one model instance per rating row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from arena.models import Contender, TransitionEvent, revealed_q
from ratings.models import CategoryResult, RatingRow, RatingSnapshot, is_retired
from ratings.provisional import provisional_ids

OVERALL = "overall"
# The overview's sort keys besides a category name (which sorts by rank there).
SORT_KEYS = ("rating", "votes", "name")


def fits_shown(snapshot: RatingSnapshot, *, style_control: bool) -> dict[str, bool]:
    """Per category of ``snapshot``: whether its style-controlled fit is shown."""
    styled = snapshot.style_categories() if style_control else set()
    return {c: c in styled for c in snapshot.categories()}


def _fit_q(shown: dict[str, bool]) -> Q:
    styled = [c for c, s in shown.items() if s]
    plain = [c for c, s in shown.items() if not s]
    return Q(style_control=True, category__in=styled) | Q(style_control=False, category__in=plain)


# What the pages need of a contender (not its generation parameters' JSON).
CONTENDER_FIELDS = (
    "id", "codename", "public_name", "revealed_at", "status", "historic", "retired_at",
)  # fmt: skip


def _visible_contenders(ids: set[int], *, staff: bool, show_retired: bool) -> dict[int, Contender]:
    found = Contender.objects.only(*CONTENDER_FIELDS).in_bulk(list(ids))
    return {
        cid: c
        for cid, c in found.items()
        if (staff or c.is_revealed) and (show_retired or not is_retired(c))
    }


def overview(
    snapshot: RatingSnapshot,
    *,
    staff: bool,
    style_control: bool = True,
    show_retired: bool = False,
    sort: str = OVERALL,
    descending: bool = False,
) -> dict[str, Any]:
    """Every contender's rank (and rank upper bound) in every category, one row each.

    ``sort`` and ``descending`` as for :func:`sort_overview`. The fit shown per category
    is the style-controlled one where it exists and ``style_control`` asks for it. A
    cell with ``first`` is a contender whose rank upper bound is 1 there: no contender
    is statistically better.
    """
    categories = snapshot.categories()
    shown = fits_shown(snapshot, style_control=style_control)
    values = snapshot.rows.filter(_fit_q(shown)).values_list(
        "category", "contender_id", "rating", "rank", "rank_ub", "votes", "p_first"
    )
    raw = list(values)
    people = _visible_contenders({r[1] for r in raw}, staff=staff, show_retired=show_retired)
    by_contender: dict[int, dict[str, Any]] = {}
    for category, cid, rating, rank, rank_ub, votes, p_first in raw:
        c = people.get(cid)
        if c is None:
            continue
        row = by_contender.get(cid)
        if row is None:
            row = by_contender[cid] = {
                "id": cid,
                "name": c.name_for(codename_allowed=staff),
                "revealed": c.is_revealed,
                "retired": is_retired(c),
                "rating": None,
                "votes": 0,
                "p_first": None,
                "cells": {},
            }
        row["cells"][category] = {
            "rank": rank,
            "rank_ub": rank_ub,
            "rating": round(rating, 2),
            "votes": votes,
            "first": rank_ub == 1,
        }
        if category == OVERALL:
            row["rating"] = round(rating, 2)
            row["votes"] = votes
            row["p_first"] = None if p_first is None else round(p_first, 4)
    rows = sort_overview(list(by_contender.values()), sort, descending=descending)
    for row in rows:
        row["ranks"] = [row["cells"].get(c) for c in categories]
    return {
        "computed_at": snapshot.computed_at.isoformat(),
        "snapshot": snapshot.pk,
        "categories": categories,
        "style_control": shown,
        "show_retired": show_retired,
        "sort": sort,
        "descending": descending,
        "rows": rows,
    }


def sort_overview(
    rows: list[dict[str, Any]], sort: str, *, descending: bool = False
) -> list[dict[str, Any]]:
    """Rows in the order the overview's column headers ask for.

    By a category: best rank first (rank upper bound, then rank, then rating), unranked
    and absent last. ``rating``/``votes``: highest first; ``name``: alphabetical.
    ``descending`` reverses the order (absent cells stay last).
    """
    if sort == "name":
        return sorted(rows, key=lambda r: str(r["name"]).lower(), reverse=descending)
    if sort in ("rating", "votes"):
        present = [r for r in rows if r[sort] is not None]
        absent = [r for r in rows if r[sort] is None]
        present.sort(key=lambda r: (-float(r[sort]), str(r["name"])))
        return (present[::-1] if descending else present) + absent
    ranked: list[dict[str, Any]] = []
    unranked: list[dict[str, Any]] = []
    for r in rows:
        cell = r["cells"].get(sort)
        (ranked if cell is not None and cell["rank"] is not None else unranked).append(r)
    ranked.sort(
        key=lambda r: (
            r["cells"][sort]["rank_ub"],
            r["cells"][sort]["rank"],
            -r["cells"][sort]["rating"],
            str(r["name"]),
        )
    )
    return (ranked[::-1] if descending else ranked) + unranked


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime
    rating: float
    ci_lower: float | None
    ci_upper: float | None
    votes: int
    ranked: bool


def rating_history(
    snapshot: RatingSnapshot,
    category: str,
    contender_ids: list[int],
    *,
    style_control: bool,
    snapshots: int = 100,
) -> dict[int, list[HistoryPoint]]:
    """Rating, interval and votes of these contenders in the last ``snapshots`` snapshots
    up to ``snapshot``, oldest first (two queries: the snapshots' times, then the rows)."""
    recent = list(
        RatingSnapshot.objects.filter(computed_at__lte=snapshot.computed_at)
        .order_by("-computed_at", "-id")
        .values_list("id", "computed_at")[:snapshots]
    )
    when = dict(recent)
    order = {sid: k for k, (sid, _) in enumerate(reversed(recent))}
    points = RatingRow.objects.filter(
        category=category,
        style_control=style_control,
        contender_id__in=contender_ids,
        snapshot_id__in=list(when),
    ).values_list("contender_id", "snapshot_id", "rating", "ci_lower", "ci_upper", "votes", "rank")
    series: dict[int, list[HistoryPoint]] = {c: [] for c in contender_ids}
    for cid, sid, rating, lower, upper, votes, rank in sorted(points, key=lambda p: order[p[1]]):
        series[cid].append(HistoryPoint(when[sid], rating, lower, upper, votes, rank is not None))
    return series


def model_report(
    snapshot: RatingSnapshot,
    contender: Contender,
    *,
    staff: bool,
    style_control: bool = True,
) -> dict[str, Any]:
    """One contender: its rating, interval, rank and chance of #1 in every category, its
    win rate against every (visible) opponent overall, and its overall rating history."""
    shown = fits_shown(snapshot, style_control=style_control)
    values = snapshot.rows.filter(_fit_q(shown), contender=contender).values_list(
        "category", "rating", "ci_lower", "ci_upper", "rank", "rank_ub", "votes", "win_rate",
        "p_first",
    )  # fmt: skip
    found = {r[0]: r for r in values}
    categories = []
    for category in snapshot.categories():
        r = found.get(category)
        if r is None:
            continue
        categories.append(
            {
                "category": category,
                "style_control": shown[category],
                "rating": round(r[1], 2),
                "ci_lower": None if r[2] is None else round(r[2], 2),
                "ci_upper": None if r[3] is None else round(r[3], 2),
                "rank": r[4],
                "rank_ub": r[5],
                "votes": r[6],
                "win_rate": None if r[7] is None else round(r[7], 4),
                "p_first": None if r[8] is None else round(r[8], 4),
            }
        )
    return {
        "id": contender.pk,
        "name": contender.name_for(codename_allowed=staff),
        "revealed": contender.is_revealed,
        "retired": is_retired(contender),
        "retired_at": contender.retired_at if is_retired(contender) else None,
        "provisional": contender.pk in provisional_ids(snapshot, [contender]),
        "organisation": contender.organisation if contender.is_revealed or staff else "",
        "computed_at": snapshot.computed_at.isoformat(),
        "snapshot": snapshot.pk,
        "categories": categories,
        "opponents": opponents(snapshot, contender, staff=staff),
    }


def opponents(
    snapshot: RatingSnapshot, contender: Contender, *, staff: bool, category: str = OVERALL
) -> list[dict[str, Any]]:
    """Win rate (ties half) and battles against each visible opponent, most played first."""
    result = CategoryResult.objects.filter(snapshot=snapshot, category=category).first()
    if result is None or contender.pk not in result.contenders:
        return []
    me = result.contenders.index(contender.pk)
    people = _visible_contenders(set(result.contenders), staff=staff, show_retired=True)
    out: list[dict[str, Any]] = []
    for k, cid in enumerate(result.contenders):
        battles = result.battles[me][k]
        if k == me or cid not in people or not battles:
            continue
        rate = result.win_rate[me][k]
        out.append(
            {
                "id": cid,
                "name": people[cid].name_for(codename_allowed=staff),
                "battles": battles,
                "win_rate": None if rate is None else round(rate, 4),
            }
        )
    out.sort(key=lambda o: (-o["battles"], o["name"]))
    return out


def public_history(contender: Contender) -> list[dict[str, Any]]:
    """A revealed contender's lifecycle steps for its public page: when and what, never
    who, why or the connection tests (operator matters)."""
    if not contender.is_revealed:
        return []
    steps = contender.transitions.exclude(event=TransitionEvent.TESTED).order_by("at", "id")
    return [{"at": step.at, "summary": step.summary} for step in steps]


def visible_contender(contender_id: int, *, staff: bool) -> Contender | None:
    """The contender of a model page, if this viewer may see it."""
    found = Contender.objects.filter(pk=contender_id).first()
    if found is None or not (staff or found.is_revealed):
        return None
    return found


EXPORT_COLUMNS = [
    "snapshot", "computed_at", "category", "style_control", "model", "revealed", "retired",
    "rating", "ci_lower", "ci_upper", "rank", "rank_ub", "votes", "win_rate", "p_first",
]  # fmt: skip


def export_rows(snapshot: RatingSnapshot, *, staff: bool) -> list[dict[str, Any]]:
    """Every row of ``snapshot`` (both fits, every category) as flat records."""
    rows = snapshot.rows.all()
    if not staff:
        rows = rows.filter(revealed_q("contender__"))
    position = {c: k for k, c in enumerate(snapshot.categories())}
    values = list(
        rows.values_list(
            "category", "style_control", "contender_id", "rating", "ci_lower", "ci_upper",
            "rank", "rank_ub", "votes", "win_rate", "p_first",
        )
    )  # fmt: skip
    people = Contender.objects.only(*CONTENDER_FIELDS).in_bulk({v[2] for v in values})
    at = snapshot.computed_at.isoformat()
    out: list[dict[str, Any]] = []
    for cat, style, cid, rating, lower, upper, rank, rank_ub, votes, rate, p_first in values:
        c = people[cid]
        out.append(
            {
                "snapshot": snapshot.pk,
                "computed_at": at,
                "category": cat,
                "style_control": style,
                "model": c.name_for(codename_allowed=staff),
                "revealed": c.is_revealed,
                "retired": is_retired(c),
                "rating": rating,
                "ci_lower": lower,
                "ci_upper": upper,
                "rank": rank,
                "rank_ub": rank_ub,
                "votes": votes,
                "win_rate": rate,
                "p_first": p_first,
            }
        )
    out.sort(
        key=lambda r: (
            position.get(r["category"], len(position)),
            r["style_control"],
            r["rank"] is None,
            -r["rating"],
            r["model"],
        )
    )
    return out
