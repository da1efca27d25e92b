"""Confidence intervals for Bradley-Terry strengths: sandwich and bootstrap."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ratings.stats.bradley_terry import (
    DEFAULT_RIDGE,
    gradient_batch,
    hessian_batch,
    incidence,
    newton_batch,
)
from ratings.stats.counts import FloatArray, IntArray, pair_arrays
from ratings.stats.exceptions import ConvergenceError

_N_CHUNKS = 4
_CHORD_STEPS = 8


def pair_laplacian(weight: FloatArray, i: IntArray, j: IntArray, n_models: int) -> FloatArray:
    """``sum_p weight_p (e_i - e_j)(e_i - e_j)^T`` over pairs ``(i_p, j_p)``, shape (M, M)."""
    mat = np.zeros((n_models, n_models))
    np.add.at(mat, (i, j), -weight)
    np.add.at(mat, (j, i), -weight)
    np.add.at(mat, (i, i), weight)
    np.add.at(mat, (j, j), weight)
    return mat


def sandwich_covariance(
    wins: FloatArray,
    ties: FloatArray,
    params: FloatArray,
    *,
    ridge: float = 0.0,
    hessian_ridge: float = 1e-5,
    wins_sq: FloatArray | None = None,
    ties_sq: FloatArray | None = None,
) -> FloatArray:
    """Robust (sandwich) covariance of Bradley-Terry strengths.

    ``H^-1 G H^-1`` where ``H`` is the Hessian of the negative log-likelihood (plus
    ``ridge + hessian_ridge * N`` on the diagonal, N the number of battles, as
    arena-rank does) and ``G`` the sum over battles of the outer products of their
    score vectors (a tie scores ``0.5 - p``).

    For a weighted fit (each battle's log-likelihood times its weight ``w``), ``wins``
    and ``ties`` are the per-cell sums of ``w`` and ``wins_sq``/``ties_sq`` the sums of
    ``w**2``: a battle's score vector is scaled by ``w``, so it enters ``G`` with ``w**2``.

    Parameters
    ----------
    wins, ties : ndarray, shape (M, M)
        One category's counts (or weighted counts).
    params : ndarray, shape (M,)
        Fitted log-odds strengths.
    ridge : float
        Ridge the fit used.
    hessian_ridge : float
        Extra diagonal per battle for numerical stability.
    wins_sq, ties_sq : ndarray, shape (M, M), optional
        Sums of squared weights per cell; by default ``wins``/``ties`` (weights 1).

    Returns
    -------
    ndarray, shape (M, M)
        Covariance in natural (log-odds) units.
    """
    i, j, w_ij, w_ji, t_ij = pair_arrays(wins, ties)
    n_models = wins.shape[0]
    total = w_ij + w_ji + t_ij
    p = 1.0 / (1.0 + np.exp(-(params[i] - params[j])))
    hess = pair_laplacian(total * p * (1.0 - p), i, j, n_models)
    hess[np.diag_indices(n_models)] += ridge + hessian_ridge * total.sum()
    # The meat has no component along the all-ones (gauge) direction, so adding a
    # rank-one term there leaves the result unchanged but keeps H well conditioned.
    hess += 1.0 / n_models
    if wins_sq is None or ties_sq is None:
        sq_ij, sq_ji, sq_t = w_ij, w_ji, t_ij
    else:
        sq_ij, sq_ji, sq_t = wins_sq[i, j], wins_sq[j, i], ties_sq[i, j]
    meat_w = sq_ij * (1.0 - p) ** 2 + sq_ji * p**2 + sq_t * (0.5 - p) ** 2
    meat = pair_laplacian(meat_w, i, j, n_models)
    h_inv = np.linalg.inv(hess)
    cov: FloatArray = h_inv @ meat @ h_inv
    return cov


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates of Bradley-Terry strengths.

    Attributes
    ----------
    params : ndarray, shape (R, M)
        Log-odds strengths per replicate, each centred to mean zero.
    n_regularized : int
        Replicates whose comparison graph was not strongly connected and were fitted
        with :data:`~ratings.stats.bradley_terry.DEFAULT_RIDGE`.
    """

    params: FloatArray
    n_regularized: int


def strongly_connected_batch(
    i: IntArray, j: IntArray, fwd: NDArray[np.bool_], bwd: NDArray[np.bool_], n_models: int
) -> NDArray[np.bool_]:
    """Whether each of R directed comparison graphs is strongly connected.

    Parameters
    ----------
    i, j : ndarray of int, shape (P,)
        Pairs.
    fwd, bwd : ndarray of bool, shape (R, P)
        Edge ``i -> j`` (``i`` scored against ``j``) and ``j -> i`` per graph.
    n_models : int
        Nodes M.

    Returns
    -------
    ndarray of bool, shape (R,)
        True where every node reaches node 0 and node 0 reaches every node.
    """
    n_rep = fwd.shape[0]
    adj = np.zeros((n_rep, n_models, n_models))
    adj[:, i, j] = fwd
    adj[:, j, i] = bwd
    ok = np.ones(n_rep, dtype=bool)
    for graph in (adj, np.swapaxes(adj, 1, 2)):
        reach = np.zeros((n_rep, 1, n_models))
        reach[:, 0, 0] = 1.0
        for _ in range(n_models):
            grown = np.minimum(reach + reach @ graph, 1.0)
            if np.array_equal(grown, reach):
                break
            reach = grown
        ok &= reach[:, 0, :].all(axis=1)
    return ok


def bootstrap_bradley_terry(
    wins: FloatArray,
    ties: FloatArray,
    params: FloatArray,
    *,
    rounds: int = 100,
    seed: int | None = None,
    ridge: float = 0.0,
    resample: Literal["multinomial", "poisson"] = "poisson",
    max_iter: int = 200,
    tol: float = 1e-6,
    vote_counts: tuple[FloatArray, FloatArray] | None = None,
) -> BootstrapResult:
    """Bootstrap Bradley-Terry strengths, fitting all replicates together.

    Resampling battles with replacement is, on aggregated counts, a multinomial draw
    over the (pair, outcome) cells (or independent Poisson draws). Every replicate
    starts at the full-data fit and iterates with the full-data Hessian factorised once
    (a chord Newton method); replicates that do not settle within a few chord steps
    get exact batched Newton.

    Parameters
    ----------
    wins, ties : ndarray, shape (M, M)
        One category's counts (every contender must have played).
    params : ndarray, shape (M,)
        The full-data fit (starting point).
    rounds : int
        Number of replicates R.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng`.
    ridge : float
        Ridge of the full-data fit. Replicates that lose strong connectivity use
        ``max(ridge, DEFAULT_RIDGE)``.
    resample : {"poisson", "multinomial"}
        Independent Poisson counts per (pair, outcome) cell (the default: the same
        distribution as giving every battle a Poisson(1) weight, and about twice as
        fast to draw), or a multinomial draw with the total fixed, as arena-rank does.
    max_iter, tol : int, float
        Iteration limit and step tolerance.
    vote_counts : (wins, ties), optional
        For a weighted fit (``wins``/``ties`` then hold weight sums): the vote counts
        behind them. Battles are resampled by these counts and each redrawn battle
        weighs its cell's mean weight (the spread of weights within a cell is ignored).

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ConvergenceError
    """
    if resample not in ("multinomial", "poisson"):
        raise ValueError(f"unknown resample scheme {resample!r}")
    n_models = wins.shape[0]
    i, j, w_ij, w_ji, t_ij = pair_arrays(wins, ties)
    cells = np.concatenate([w_ij, w_ji, t_ij])
    cell_weight = np.ones_like(cells)
    if vote_counts is not None:
        raw_w, raw_t = vote_counts
        raw = np.concatenate([raw_w[i, j], raw_w[j, i], raw_t[i, j]])
        cell_weight = np.divide(cells, raw, out=np.zeros_like(cells), where=raw > 0)
        cells = raw
    # A fixed number of chunks, each with its own child generator, so the result
    # depends on the seed only (not on how many threads ran them).
    chunk_sizes = [len(c) for c in np.array_split(np.arange(rounds), _N_CHUNKS)]
    children = np.random.SeedSequence(seed).spawn(_N_CHUNKS)
    full_fwd = (w_ij + t_ij) > 0
    full_bwd = (w_ji + t_ij) > 0
    # chord matrices (Hessian at the full-data fit), inverted once per ridge value
    p0 = 1.0 / (1.0 + np.exp(-(params[i] - params[j])))
    total0 = (w_ij + w_ji + t_ij)[None, :]
    chord = {
        rr: np.linalg.inv(hessian_batch(p0[None, :], total0, i, j, n_models, rr)[0])
        for rr in {ridge, max(ridge, DEFAULT_RIDGE)}
    }

    def run(chunk: int) -> tuple[FloatArray, int]:
        size = chunk_sizes[chunk]
        if size == 0:
            return np.empty((0, n_models)), 0
        rng = np.random.default_rng(children[chunk])
        if resample == "multinomial":
            n_total = round(float(cells.sum()))
            draws = rng.multinomial(n_total, cells / cells.sum(), size=size)
        else:
            draws = rng.poisson(cells, size=(size, cells.size))
        b_ij, b_ji, b_t = np.split(draws.astype(np.float64) * cell_weight, 3, axis=1)
        needs_ridge = np.zeros(size, dtype=bool)
        if ridge == 0.0:
            # only replicates that lost an edge of the full graph can lose connectivity
            fwd, bwd = (b_ij + b_t) > 0, (b_ji + b_t) > 0
            lost = np.flatnonzero(((~fwd & full_fwd) | (~bwd & full_bwd)).any(axis=1))
            if lost.size:
                connected = strongly_connected_batch(i, j, fwd[lost], bwd[lost], n_models)
                needs_ridge[lost] = ~connected
        out = np.empty((size, n_models))
        for flag in (False, True):
            sel = np.flatnonzero(needs_ridge == flag)
            if sel.size:
                rr = max(ridge, DEFAULT_RIDGE) if flag else ridge
                score = b_ij[sel] + 0.5 * b_t[sel]
                total = b_ij[sel] + b_ji[sel] + b_t[sel]
                out[sel] = _solve_replicates(
                    i, j, score, total, n_models, rr, params, chord[rr], max_iter, tol
                )
        return out, int(needs_ridge.sum())

    with ThreadPoolExecutor(max_workers=min(_N_CHUNKS, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(run, range(_N_CHUNKS)))
    out = np.concatenate([part[0] for part in parts])
    out -= out.mean(axis=1, keepdims=True)
    n_reg = sum(part[1] for part in parts)
    return BootstrapResult(out, n_reg)


def _solve_replicates(
    i: IntArray,
    j: IntArray,
    score: FloatArray,
    total: FloatArray,
    n_models: int,
    ridge: float,
    start: FloatArray,
    k0: FloatArray,
    max_iter: int,
    tol: float,
) -> FloatArray:
    inc = incidence(i, j, n_models)
    n_rep = score.shape[0]
    x = np.repeat(start[None, :], n_rep, axis=0)
    done = np.zeros(n_rep, dtype=bool)
    first = np.zeros(n_rep)
    size = np.zeros(n_rep)
    for it in range(_CHORD_STEPS):
        grad, _p = gradient_batch(x, i, j, score, total, ridge, inc)
        # einsum rather than BLAS: we already run one thread per chunk, and threaded
        # BLAS inside those threads oversubscribes the cores
        step = np.einsum("rm,mn->rn", grad, k0)
        if ridge == 0.0:
            step -= step.mean(axis=1, keepdims=True)
        x -= step
        size = np.max(np.abs(step), axis=1)
        if it == 0:
            first = size
        done = size < tol
        if done.all():
            return x
    todo = np.flatnonzero(~done)
    # slow replicates (a contender with few battles) get exact Newton from where the
    # chord got them, unless the chord was not contracting there
    x[todo[size[todo] >= first[todo]]] = start
    try:
        x[todo], _ = newton_batch(
            i, j, score[todo], total[todo], n_models, ridge, x[todo], max_iter, tol
        )
    except ConvergenceError:
        raise ConvergenceError("bootstrap replicates did not converge") from None
    return x
