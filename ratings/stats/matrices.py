"""Pairwise matrices for the leaderboard page: win rates, battle counts, predictions."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ratings.stats.counts import FloatArray, PairCounts


def battle_counts(counts: PairCounts, category: str = "overall") -> FloatArray:
    """Battles between each pair in a category (ties included), shape (M, M), symmetric.

    Parameters
    ----------
    counts : PairCounts
    category : str

    Returns
    -------
    ndarray, shape (M, M)
    """
    c = counts.category_index(category)
    wins = counts.wins[c]
    return np.asarray(wins + wins.T + counts.ties[c], dtype=np.float64)


def pairwise_win_rates(
    counts: PairCounts, category: str = "overall", *, ties_as_half: bool = False
) -> FloatArray:
    """Observed fraction of battles row ``i`` won against column ``j``.

    Parameters
    ----------
    counts : PairCounts
    category : str
    ties_as_half : bool
        If False (FastChat's heat map), ties are left out: ``w_ij / (w_ij + w_ji)``.
        If True, a tie counts half: ``(w_ij + t_ij / 2) / n_ij``.

    Returns
    -------
    ndarray, shape (M, M)
        NaN where the pair never met (or only tied, when ties are left out).
    """
    c = counts.category_index(category)
    wins = counts.wins[c]
    if ties_as_half:
        num = wins + 0.5 * counts.ties[c]
        den = wins + wins.T + counts.ties[c]
    else:
        num, den = wins, wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rates: FloatArray = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return rates


def predicted_win_rates(
    ratings: NDArray[np.float64], *, scale: float = 400.0, base: float = 10.0
) -> FloatArray:
    """Bradley-Terry predicted probability that row ``i`` beats column ``j``.

    Parameters
    ----------
    ratings : ndarray, shape (M,)
        Ratings on the Elo scale.
    scale, base : float
        Elo conventions.

    Returns
    -------
    ndarray, shape (M, M)
        ``1 / (1 + base ** ((r_j - r_i) / scale))``; 0.5 on the diagonal.
    """
    r = np.asarray(ratings, dtype=np.float64)
    diff = (r[:, None] - r[None, :]) * (math.log(base) / scale)
    pred: FloatArray = 1.0 / (1.0 + np.exp(-diff))
    return pred
