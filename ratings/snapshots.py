"""Recompute the ratings: aggregate votes in SQL, fit, write one snapshot."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from arena.models import Contender
from battles.models import Vote
from ratings.aggregation import AggregatedVotes, aggregate_votes
from ratings.models import CategoryResult, RatingRow, RatingSnapshot, RecomputeLease
from ratings.sampling_state import compute_sampling_state, forget_sampling_state
from ratings.stats.leaderboard import CiMethod, Progress, compute_leaderboard
from ratings.stats.matrices import battle_counts, pairwise_win_rates

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
    min_votes: int = 0
    # Inverse-probability weighting of the votes; None: ARENA_RATINGS_WEIGHTED.
    weighted: bool | None = None


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


def refresh_interval() -> timedelta:
    """How often the periodic task runs (the beat schedule's interval)."""
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE.get("recompute-ratings", {})
    return timedelta(seconds=float(entry.get("schedule", 60.0)))


def current_snapshot() -> RatingSnapshot | None:
    """The snapshot pages show: the latest one.

    The embedded mode has no Celery beat, so there a page view that finds the latest
    snapshot older than the beat interval, with new votes since, recomputes first (a
    fraction of a second at embedded sizes). A failed or busy refresh keeps the old one.
    """
    latest = RatingSnapshot.latest_or_none()
    if not settings.ARENA_INPROCESS_TASKS:
        return latest
    if latest is not None and timezone.now() - latest.computed_at < refresh_interval():
        return latest
    if not has_new_votes():
        return latest
    try:
        return recompute_ratings() or latest
    except RecomputeBusy:
        return latest
    except Exception:
        logger.exception("embedded ratings refresh failed; showing the previous snapshot")
        return latest


def recompute_ratings(
    options: RecomputeOptions | None = None,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> RatingSnapshot | None:
    """Write a new snapshot, or return ``None`` when no vote arrived since the last one.

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
        aggregated_s = time.perf_counter() - started
        board = compute_leaderboard(
            agg.counts,
            ci=opts.ci,
            rounds=opts.rounds,
            seed=opts.seed,
            anchor=anchor,
            min_votes=opts.min_votes,
            progress=progress,
            weighted=settings.ARENA_RATINGS_WEIGHTED if opts.weighted is None else opts.weighted,
        )
        sampling = compute_sampling_state(agg, board)
        method = {
            **board["method"],
            "aggregate_s": round(aggregated_s, 4),
            "fit_s": round(time.perf_counter() - started - aggregated_s, 4),
        }
        snapshot = _write_snapshot(agg, board, method, sampling, last_id, last_at, started)
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
    board: dict[str, Any],
    method: dict[str, Any],
    sampling: dict[str, Any],
    last_id: int,
    last_at: Any,
    started: float,
) -> RatingSnapshot:
    ids = dict(zip(agg.counts.models, agg.contender_ids, strict=True))
    snapshot = RatingSnapshot.objects.create(
        method=method,
        votes=agg.votes,
        last_vote_id=last_id,
        last_vote_at=last_at,
        sampling=sampling,
    )
    rows: list[RatingRow] = []
    results: list[CategoryResult] = []
    for position, (category, entry) in enumerate(board["categories"].items()):
        for r in entry["rows"]:
            rows.append(
                RatingRow(
                    snapshot=snapshot,
                    category=category,
                    contender_id=ids[r["model"]],
                    rating=r["rating"],
                    ci_lower=r["ci_lower"],
                    ci_upper=r["ci_upper"],
                    rank=r["rank"],
                    rank_ub=r["rank_ub"],
                    votes=r["votes"],
                    win_rate=r["win_rate"],
                )
            )
        results.append(_category_result(snapshot, agg, category, position, entry))
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
    entry: dict[str, Any],
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
