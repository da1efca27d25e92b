"""Active sampling: which pair's next vote shrinks the leaderboard's intervals most.

The Chatbot Arena paper (§5) samples a pair with probability proportional to the
reduction in confidence-interval width that one more vote on it would bring. Here the
reduction is computed from the Bradley-Terry fit's Fisher information: one vote on pair
``(i, j)`` adds ``q_ij (e_i - e_j)(e_i - e_j)^T`` to it (``q = p (1 - p)``), and the
Sherman-Morrison formula gives every contender's new variance without refitting. The
score of a pair is the (importance-weighted) sum over contenders of the reduction of
their standard deviations, i.e. of their CI half-widths up to a constant.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, ndtri

from ratings.stats.counts import FloatArray, pair_arrays
from ratings.stats.intervals import pair_laplacian


def fisher_covariance(
    wins: FloatArray,
    ties: FloatArray,
    params: FloatArray,
    *,
    hessian_ridge: float = 1e-5,
) -> FloatArray:
    """Model-based covariance of Bradley-Terry strengths in the mean-zero gauge.

    The pseudo-inverse of the Fisher information ``H = sum_pairs n_ij q_ij (e_i -
    e_j)(e_i - e_j)^T`` (plus ``hessian_ridge * N`` on the diagonal, as the sandwich
    uses), restricted to parameter vectors that sum to zero.

    Parameters
    ----------
    wins, ties : ndarray, shape (M, M)
        One category's counts.
    params : ndarray, shape (M,)
        Fitted log-odds strengths.
    hessian_ridge : float
        Extra diagonal per battle for numerical stability.

    Returns
    -------
    ndarray, shape (M, M)
        Covariance in natural (log-odds) units; rows and columns sum to zero.
    """
    i, j, w_ij, w_ji, t_ij = pair_arrays(wins, ties)
    n_models = wins.shape[0]
    total = w_ij + w_ji + t_ij
    p = expit(params[i] - params[j])
    hess = pair_laplacian(total * p * (1.0 - p), i, j, n_models)
    hess[np.diag_indices(n_models)] += hessian_ridge * total.sum()
    # H + J/M (J: all ones) is invertible and keeps H's inverse on the mean-zero
    # subspace; projecting onto that subspace removes the gauge direction.
    flat = np.full((n_models, n_models), 1.0 / n_models)
    centre = np.eye(n_models) - flat
    cov: FloatArray = centre @ np.linalg.inv(hess + flat) @ centre
    return cov


def one_vote_reduction(
    cov: FloatArray,
    params: FloatArray,
    importance: FloatArray | None = None,
) -> FloatArray:
    """Reduction of the summed standard deviations from one more vote on each pair.

    Parameters
    ----------
    cov : ndarray, shape (M, M)
        Covariance of the strengths (e.g. :func:`fisher_covariance`).
    params : ndarray, shape (M,)
        Strengths; a vote on ``(i, j)`` carries information ``q = p (1 - p)``.
    importance : ndarray, shape (M,), optional
        Weight of each contender's interval in the sum (default all 1).

    Returns
    -------
    ndarray, shape (M, M)
        Symmetric, zero diagonal: ``sum_m importance_m (sd_m - sd_m')`` where ``sd'``
        is the standard deviation after one more vote on the pair.
    """
    n_models = cov.shape[0]
    imp = np.ones(n_models) if importance is None else np.asarray(importance, dtype=np.float64)
    var = np.maximum(np.diag(cov), 0.0)
    sd = np.sqrt(var)
    p = expit(params[:, None] - params[None, :])
    q = p * (1.0 - p)
    # Variance of each difference theta_i - theta_j.
    s = np.maximum(var[:, None] + var[None, :] - 2.0 * cov, 0.0)
    gain = q / (1.0 + q * s)
    out = np.zeros((n_models, n_models))
    # One row of pairs at a time: memory M^2 rather than M^3.
    for i in range(n_models):
        # c[m, j] = cov(theta_m, theta_i - theta_j)
        c = cov[:, [i]] - cov
        new_var = np.maximum(var[:, None] - gain[i][None, :] * c * c, 0.0)
        out[i] = imp @ (sd[:, None] - np.sqrt(new_var))
    out[np.diag_indices(n_models)] = 0.0
    result: FloatArray = 0.5 * (out + out.T)
    return result


def top_focus(
    params: FloatArray,
    cov: FloatArray,
    top: int,
    *,
    significance: float = 0.05,
) -> FloatArray:
    """Importance 1 for contenders that could rank in the top ``top``, else 0.

    A contender could rank there when its rank upper bound (1 + the number of
    contenders whose lower bound exceeds its upper bound, normal intervals from
    ``cov``) is at most ``top``. A newcomer with few votes has a wide interval and is
    therefore in focus until the data place it.

    Parameters
    ----------
    params : ndarray, shape (M,)
        Strengths.
    cov : ndarray, shape (M, M)
        Their covariance.
    top : int
        Size of the leaderboard's head; ``top <= 0`` or ``top >= M`` puts everyone in.
    significance : float
        Two-sided level of the intervals.

    Returns
    -------
    ndarray of float, shape (M,)
    """
    n_models = params.size
    if top <= 0 or top >= n_models:
        return np.ones(n_models)
    z = float(ndtri(1.0 - significance / 2.0))
    half = z * np.sqrt(np.maximum(np.diag(cov), 0.0))
    lower, upper = params - half, params + half
    rank_ub = 1 + (lower[None, :] > upper[:, None]).sum(axis=1)
    return np.asarray(rank_ub <= top, dtype=np.float64)


def active_pair_scores(
    wins: FloatArray,
    ties: FloatArray,
    params: FloatArray,
    *,
    top: int = 0,
    hessian_ridge: float = 1e-5,
) -> FloatArray:
    """Active-sampling score of every pair from one category's counts and fit.

    :func:`fisher_covariance`, then :func:`one_vote_reduction` of the intervals of
    the contenders in :func:`top_focus` (everyone when ``top <= 0``).

    Parameters
    ----------
    wins, ties : ndarray, shape (M, M)
        Counts (or weighted counts) of the fit.
    params : ndarray, shape (M,)
        Fitted strengths.
    top : int
        Focus on the intervals of contenders that could rank in the top ``top``.
    hessian_ridge : float
        As in :func:`fisher_covariance`.

    Returns
    -------
    ndarray, shape (M, M)
        Non-negative, symmetric, zero diagonal; larger is more useful.
    """
    cov = fisher_covariance(wins, ties, params, hessian_ridge=hessian_ridge)
    importance = top_focus(params, cov, top)
    return np.maximum(one_vote_reduction(cov, params, importance), 0.0)


def mix_with_floor(
    base: FloatArray,
    scores: FloatArray,
    floor: float,
) -> FloatArray:
    """Pair probabilities: ``(1 - floor)`` by ``base * scores``, ``floor`` by ``base``.

    The floor keeps every allowed pair possible (at least ``floor`` times its base
    probability), which bounds the inverse-probability weights by ``1 / floor`` times
    their base value.

    Parameters
    ----------
    base : ndarray, shape (M, M)
        Non-negative base weights of the pairs (zero: never drawn), e.g. the products
        of the contenders' sampling weights; only the upper triangle is read.
    scores : ndarray, shape (M, M)
        Non-negative usefulness of each pair (:func:`active_pair_scores`).
    floor : float
        In [0, 1].

    Returns
    -------
    ndarray, shape (M, M)
        Upper-triangular probabilities summing to 1.

    Raises
    ------
    ValueError
        If no pair has a positive base weight, or ``floor`` is outside [0, 1].
    """
    if not 0.0 <= floor <= 1.0:
        raise ValueError("floor must be in [0, 1]")
    upper: NDArray[np.bool_] = np.triu(np.ones(base.shape, dtype=bool), k=1)
    b = np.where(upper, np.maximum(base, 0.0), 0.0)
    if b.sum() <= 0:
        raise ValueError("no pair has a positive base weight")
    by_base = b / b.sum()
    useful = by_base * np.maximum(scores, 0.0)
    if useful.sum() <= 0:
        return by_base
    mixed: FloatArray = (1.0 - floor) * useful / useful.sum() + floor * by_base
    return mixed
