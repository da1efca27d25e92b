"""Ranks and rank upper bounds from ratings and their intervals."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def rank_by_rating(ratings: NDArray[np.float64]) -> NDArray[np.int64]:
    """Competition rank: 1 + number of contenders with a strictly higher rating.

    Parameters
    ----------
    ratings : ndarray, shape (M,)

    Returns
    -------
    ndarray of int, shape (M,)
    """
    r = np.asarray(ratings, dtype=np.float64)
    return np.asarray(1 + (r[None, :] > r[:, None]).sum(axis=1), dtype=np.int64)


def rank_upper_bound(
    ci_lower: NDArray[np.float64], ci_upper: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Rank upper bound: 1 + number of contenders whose lower bound exceeds my upper bound.

    This is the rank LMArena publishes: a contender is only ranked below those that
    are statistically better.

    Parameters
    ----------
    ci_lower, ci_upper : ndarray, shape (M,)
        Interval bounds.

    Returns
    -------
    ndarray of int, shape (M,)
    """
    lo = np.asarray(ci_lower, dtype=np.float64)
    hi = np.asarray(ci_upper, dtype=np.float64)
    return np.asarray(1 + (lo[None, :] > hi[:, None]).sum(axis=1), dtype=np.int64)


def probability_first(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of replicates in which each contender has the highest rating.

    Parameters
    ----------
    samples : ndarray, shape (R, M)
        Replicate ratings (bootstrap, or draws from the normal approximation), in any
        units that preserve order (log-odds or the Elo scale).

    Returns
    -------
    ndarray, shape (M,)
        Probabilities summing to 1; a replicate with a tie at the top splits its vote
        evenly between the tied contenders.
    """
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError("samples must have shape (R, M) with R, M >= 1")
    top = s == s.max(axis=1, keepdims=True)
    share = top / top.sum(axis=1, keepdims=True)
    return np.asarray(share.mean(axis=0), dtype=np.float64)
