"""Intervals for the style-control fit: sandwich, and a vectorised bootstrap."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit

from ratings.stats.counts import FloatArray, IntArray
from ratings.stats.style import (
    StyleFit,
    design_gram,
    fit_style_control,
    outcome_scores,
    style_design,
    style_hessian,
)

# Replicate x battle entries held at once in the bootstrap. Kept under glibc's largest
# mmap threshold (32 MiB) so that working arrays are recycled, not page-faulted afresh.
_CHUNK_ELEMENTS = 2_000_000


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
    design = style_design(a, b, n_models)
    extra = hessian_ridge * a.size
    # The gauge direction always: the meat ignores it.
    hess = style_hessian(
        design, f, p * (1.0 - p), n_models,
        ridge=fit.ridge + extra, coef_ridge=fit.coef_ridge + extra, gauge=True,
    )  # fmt: skip
    meat = design_gram(design, f, (y - p) ** 2, n_models)
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
    design = style_design(a, b, n_models)
    p0 = expit(fit.params[a] - fit.params[b] + f @ fit.coefs)
    h0 = style_hessian(
        design, f, p0 * (1.0 - p0), n_models,
        ridge=fit.ridge, coef_ridge=fit.coef_ridge, gauge=fit.ridge == 0.0,
    )  # fmt: skip
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
