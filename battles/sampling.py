"""Pair sampling: the policy that picks two contenders, and the probability it gave them.

Every policy is a distribution over the *allowed* unordered pairs of sampleable
contenders, so the exact probability of the drawn pair is known and stored on the
battle; the ratings weight its vote by the inverse (relative to a uniform draw), which
keeps them unbiased whatever the policy (see ``Battle.rating_weight``).

- ``uniform``: every allowed pair alike (sampling weights only switch contenders off).
- ``weighted``: a pair in proportion to ``w_i * w_j`` (sampling weights times the
  new-contender boost).
- ``active``: a share ``1 - ARENA_ACTIVE_FLOOR`` in proportion to ``w_i * w_j`` times the
  pair's active-sampling score (how much one more vote on it narrows the leaderboard's
  intervals, from the latest snapshot), the rest as ``weighted``.

Allowed pairs: two unrevealed codenames never meet (``ARENA_SEPARATE_UNREVEALED``) unless
no other pair exists. The hot path is one query for the contenders plus numpy over an
(M, M) matrix; the scores come from a per-process cache of the snapshot.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from numpy.typing import NDArray

from arena.errors import Unavailable
from arena.models import Contender
from ratings.sampling_state import SamplingState, current_sampling_state
from ratings.stats.active import mix_with_floor

_SYSTEM_RNG = secrets.SystemRandom()


@dataclass(frozen=True)
class SampledPair:
    """Two distinct contenders (in no particular order: the caller assigns sides).

    Attributes
    ----------
    first, second : Contender
    probability : float
        Exact probability of this unordered pair under the policy.
    pairs_allowed : int
        How many pairs the policy could draw from (a uniform draw gives each
        ``1 / pairs_allowed``).
    """

    first: Contender
    second: Contender
    probability: float
    pairs_allowed: int

    @property
    def contenders(self) -> tuple[Contender, Contender]:
        return self.first, self.second


def sampleable_contenders() -> list[Contender]:
    """Active, non-historic contenders with a positive weight (paused and outage are skipped).

    Read as every battle starts, before its first token: the query is built once per
    process and database (its filter is ``ContenderQuerySet.sampleable``), then only run.
    """
    sql, params = _sampleable_sql(connection.vendor)
    return list(Contender.objects.raw(sql, params))


@cache
def _sampleable_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    return Contender.objects.sampleable().order_by("pk").query.sql_with_params()


def allowed_pairs(revealed: NDArray[np.bool_], *, separate_unrevealed: bool) -> NDArray[np.bool_]:
    """Upper-triangular mask of the pairs that may meet.

    Two unrevealed contenders are kept apart when ``separate_unrevealed``, unless that
    leaves no pair at all (an arena of codenames only still serves battles).
    """
    n = revealed.size
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    if separate_unrevealed:
        apart = mask & (revealed[:, None] | revealed[None, :])
        if apart.any():
            return apart
    return mask


def pair_probabilities(
    candidates: list[Contender],
    *,
    policy: str,
    state: SamplingState | None,
) -> tuple[NDArray[np.float64], int]:
    """The policy's distribution over pairs of ``candidates`` (upper triangle), and
    the number of allowed pairs."""
    revealed = np.array([c.is_revealed for c in candidates], dtype=bool)
    mask = allowed_pairs(revealed, separate_unrevealed=settings.ARENA_SEPARATE_UNREVEALED)
    n_allowed = int(mask.sum())
    if policy == "uniform":
        return mask / n_allowed, n_allowed
    weight = np.array([c.sampling_weight for c in candidates], dtype=float)
    weight *= _boosts(candidates, state)
    base = np.where(mask, weight[:, None] * weight[None, :], 0.0)
    if policy != "active" or state is None:
        return base / base.sum(), n_allowed
    return mix_with_floor(base, _scores(candidates, state), settings.ARENA_ACTIVE_FLOOR), n_allowed


def sample_pair(rng: random.Random | None = None) -> SampledPair:
    """Draw one allowed pair under ``ARENA_SAMPLING``, with its exact probability."""
    rng = rng or _SYSTEM_RNG
    candidates = sampleable_contenders()
    if len(candidates) < 2:
        raise Unavailable("No two models are available right now. Please try again shortly.")
    policy = settings.ARENA_SAMPLING
    needs_state = policy == "active" or (policy == "weighted" and _boost_on())
    state = current_sampling_state() if needs_state else None
    prob, n_allowed = pair_probabilities(candidates, policy=policy, state=state)
    i, j = draw_pair(prob, rng)
    return SampledPair(candidates[i], candidates[j], float(prob[i, j]), n_allowed)


def draw_pair(prob: NDArray[np.float64], rng: random.Random) -> tuple[int, int]:
    """One ``(i, j)`` drawn from an (M, M) matrix of pair probabilities."""
    flat = prob.ravel()
    cumulative = np.cumsum(flat)
    k = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    # Rounding at the very top of the cumulative sum: take the last possible pair.
    k = min(k, int(np.flatnonzero(flat)[-1]))
    i, j = divmod(k, prob.shape[1])
    return i, j


def _boost_on() -> bool:
    return settings.ARENA_NEW_CONTENDER_VOTES > 0 and settings.ARENA_NEW_CONTENDER_BOOST != 1.0


def _boosts(candidates: list[Contender], state: SamplingState | None) -> NDArray[np.float64]:
    """``ARENA_NEW_CONTENDER_BOOST`` for contenders below the vote target, else 1.

    Votes are the latest snapshot's (a minute old at most): good enough for a target
    of hundreds, and no count on the hot path. Without a snapshot nobody is boosted.
    """
    boost = np.ones(len(candidates))
    if state is None or not _boost_on():
        return boost
    target = settings.ARENA_NEW_CONTENDER_VOTES
    for k, c in enumerate(candidates):
        if state.votes_of(c.pk) < target:
            boost[k] = settings.ARENA_NEW_CONTENDER_BOOST
    return boost


def _scores(candidates: list[Contender], state: SamplingState) -> NDArray[np.float64]:
    """Active scores of the candidates' pairs; a pair with a contender the snapshot has
    not rated yet scores the maximum (its interval is as wide as it gets)."""
    rows = np.array([state.index.get(c.pk, -1) for c in candidates])
    known = rows >= 0
    top = float(state.scores.max()) if state.scores.size else 0.0
    scores = np.full((len(candidates), len(candidates)), top if top > 0 else 1.0)
    k = np.flatnonzero(known)
    scores[np.ix_(k, k)] = state.scores[np.ix_(rows[k], rows[k])]
    return scores
