"""Style control: Bradley-Terry with per-battle style covariates.

Each battle ``n`` adds ``beta . f_n`` to the log-odds that side A wins, where ``f_n`` are
normalised style differences (length, headers, lists, bold). This is the one fit that
works on per-battle arrays, so its memory grows with the number of battles. Intervals
are in :mod:`ratings.stats.style_intervals`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit

from ratings.stats.bradley_terry import DEFAULT_RIDGE, comparison_components
from ratings.stats.counts import A_WINS, B_WINS, FloatArray, IntArray, counts_from_battles
from ratings.stats.exceptions import ConvergenceError

#: The style features, in the order of the count columns (side A's K, then side B's).
STYLE_FEATURES = ["length", "headers", "lists", "bold"]

#: Default L2 penalty on style coefficients (log-odds per standard deviation).
COEF_RIDGE = 1e-3


@dataclass(frozen=True)
class StyleBattles:
    """Per-battle input of the style-controlled fit.

    Attributes
    ----------
    models : list of str
        Contender names; ``model_a``/``model_b`` index them.
    model_a, model_b : ndarray of int, shape (N,)
        Sides of each battle.
    outcome : ndarray of int, shape (N,)
        Outcome codes (as in :mod:`ratings.stats.counts`).
    style : ndarray, shape (N, 2K)
        Raw style counts, side A's K (in :data:`STYLE_FEATURES` order) then side B's.
    categories : list of str
        Category names.
    category_mask : ndarray of bool, shape (C, N)
        Which battles belong to each category.
    """

    models: list[str]
    model_a: IntArray
    model_b: IntArray
    outcome: NDArray[np.int8]
    style: FloatArray
    categories: list[str]
    category_mask: NDArray[np.bool_]

    @property
    def size(self) -> int:
        return int(self.outcome.size)

    def only(self, categories: list[str]) -> StyleBattles:
        """The same battles, with just these categories."""
        rows = [self.categories.index(c) for c in categories]
        return replace(self, categories=list(categories), category_mask=self.category_mask[rows])


@dataclass(frozen=True)
class StyleFit:
    """Result of :func:`fit_style_control`.

    Attributes
    ----------
    params : ndarray, shape (M,)
        Style-adjusted log-odds strengths, centred to mean zero.
    coefs : ndarray, shape (K,)
        Log-odds effect of one standard deviation of each style feature.
    ridge : float
        L2 penalty on ``params`` (0 when the MLE exists).
    coef_ridge : float
        L2 penalty on ``coefs``.
    n_iter : int
        Newton iterations taken.
    """

    params: FloatArray
    coefs: FloatArray
    ridge: float
    n_iter: int
    coef_ridge: float = 0.0


def style_covariates(
    style_counts: NDArray[np.float64], *, add_one: bool = True
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Normalised style differences from raw per-side counts.

    Parameters
    ----------
    style_counts : ndarray, shape (N, 2K)
        Side A's K counts (answer tokens, headers, lists, bold) then side B's.
    add_one : bool
        Use ``(A - B) / (A + B + 1)`` (FastChat) rather than ``(A - B) / (A + B)``.

    Returns
    -------
    features : ndarray, shape (N, K)
        The relative differences standardised to mean 0 and standard deviation 1.
    mean, std : ndarray, shape (K,)
        What was subtracted and divided by.
    """
    counts = np.asarray(style_counts, dtype=np.float64)
    k = counts.shape[1] // 2
    a, b = counts[:, :k], counts[:, k:]
    denom = a + b + (1.0 if add_one else 0.0)
    diff = np.divide(a - b, denom, out=np.zeros_like(a), where=denom != 0)
    mean = diff.mean(axis=0)
    std = diff.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (diff - mean) / std, mean, std


def outcome_scores(outcome: NDArray[np.integer]) -> FloatArray:
    """Side A's score per battle: 1 win, 0 loss, 0.5 tie or both bad."""
    out = np.asarray(outcome)
    return np.where(out == A_WINS, 1.0, np.where(out == B_WINS, 0.0, 0.5))


def style_design(model_a: IntArray, model_b: IntArray, n_models: int) -> sp.csr_matrix:
    """Sparse (N, M) contender part of the design: +1 for side A, -1 for side B."""
    n = model_a.size
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([model_a, model_b])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n_models))


def design_gram(
    design: sp.csr_matrix, features: FloatArray, v: FloatArray, n_models: int
) -> FloatArray:
    """``X^T diag(v) X`` for ``X = [contender design | features]``."""
    k = features.shape[1]
    out = np.zeros((n_models + k, n_models + k))
    dv = design.multiply(v[:, None]).tocsr()
    out[:n_models, :n_models] = (design.T @ dv).toarray()
    cross = np.asarray(dv.T @ features)
    out[:n_models, n_models:] = cross
    out[n_models:, :n_models] = cross.T
    out[n_models:, n_models:] = features.T @ (v[:, None] * features)
    return out


