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
