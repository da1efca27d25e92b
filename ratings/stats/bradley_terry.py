"""Bradley-Terry maximum likelihood on aggregated pair counts.

Parameters are natural log-odds strengths ``theta``; ``P(i beats j) = sigmoid(theta_i -
theta_j)``. A tie counts as half a win each way. All solvers are batched over a leading
replicate axis so that bootstrap replicates are fitted together.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from ratings.stats.counts import FloatArray, IntArray, pair_arrays
from ratings.stats.exceptions import ConvergenceError, RegularizationWarning

#: Ridge used when the maximum-likelihood estimate does not exist (natural units).
DEFAULT_RIDGE = 1e-2


@dataclass(frozen=True)
class BradleyTerryFit:
    """Result of :func:`fit_bradley_terry`.

    Attributes
    ----------
    params : ndarray, shape (M,)
        Log-odds strengths, centred to mean zero.
    ridge : float
        L2 penalty used (0 when the MLE exists).
    regularized : bool
        True when the comparison graph is not strongly connected and the ridge was
        needed to get finite estimates.
    n_components : int
        Strongly connected components of the comparison graph.
    n_iter : int
        Newton iterations taken.
    """

    params: FloatArray
    ridge: float
    regularized: bool
    n_components: int
    n_iter: int


def to_rating_scale(
    params: NDArray[np.float64],
    *,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
) -> NDArray[np.float64]:
    """Map log-odds strengths to the Elo scale: ``init + scale * log_base(odds)``.

    Parameters
    ----------
    params : ndarray
        Natural log-odds strengths (any shape).
    scale, base, init : float
        Elo conventions (400, 10, 1000 by default).

    Returns
    -------
    ndarray
        Ratings, same shape as ``params``.
    """
    return init + params * (scale / math.log(base))


def comparison_components(wins: FloatArray, ties: FloatArray) -> int:
    """Number of strongly connected components of the "scored against" graph.

    There is an edge ``i -> j`` when ``i`` won or tied at least once against ``j``.
    The Bradley-Terry MLE is finite and unique (up to a shift) exactly when this
    number is 1.

    Parameters
    ----------
    wins, ties : ndarray, shape (M, M)
        One category's counts, restricted to contenders that played.

    Returns
    -------
    int
    """
    adjacency = sp.csr_matrix((wins + ties) > 0)
    n, _ = connected_components(adjacency, directed=True, connection="strong")
    return int(n)


def fit_bradley_terry(
    wins: FloatArray,
    ties: FloatArray | None = None,
    *,
    ridge: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> BradleyTerryFit:
    """Fit Bradley-Terry strengths by Newton's method on pair counts.

    Parameters
    ----------
    wins : ndarray, shape (M, M)
        ``wins[i, j]``: battles ``i`` won against ``j``.
    ties : ndarray, shape (M, M), optional
        Symmetric tie counts; each tie is half a win each way.
    ridge : float, optional
        L2 penalty ``ridge / 2 * ||theta||^2``. By default 0 when the comparison graph
        is strongly connected, otherwise :data:`DEFAULT_RIDGE` with a
        :class:`RegularizationWarning`.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        Convergence threshold on the largest parameter change.

    Returns
    -------
    BradleyTerryFit

    Raises
    ------
    ConvergenceError
        If the iteration does not converge.
    """
    wins = np.asarray(wins, dtype=np.float64)
    ties = np.zeros_like(wins) if ties is None else np.asarray(ties, dtype=np.float64)
    n_models = wins.shape[0]
    n_comp = comparison_components(wins, ties)
    regularized = False
    if ridge is None:
        ridge = 0.0
        if n_comp > 1:
            ridge = DEFAULT_RIDGE
            regularized = True
            warnings.warn(
                f"comparison graph has {n_comp} strongly connected components; "
                f"the MLE does not exist, using ridge={ridge}",
                RegularizationWarning,
                stacklevel=2,
            )
    elif n_comp > 1 and ridge <= 0:
        raise ValueError("the MLE does not exist for this graph; pass ridge > 0 or None")
    i, j, w_ij, w_ji, t_ij = pair_arrays(wins, ties)
    score = (w_ij + 0.5 * t_ij)[None, :]
    total = (w_ij + w_ji + t_ij)[None, :]
    x0 = np.zeros((1, n_models))
    params, n_iter = newton_batch(i, j, score, total, n_models, ridge, x0, max_iter, tol)
    theta = params[0] - params[0].mean()
    return BradleyTerryFit(theta, float(ridge), regularized or ridge > 0, n_comp, n_iter)


def incidence(i: IntArray, j: IntArray, n_models: int) -> sp.csr_matrix:
    """Sparse (M, P) matrix with +1 at ``(i_p, p)`` and -1 at ``(j_p, p)``."""
    n_pairs = i.size
    cols = np.concatenate([np.arange(n_pairs), np.arange(n_pairs)])
    rows = np.concatenate([i, j])
    vals = np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_models, n_pairs))


def _objective(
    x: FloatArray, i: IntArray, j: IntArray, score: FloatArray, total: FloatArray, ridge: float
) -> FloatArray:
    d = x[:, i] - x[:, j]
    nll = (total * np.logaddexp(0.0, d) - score * d).sum(axis=1)
    return np.asarray(nll + 0.5 * ridge * (x * x).sum(axis=1), dtype=np.float64)


def gradient_batch(
    x: FloatArray,
    i: IntArray,
    j: IntArray,
    score: FloatArray,
    total: FloatArray,
    ridge: float,
    inc: sp.csr_matrix,
) -> tuple[FloatArray, FloatArray]:
    """Gradient of the penalised negative log-likelihood, and ``p`` per pair."""
    p = expit(x[:, i] - x[:, j])
    resid = total * p - score
    grad = np.asarray(inc @ resid.T).T + ridge * x
    return grad, p


def hessian_batch(
    p: FloatArray, total: FloatArray, i: IntArray, j: IntArray, n_models: int, ridge: float
) -> FloatArray:
    """Batched Hessian (R, M, M); a rank-one term pins the mean when ``ridge == 0``."""
    w = total * p * (1.0 - p)
    n_rep = w.shape[0]
    hess = np.zeros((n_rep, n_models, n_models))
    hess[:, i, j] = -w
    hess[:, j, i] = -w
    diag = np.zeros((n_rep, n_models))
    for idx in (i, j):
        diag += np.asarray(
            sp.csr_matrix(
                (np.ones(idx.size), (idx, np.arange(idx.size))), shape=(n_models, idx.size)
            )
            @ w.T
        ).T
    ar = np.arange(n_models)
    hess[:, ar, ar] = diag + ridge
    if ridge == 0.0:
        hess += 1.0 / n_models
    return hess


def newton_batch(
    i: IntArray,
    j: IntArray,
    score: FloatArray,
    total: FloatArray,
    n_models: int,
    ridge: float,
    x0: FloatArray,
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, int]:
    """Damped Newton iterations for R problems at once.

    Parameters
    ----------
    i, j : ndarray of int, shape (P,)
        Pairs.
    score, total : ndarray, shape (R, P)
        Score of ``i`` (wins + ties / 2) and battles per pair, per replicate.
    n_models : int
        M.
    ridge : float
        L2 penalty; 0 requires every replicate's graph to be strongly connected.
    x0 : ndarray, shape (R, M)
        Starting point.
    max_iter, tol : int, float
        Iteration limit and step tolerance.

    Returns
    -------
    x : ndarray, shape (R, M)
    n_iter : int

    Raises
    ------
    ConvergenceError
    """
    inc = incidence(i, j, n_models)
    x = x0 - (0.0 if ridge > 0 else x0.mean(axis=1, keepdims=True))
    f = _objective(x, i, j, score, total, ridge)
    for it in range(1, max_iter + 1):
        grad, p = gradient_batch(x, i, j, score, total, ridge, inc)
        hess = hessian_batch(p, total, i, j, n_models, ridge)
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        t = np.ones((x.shape[0], 1))
        for _ in range(40):  # backtracking: never accept an increase of the objective
            x_new = x - t * step
            f_new = _objective(x_new, i, j, score, total, ridge)
            bad = f_new > f + 1e-12 * np.abs(f)
            if not bad.any():
                break
            t[bad] *= 0.5
        x, f = x_new, f_new
        if np.max(np.abs(t * step)) < tol:
            return x, it
    raise ConvergenceError(f"Bradley-Terry Newton did not converge in {max_iter} iterations")
