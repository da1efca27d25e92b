"""What the pair sampler needs from the ratings, computed once per snapshot.

A recompute stores, on its snapshot, the overall votes of each contender (for the
new-contender boost) and the active-sampling score of every pair (the reduction of the
leaderboard's interval widths one more vote on it would bring, from the overall fit:
``ratings.stats.active``). Battle creation reads that back through a per-process cache,
so the hot path never fits, never aggregates votes, and usually makes no query at all.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings

from ratings.aggregation import OVERALL, AggregatedVotes
from ratings.models import RatingSnapshot
from ratings.stats.active import active_pair_scores
from ratings.stats.counts import FloatArray
from ratings.stats.options import ELO_SCALE
from ratings.stats.results import Leaderboard


@dataclass(frozen=True)
class SamplingState:
    """The sampler's view of one snapshot.

    Attributes
    ----------
    snapshot_id : int
        The snapshot it was computed with.
    votes : dict
        Overall votes per contender id (contenders without a vote are absent).
    index : dict
        Contender id -> row of ``scores``.
    scores : ndarray, shape (K, K)
        Symmetric, non-negative active-sampling scores, largest 1 (0 when unknown).
    """

    snapshot_id: int
    votes: dict[int, int]
    index: dict[int, int]
    scores: FloatArray

    def votes_of(self, contender_id: int) -> int:
        return self.votes.get(contender_id, 0)


def compute_sampling_state(agg: AggregatedVotes, board: Leaderboard) -> dict[str, Any]:
    """The JSON stored on a snapshot, from its aggregated votes and leaderboard.

    Scores come from the overall fit's Fisher information at the fitted ratings
    (``board``), over the contenders with overall votes, with the focus on those that
    could rank in the top ``ARENA_ACTIVE_FOCUS``.
    """
    counts = agg.counts
    if OVERALL not in counts.categories:
        return {"contenders": [], "votes": [], "scores": []}
    c = counts.category_index(OVERALL)
    rows = {r["model"]: r for r in board["categories"][OVERALL]["rows"]}
    rated = [k for k, name in enumerate(counts.models) if name in rows]
    ids = [agg.contender_ids[k] for k in rated]
    votes = [int(rows[counts.models[k]]["votes"]) for k in rated]
    scores: list[float] = []
    if len(rated) >= 2:
        sub = np.ix_(rated, rated)
        # Back to natural log-odds; the scores depend on rating differences only.
        ratings = np.array([rows[counts.models[k]]["rating"] for k in rated])
        params = ELO_SCALE.log_odds(ratings)
        matrix = active_pair_scores(
            counts.wins[c][sub],
            counts.ties[c][sub],
            params - params.mean(),
            top=settings.ARENA_ACTIVE_FOCUS,
        )
        top = float(matrix.max())
        if top > 0:
            matrix = matrix / top
        upper = matrix[np.triu_indices(len(rated), k=1)]
        # Six significant digits: the sampler needs proportions, not the last bit.
        scores = [float(f"{x:.6g}") for x in upper]
    return {"contenders": ids, "votes": votes, "scores": scores}


def state_from_json(snapshot_id: int, data: dict[str, Any]) -> SamplingState:
    """A :class:`SamplingState` from the JSON of :func:`compute_sampling_state`."""
    ids = [int(x) for x in data.get("contenders", [])]
    votes = dict(zip(ids, (int(v) for v in data.get("votes", [])), strict=True))
    n = len(ids)
    scores = np.zeros((n, n))
    upper = data.get("scores", [])
    if n >= 2 and len(upper) == n * (n - 1) // 2:
        iu = np.triu_indices(n, k=1)
        scores[iu] = upper
        scores[(iu[1], iu[0])] = upper
    return SamplingState(snapshot_id, votes, {cid: k for k, cid in enumerate(ids)}, scores)


_lock = threading.Lock()
_cached: SamplingState | None = None
_checked_at = -math.inf


def current_sampling_state() -> SamplingState | None:
    """The latest snapshot's state, cached per process.

    At most one indexed query for the latest snapshot's id every
    ``ARENA_SAMPLING_STATE_TTL`` seconds, and one read of its JSON when it changed.
    """
    global _cached, _checked_at
    now = time.monotonic()
    if now - _checked_at < settings.ARENA_SAMPLING_STATE_TTL:
        return _cached
    latest_id = (
        RatingSnapshot.objects.order_by("-computed_at", "-id").values_list("id", flat=True).first()
    )
    with _lock:
        if latest_id is None:
            _cached = None
        elif _cached is None or _cached.snapshot_id != latest_id:
            data = (
                RatingSnapshot.objects.filter(pk=latest_id)
                .values_list("sampling", flat=True)
                .first()
            )
            _cached = state_from_json(latest_id, data or {})
        _checked_at = now
        return _cached


def forget_sampling_state() -> None:
    """Drop the cached state (tests, or right after a recompute in this process)."""
    global _cached, _checked_at
    with _lock:
        _cached = None
        _checked_at = -math.inf
