"""Style control: Bradley-Terry with per-battle style covariates.

Each battle ``n`` adds ``beta . f_n`` to the log-odds that side A wins, where ``f_n`` are
normalised style differences (length, headers, lists, bold). This is the one fit that
works on per-battle arrays, so its memory grows with the number of battles.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit

from ratings.stats.bradley_terry import DEFAULT_RIDGE, comparison_components
from ratings.stats.counts import A_WINS, B_WINS, FloatArray, IntArray, counts_from_battles
from ratings.stats.exceptions import ConvergenceError

# Replicate x battle entries held at once in the bootstrap. Kept under glibc's largest
# mmap threshold (32 MiB) so that working arrays are recycled, not page-faulted afresh.
_CHUNK_ELEMENTS = 2_000_000
#: Default L2 penalty on style coefficients (log-odds per standard deviation).
COEF_RIDGE = 1e-3


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


def style_features(
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


def _design(model_a: IntArray, model_b: IntArray, n_models: int) -> sp.csr_matrix:
    n = model_a.size
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([model_a, model_b])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n_models))


def _gram(design: sp.csr_matrix, features: FloatArray, v: FloatArray, n_models: int) -> FloatArray:
    """``X^T diag(v) X`` for X = [contender design | features]."""
    k = features.shape[1]
    out = np.zeros((n_models + k, n_models + k))
    dv = design.multiply(v[:, None]).tocsr()
    out[:n_models, :n_models] = (design.T @ dv).toarray()
    cross = np.asarray(dv.T @ features)
    out[:n_models, n_models:] = cross
    out[n_models:, :n_models] = cross.T
    out[n_models:, n_models:] = features.T @ (v[:, None] * features)
    return out


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
        Style covariates, e.g. from :func:`style_features`.
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
    design = _design(a, b, n_models)
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
        hess = _gram(design, f, w * p * (1.0 - p), n_models)
        hess[np.arange(n_models), np.arange(n_models)] += ridge
        hess[np.arange(n_models, n_models + k), np.arange(n_models, n_models + k)] += coef_ridge
        if ridge == 0.0:
            hess[:n_models, :n_models] += 1.0 / n_models
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


def style_sandwich_covariance(
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    features: NDArray[np.float64],
    fit: StyleFit,
    *,
    hessian_ridge: float = 1e-5,
) -> FloatArray:
    """Sandwich covariance of ``[params, coefs]``, shape (M + K, M + K).

    Per-battle score outer products in the middle; ``ridge + hessian_ridge * N`` on
    the Hessian diagonal, as in :func:`~ratings.stats.intervals.sandwich_covariance`.
    """
    a = np.asarray(model_a, dtype=np.intp)
    b = np.asarray(model_b, dtype=np.intp)
    f = np.asarray(features, dtype=np.float64)
    n_models = fit.params.size
    y = outcome_scores(outcome)
    p = expit(fit.params[a] - fit.params[b] + f @ fit.coefs)
    design = _design(a, b, n_models)
    hess = _gram(design, f, p * (1.0 - p), n_models)
    hess[np.diag_indices(hess.shape[0])] += hessian_ridge * a.size
    hess[np.arange(n_models), np.arange(n_models)] += fit.ridge
    hess[np.arange(n_models, hess.shape[0]), np.arange(n_models, hess.shape[0])] += fit.coef_ridge
    hess[:n_models, :n_models] += 1.0 / n_models  # gauge direction; the meat ignores it
    meat = _gram(design, f, (y - p) ** 2, n_models)
    h_inv = np.linalg.inv(hess)
    cov: FloatArray = h_inv @ meat @ h_inv
    return cov


def bootstrap_style_control(
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    features: NDArray[np.float64],
    fit: StyleFit,
    *,
    rounds: int = 100,
    seed: int | None = None,
    max_iter: int = 30,
    tol: float = 1e-6,
) -> tuple[FloatArray, FloatArray]:
    """Bootstrap the style-control fit, all replicates at once.

    Battles are resampled with replacement (multinomial counts per battle). Replicates
    start at ``fit`` and iterate with its Hessian factorised once; any that have not
    converged after ``max_iter`` chord steps get an exact Newton fit of their own.

    Parameters
    ----------
    model_a, model_b, outcome, features
        As for :func:`fit_style_control`.
    fit : StyleFit
        The full-data fit.
    rounds : int
        Replicates R.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`.
    max_iter, tol : int, float
        Chord iterations and step tolerance.

    Returns
    -------
    params : ndarray, shape (R, M)
        Centred strengths per replicate.
    coefs : ndarray, shape (R, K)
    """
    a = np.asarray(model_a, dtype=np.intp)
    b = np.asarray(model_b, dtype=np.intp)
    f = np.asarray(features, dtype=np.float64)
    y = outcome_scores(outcome)
    n, n_models, k = a.size, fit.params.size, f.shape[1]
    design = _design(a, b, n_models)
    p0 = expit(fit.params[a] - fit.params[b] + f @ fit.coefs)
    h0 = _gram(design, f, p0 * (1.0 - p0), n_models)
    h0[np.arange(n_models), np.arange(n_models)] += fit.ridge
    h0[np.arange(n_models, n_models + k), np.arange(n_models, n_models + k)] += fit.coef_ridge
    if fit.ridge == 0.0:
        h0[:n_models, :n_models] += 1.0 / n_models
    k0: FloatArray = np.asarray(np.linalg.inv(h0), dtype=np.float64)
    theta0 = np.concatenate([fit.params, fit.coefs])
    # Battles grouped by ordered pair (contiguous), so the contender part of the logit
    # is a sequential repeat and its gradient a sequential reduce.
    key = a * n_models + b
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    bounds = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    groups = _PairGroups(
        pa=key_sorted[bounds] // n_models,
        pb=key_sorted[bounds] % n_models,
        starts=bounds,
        sizes=np.diff(np.r_[bounds, n]),
    )
    y_sorted, f_sorted = y[order], f[order]
    chunk = max(1, _CHUNK_ELEMENTS // max(n, 1))
    starts = list(range(0, rounds, chunk))
    # one child generator per chunk: the result depends on the seed, not on threading
    children = np.random.SeedSequence(seed).spawn(len(starts))
    out = np.empty((rounds, n_models + k))

    def run(c: int) -> None:
        start = starts[c]
        size = min(chunk, rounds - start)
        rng = np.random.default_rng(children[c])
        w: FloatArray = np.empty((size, n))
        for r in range(size):
            w[r] = np.bincount(rng.integers(0, n, size=n), minlength=n)
        theta = np.repeat(theta0[None, :], size, axis=0)
        done = _chord(
            theta, groups, y_sorted, f_sorted, w[:, order], k0, (fit.ridge, fit.coef_ridge),
            max_iter, tol,
        )  # fmt: skip
        for slow in np.flatnonzero(~done):
            exact = fit_style_control(
                a, b, outcome, f, n_models, weights=w[slow], coef_ridge=fit.coef_ridge
            )
            theta[slow] = np.concatenate([exact.params, exact.coefs])
        out[start : start + size] = theta

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        list(pool.map(run, range(len(starts))))
    params = out[:, :n_models] - out[:, :n_models].mean(axis=1, keepdims=True)
    return params, out[:, n_models:]


@dataclass(frozen=True)
class _PairGroups:
    """Battles sorted by ordered pair: pair members, first battle and size per group."""

    pa: IntArray
    pb: IntArray
    starts: IntArray
    sizes: IntArray


def _chord(
    theta: FloatArray,
    groups: _PairGroups,
    y: FloatArray,
    f: FloatArray,
    w: FloatArray,
    k0: FloatArray,
    ridges: tuple[float, float],
    max_iter: int,
    tol: float,
) -> NDArray[np.bool_]:
    """Chord Newton steps on ``theta`` (R, M + K) in place; returns converged flags.

    Battles (``y``, ``f``, ``w``) must be sorted by ordered pair as in ``groups``.
    """
    n_models = k0.shape[0] - f.shape[1]
    n_pairs = groups.pa.size
    inc_t = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([groups.pa, groups.pb]), np.concatenate([np.arange(n_pairs)] * 2)),
        ),
        shape=(n_models, n_pairs),
    )
    f_t = np.ascontiguousarray(f.T)
    tmp = np.empty_like(w)
    done = np.zeros(theta.shape[0], dtype=bool)
    for _ in range(max_iter):
        buf = np.repeat(theta[:, groups.pa] - theta[:, groups.pb], groups.sizes, axis=1)
        # einsum, not BLAS, in here: chunks already run in parallel threads
        np.einsum("rk,kn->rn", theta[:, n_models:], f_t, out=tmp)
        buf += tmp
        expit(buf, out=buf)
        buf -= y
        buf *= w
        per_pair = np.add.reduceat(buf, groups.starts, axis=1)
        grad = np.concatenate(
            [np.asarray(inc_t @ per_pair.T).T, np.einsum("rn,kn->rk", buf, f_t)], axis=1
        )
        grad[:, :n_models] += ridges[0] * theta[:, :n_models]
        grad[:, n_models:] += ridges[1] * theta[:, n_models:]
        step = np.einsum("rm,mn->rn", grad, k0)
        theta -= step
        done = np.max(np.abs(step), axis=1) < tol
        if done.all():
            break
    return done


def log_odds_factor(scale: float = 400.0, base: float = 10.0) -> float:
    """Elo points per unit of natural log-odds (``scale / ln(base)``)."""
    return scale / math.log(base)