def style_hessian(
    design: sp.csr_matrix,
    features: FloatArray,
    v: FloatArray,
    n_models: int,
    *,
    ridge: float,
    coef_ridge: float,
    gauge: bool,
) -> FloatArray:
    """The style fit's penalised Hessian ``X^T diag(v) X + diag(ridge.., coef_ridge..)``.

    ``gauge`` adds ``1/M`` to the contender block: strengths are free up to a common
    shift, and without a ridge that direction would make the matrix singular.
    """
    hess = design_gram(design, features, v, n_models)
    diag = np.arange(hess.shape[0])
    hess[diag[:n_models], diag[:n_models]] += ridge
    hess[diag[n_models:], diag[n_models:]] += coef_ridge
    if gauge:
        hess[:n_models, :n_models] += 1.0 / n_models
    return hess


def _ridge_for(model_a: IntArray, model_b: IntArray, outcome: NDArray[np.integer], m: int) -> float:
    pc = counts_from_battles([str(x) for x in range(m)], model_a, model_b, outcome)
    played = np.flatnonzero(pc.votes[0] > 0)
    wins = pc.wins[0][np.ix_(played, played)]
    ties = pc.ties[0][np.ix_(played, played)]
    return 0.0 if comparison_components(wins, ties) == 1 and played.size == m else DEFAULT_RIDGE


def fit_style_control(
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    features: NDArray[np.float64],
    n_models: int,
    *,
    weights: NDArray[np.float64] | None = None,
    ridge: float | None = None,
    coef_ridge: float = COEF_RIDGE,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> StyleFit:
    """Fit contender strengths and style coefficients by damped Newton.

    Parameters
    ----------
    model_a, model_b : ndarray of int, shape (N,)
        Sides of each battle.
    outcome : ndarray of int, shape (N,)
        Outcome codes (ties and both-bad score half).
    features : ndarray, shape (N, K)
        Style covariates, e.g. from :func:`style_covariates`.
    n_models : int
        M.
    weights : ndarray, shape (N,), optional
        Battle weights (bootstrap counts); default 1.
    ridge : float, optional
        L2 penalty on strengths; by default 0 when the comparison graph is strongly
        connected, else :data:`~ratings.stats.bradley_terry.DEFAULT_RIDGE`.
    coef_ridge : float
        L2 penalty on the style coefficients; negligible with real data, it keeps a
        constant feature (say, no headers anywhere) or a tiny separable sample finite.
    max_iter, tol : int, float
        Iteration limit and step tolerance.

    Returns
    -------
    StyleFit

    Raises
    ------
    ConvergenceError
    """
    a = np.asarray(model_a, dtype=np.intp)
    b = np.asarray(model_b, dtype=np.intp)
    f = np.asarray(features, dtype=np.float64)
    y = outcome_scores(outcome)
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if ridge is None:
        used = w > 0
        ridge = _ridge_for(a[used], b[used], np.asarray(outcome)[used], n_models)
    design = style_design(a, b, n_models)
    k = f.shape[1]
    theta = np.zeros(n_models + k)

    def objective(t: FloatArray) -> float:
        d = t[a] - t[b] + f @ t[n_models:]
        r, c = t[:n_models], t[n_models:]
        penalty = 0.5 * ridge * (r @ r) + 0.5 * coef_ridge * (c @ c)
        return float((w * (np.logaddexp(0.0, d) - y * d)).sum() + penalty)

    obj = objective(theta)
    for it in range(1, max_iter + 1):
        d = theta[a] - theta[b] + f @ theta[n_models:]
        p = expit(d)
        resid = w * (p - y)
        grad = np.concatenate([design.T @ resid, f.T @ resid])
        grad[:n_models] += ridge * theta[:n_models]
        grad[n_models:] += coef_ridge * theta[n_models:]
        hess = style_hessian(
            design, f, w * p * (1.0 - p), n_models,
            ridge=ridge, coef_ridge=coef_ridge, gauge=ridge == 0.0,
        )  # fmt: skip
        step = np.linalg.solve(hess, grad)
        t = 1.0
        for _ in range(40):
            new_obj = objective(theta - t * step)
            if new_obj <= obj + 1e-12 * abs(obj):
                break
            t *= 0.5
        theta = theta - t * step
        obj = new_obj
        if np.max(np.abs(t * step)) < tol:
            r = theta[:n_models]
            return StyleFit(r - r.mean(), theta[n_models:].copy(), ridge, it, coef_ridge)
    raise ConvergenceError(f"style-control Newton did not converge in {max_iter} iterations")
