"""Recompute the ratings: aggregate votes in SQL, fit, write one snapshot."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from arena import embedded
from arena.models import Contender
from battles.duplicates import refresh_duplicate_cap
from battles.exclusion_stats import exclusion_totals
from battles.models import Vote
from ratings.aggregation import AggregatedVotes, aggregate_votes, style_battles
from ratings.models import (
    CategoryResult,
    RatingRow,
    RatingSettings,
    RatingSnapshot,
    RecomputeLease,
)
from ratings.sampling_state import compute_sampling_state, forget_sampling_state
from ratings.stats.exceptions import ConvergenceError
from ratings.stats.leaderboard import Progress, compute_leaderboard
from ratings.stats.matrices import battle_counts, pairwise_win_rates
from ratings.stats.options import CiMethod, FitOptions, RatingScale
from ratings.stats.results import CategoryBoard, Leaderboard
from ratings.stats.style_leaderboard import compute_style_leaderboard

logger = logging.getLogger(__name__)

# Snapshots younger than this are all kept; older ones thinned to one a day.
KEEP_ALL = timedelta(days=2)
# Longer than any recompute; a worker that dies holding the lease frees it after this.
LEASE_TTL = timedelta(minutes=10)


class RecomputeBusy(Exception):
    """Another recompute holds the lease."""


class UnknownAnchor(ValueError):
    """The anchor names no contender."""


@dataclass(frozen=True)
class RecomputeOptions:
    ci: CiMethod = "sandwich"
    rounds: int = 100
    seed: int | None = None
    # (codename or public name, rating)
    anchor: tuple[str, float] | None = None
    # Rows under the threshold are kept, unranked ("not enough votes").
    min_votes: int = 0
    # Inverse-probability weighting of the votes; None: ARENA_RATINGS_WEIGHTED.
    weighted: bool | None = None
    min_votes_by_category: dict[str, int] = field(default_factory=dict)
    # Also fit the style-controlled leaderboard from the completions' style features.
    style_control: bool = True

    def fit_options(self, anchor: tuple[str, float] | None) -> FitOptions:
        """The fit of a snapshot: every row kept (unranked below the threshold), P(#1).

        ``anchor`` is :attr:`anchor` resolved to the codename the counts use.
        """
        weighted = settings.ARENA_RATINGS_WEIGHTED if self.weighted is None else self.weighted
        return FitOptions(
            ci=self.ci,
            rounds=self.rounds,
            seed=self.seed,
            weighted=weighted,
            min_votes=self.min_votes,
            min_votes_by_category=self.min_votes_by_category,
            keep_unranked=True,
            first_place=True,
            scale=RatingScale(anchor=anchor),
        )


def operator_options(**overrides: Any) -> RecomputeOptions:
    """The options the operator set (``RatingSettings``), with ``overrides`` applied."""
    knobs = RatingSettings.load()
    anchor = knobs.anchor_pair()
    if anchor is not None and "anchor" not in overrides:
        try:
            resolve_anchor(anchor)
        except UnknownAnchor:
            # A periodic task must not fail every minute on a stale setting.
            logger.warning("rating settings anchor %r names no contender; ignored", anchor[0])
            anchor = None
    options = RecomputeOptions(
        anchor=anchor,
        min_votes=knobs.min_votes,
        min_votes_by_category=dict(knobs.min_votes_by_category or {}),
        style_control=knobs.style_control,
    )
    return replace(options, **overrides)


def newest_vote() -> tuple[int, Any]:
    """Id and time of the newest vote (eligible or not): a cheap indexed lookup."""
    row = Vote.objects.aggregate(last_id=Max("id"), last_at=Max("created_at"))
    return int(row["last_id"] or 0), row["last_at"]


def has_new_votes() -> bool:
    """Whether any vote arrived since the latest snapshot."""
    latest = RatingSnapshot.latest_or_none()
    if latest is None:
        return Vote.objects.exists()
    return Vote.objects.filter(id__gt=latest.last_vote_id).exists()


def resolve_anchor(anchor: tuple[str, float] | None) -> tuple[str, float] | None:
    """Map a codename or public name to the codename the counts use."""
    if anchor is None:
        return None
    name, rating = anchor
    found = (
        Contender.objects.filter(codename=name).first()
        or Contender.objects.filter(public_name=name).first()
    )
    if found is None:
        raise UnknownAnchor(f"no contender with codename or public name {name!r}")
    return found.codename, rating


def current_snapshot() -> RatingSnapshot | None:
    """The snapshot pages show: the latest one. Reading never recomputes.

    The recompute has one path, the periodic task. Embedded mode has no Celery beat, so
    a page view is traffic that drives the emulated one (``run_due_periodic_tasks``: at
    most once per interval, on the in-process pool, never in this request); the next
    view shows the new snapshot. In production that call does nothing.
    """
    embedded.run_due_periodic_tasks()
    return RatingSnapshot.latest_or_none()


def recompute_ratings(
    options: RecomputeOptions | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> RatingSnapshot | None:
    """Write a new snapshot, or return ``None`` when no vote arrived since the last one.

    ``options`` default to neutral ones (no anchor, no vote threshold); the periodic
    task and the embedded refresh pass :func:`operator_options`.
    Raises :class:`RecomputeBusy` when another recompute is running.
    """
    opts = options or RecomputeOptions()
    anchor = resolve_anchor(opts.anchor)
    holder = uuid.uuid4().hex
    if not RecomputeLease.claim(holder, LEASE_TTL):
        raise RecomputeBusy("another ratings recompute is running")
    try:
        if not force and not has_new_votes():
            return None
        started = time.perf_counter()
        # Read the newest vote *before* aggregating: a vote landing mid-way is then
        # newer than the snapshot and triggers the next run.
        last_id, last_at = newest_vote()
        agg = aggregate_votes()
        # Two small indexed counts: what the leaderboard says about excluded votes, and
        # the duplicate cap the next votes are held to.
        exclusions = exclusion_totals().as_dict()
        refresh_duplicate_cap()
        aggregated_s = time.perf_counter() - started
        fit = opts.fit_options(anchor)
        board = compute_leaderboard(agg.counts, fit, progress=progress)
        sampling = compute_sampling_state(agg, board)
        fitted = time.perf_counter()
        style_board, style_s = None, 0.0
        if opts.style_control:
            style_board, style_s = _style_leaderboard(agg, fit)
        method = {
            **board["method"],
            "aggregate_s": round(aggregated_s, 4),
            "fit_s": round(fitted - started - aggregated_s, 4),
            "style_s": round(style_s, 4),
            "style": None if style_board is None else style_board["method"],
        }
        snapshot = _write_snapshot(
            agg, board, style_board, method, sampling, last_id, last_at, started, exclusions
        )
        prune_snapshots(snapshot)
        forget_sampling_state()
        logger.info(
            "ratings snapshot %s: %s votes, %d categories in %.2fs",
            snapshot.pk,
            snapshot.votes,
            len(agg.counts.categories),
            snapshot.duration_s,
        )
        return snapshot
    finally:
        RecomputeLease.release(holder)


def _style_leaderboard(agg: AggregatedVotes, fit: FitOptions) -> tuple[Leaderboard | None, float]:
    """The style-controlled leaderboard of every category with style-featured battles."""
    started = time.perf_counter()
    battles = style_battles(agg)
    if battles.size == 0:
        return None, time.perf_counter() - started
    featured = [c for k, c in enumerate(battles.categories) if battles.category_mask[k].any()]
    try:
        board = compute_style_leaderboard(battles.only(featured), fit)
    except (ConvergenceError, np.linalg.LinAlgError):
        # The plain leaderboard still deserves its snapshot; pages fall back to it.
        logger.exception("style-controlled fit failed; snapshot without style control")
        return None, time.perf_counter() - started
    return board, time.perf_counter() - started


def prune_snapshots(latest: RatingSnapshot) -> None:
    """Bound the growth of a recompute every minute.

    Only the latest snapshot's plot matrices are ever shown, so older ones are dropped.
    Rows are kept for the history plot: every snapshot of the last :data:`KEEP_ALL`,
    and before that the first snapshot of each day.
    """
    CategoryResult.objects.filter(snapshot_id__lt=latest.pk).delete()
    # Only the latest snapshot's sampling state is read.
    RatingSnapshot.objects.filter(id__lt=latest.pk).exclude(sampling={}).update(sampling={})
    cutoff = latest.computed_at - KEEP_ALL
    old = RatingSnapshot.objects.filter(computed_at__lt=cutoff)
    first_of_day = (
        old.annotate(day=TruncDate("computed_at"))
        .values("day")
        .annotate(first=Min("id"))
        .values("first")
    )
    old.exclude(id__in=first_of_day).delete()


@transaction.atomic
def _write_snapshot(
    agg: AggregatedVotes,
    board: Leaderboard,
    style_board: Leaderboard | None,
    method: dict[str, Any],
    sampling: dict[str, Any],
    last_id: int,
    last_at: Any,
    started: float,
    exclusions: dict[str, Any],
) -> RatingSnapshot:
    ids = dict(zip(agg.counts.models, agg.contender_ids, strict=True))
    snapshot = RatingSnapshot.objects.create(
        method=method,
        votes=agg.votes,
        exclusions=exclusions,
        last_vote_id=last_id,
        last_vote_at=last_at,
        sampling=sampling,
    )
    rows: list[RatingRow] = []
    results: list[CategoryResult] = []
    styled: dict[str, CategoryBoard] = {} if style_board is None else style_board["categories"]
    min_votes = method.get("min_votes", 0)
    by_category = method.get("min_votes_by_category") or {}
    for position, (category, entry) in enumerate(board["categories"].items()):
        style_entry = styled.get(category)
        for style, source in ((False, entry), (True, style_entry)):
            for r in [] if source is None else source["rows"]:
                rows.append(
                    RatingRow(
                        snapshot=snapshot,
                        category=category,
                        style_control=style,
                        contender_id=ids[r["model"]],
                        rating=r["rating"],
                        ci_lower=r["ci_lower"],
                        ci_upper=r["ci_upper"],
                        rank=r["rank"],
                        rank_ub=r["rank_ub"],
                        votes=r["votes"],
                        win_rate=r["win_rate"],
                        p_first=r.get("p_first"),
                    )
                )
        result = _category_result(snapshot, agg, category, position, entry)
        result.min_votes = int(by_category.get(category, min_votes))
        if style_entry is not None and style_entry["rows"]:
            result.style_votes = style_entry["votes"]
            result.style_coefficients = style_entry.get("style_coefficients", {})
            result.style_warnings = list(style_entry.get("warnings", []))
        results.append(result)
    RatingRow.objects.bulk_create(rows, batch_size=2000)
    CategoryResult.objects.bulk_create(results)
    snapshot.duration_s = time.perf_counter() - started
    snapshot.computed_at = timezone.now()
    snapshot.save(update_fields=["duration_s", "computed_at"])
    return snapshot


def _category_result(
    snapshot: RatingSnapshot,
    agg: AggregatedVotes,
    category: str,
    position: int,
    entry: CategoryBoard,
) -> CategoryResult:
    """The plot matrices of one category, restricted to its rated contenders (rank order)."""
    index = {name: k for k, name in enumerate(agg.counts.models)}
    order = [index[r["model"]] for r in entry["rows"]]
    battles = battle_counts(agg.counts, category)[order][:, order]
    rates = pairwise_win_rates(agg.counts, category, ties_as_half=True)[order][:, order]
    return CategoryResult(
        snapshot=snapshot,
        category=category,
        position=position,
        votes=entry["votes"],
        contenders=[agg.contender_ids[k] for k in order],
        battles=battles.astype(int).tolist(),
        # NaN (never met) becomes None; x != x only for NaN.
        win_rate=[[None if x != x else x for x in row] for row in np.round(rates, 4).tolist()],
        warnings=list(entry.get("warnings", [])),
    )
