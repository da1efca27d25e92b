"""Aggregated pairwise outcome counts: the only input a Bradley-Terry fit needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: Outcome codes used for per-battle arrays.
A_WINS, B_WINS, TIE, BOTH_BAD = 0, 1, 2, 3

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class PairCounts:
    """Per-category pairwise outcome counts.

    Attributes
    ----------
    models : list of str
        The M contender names.
    categories : list of str
        The C category names; ``"overall"`` first when present.
    wins : ndarray, shape (C, M, M)
        ``wins[c, i, j]`` is the number of battles in category ``c`` that ``i`` won
        against ``j``.
    ties : ndarray, shape (C, M, M)
        Symmetric; ``ties[c, i, j]`` is the number of ties (including "both bad")
        between ``i`` and ``j`` in category ``c``.
    bothbad : ndarray, shape (C, M, M), optional
        Symmetric; the "both bad" part of ``ties`` when known.
    weights : VoteWeights, optional
        Per-cell sums of the votes' inverse-probability weights (and of their squares),
        same shapes as ``wins``/``ties``; ``None`` when every vote weighs 1.
    """

    models: list[str]
    categories: list[str]
    wins: FloatArray
    ties: FloatArray
    bothbad: FloatArray | None = field(default=None)
    weights: VoteWeights | None = field(default=None)

    def __post_init__(self) -> None:
        shape = (len(self.categories), len(self.models), len(self.models))
        for name in ("wins", "ties"):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
        if not np.allclose(self.ties, np.swapaxes(self.ties, 1, 2)):
            raise ValueError("ties must be symmetric in its last two axes")
        if (self.wins < 0).any() or (self.ties < 0).any():
            raise ValueError("counts must be non-negative")
        if self.weights is not None:
            for name in ("wins", "ties", "wins_sq", "ties_sq"):
                got = getattr(self.weights, name).shape
                if got != shape:
                    raise ValueError(f"weights.{name} has shape {got}, expected {shape}")

    def category_index(self, category: str) -> int:
        """Position of ``category`` in :attr:`categories` (``KeyError`` if absent)."""
        try:
            return self.categories.index(category)
        except ValueError:
            raise KeyError(f"unknown category {category!r}") from None

    @property
    def votes(self) -> FloatArray:
        """Battles each contender took part in, shape (C, M)."""
        played = self.wins + np.swapaxes(self.wins, 1, 2) + self.ties
        return np.asarray(played.sum(axis=2), dtype=np.float64)

    @property
    def n_battles(self) -> FloatArray:
        """Battles per category, shape (C,)."""
        total = self.wins.sum(axis=(1, 2)) + self.ties.sum(axis=(1, 2)) / 2.0
        return np.asarray(total, dtype=np.float64)

    def subset(self, categories: list[str]) -> PairCounts:
        """The same counts restricted to ``categories`` (in that order)."""
        idx = [self.category_index(c) for c in categories]
        return PairCounts(
            models=list(self.models),
            categories=list(categories),
            wins=self.wins[idx],
            ties=self.ties[idx],
            bothbad=None if self.bothbad is None else self.bothbad[idx],
            weights=None if self.weights is None else self.weights.subset(idx),
        )

    def fit_counts(self, c: int, *, weighted: bool = True) -> FitCounts:
        """What a fit of category ``c`` reads: counts, or normalised weighted counts.

        Weighted, every vote counts ``w * N / W`` (``N`` votes, ``W`` their total weight
        in the category): the relative weights correct the sampling policy, and the
        total stays the vote count, so a fit of uniformly drawn votes is unchanged.
        """
        wins, ties = self.wins[c], self.ties[c]
        if not weighted or self.weights is None:
            return FitCounts(wins, ties, wins, ties)
        w = self.weights
        raw_total = wins.sum() + ties.sum() / 2.0
        weight_total = w.wins[c].sum() + w.ties[c].sum() / 2.0
        scale = raw_total / weight_total if weight_total > 0 else 1.0
        return FitCounts(
            w.wins[c] * scale, w.ties[c] * scale, w.wins_sq[c] * scale**2, w.ties_sq[c] * scale**2
        )


@dataclass(frozen=True)
class VoteWeights:
    """Per-cell sums of vote weights, shaped like :class:`PairCounts`' tensors.

    Attributes
    ----------
    wins, ties : ndarray, shape (C, M, M)
        Sum of the weights of the votes counted in ``PairCounts.wins`` / ``ties``.
    wins_sq, ties_sq : ndarray, shape (C, M, M)
        Sum of the squared weights (the sandwich's meat needs them).
    """

    wins: FloatArray
    ties: FloatArray
    wins_sq: FloatArray
    ties_sq: FloatArray

    def subset(self, idx: list[int]) -> VoteWeights:
        """The weights of the categories at positions ``idx``."""
        return VoteWeights(self.wins[idx], self.ties[idx], self.wins_sq[idx], self.ties_sq[idx])


@dataclass(frozen=True)
class FitCounts:
    """One category's (M, M) inputs to a fit: (weighted) counts and squared weights.

    Unweighted, ``wins_sq``/``ties_sq`` are the counts themselves (every weight is 1).
    """

    wins: FloatArray
    ties: FloatArray
    wins_sq: FloatArray
    ties_sq: FloatArray


def counts_from_battles(
    models: list[str],
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    *,
    categories: list[str] | None = None,
    category_mask: NDArray[np.bool_] | None = None,
    weight: NDArray[np.floating] | None = None,
) -> PairCounts:
    """Aggregate per-battle arrays into :class:`PairCounts`.

    Parameters
    ----------
    models : list of str
        Contender names; ``model_a``/``model_b`` index into it.
    model_a, model_b : ndarray of int, shape (N,)
        The two sides of each battle.
    outcome : ndarray of int, shape (N,)
        ``A_WINS`` (0), ``B_WINS`` (1), ``TIE`` (2) or ``BOTH_BAD`` (3).
    categories : list of str, optional
        Category names, default ``["overall"]``.
    category_mask : ndarray of bool, shape (C, N), optional
        Which battles belong to which category; default all battles in every one.
    weight : ndarray, shape (N,), optional
        Each battle's inverse-probability weight; summed into ``weights`` when given.

    Returns
    -------
    PairCounts
    """
    cats = ["overall"] if categories is None else list(categories)
    n_models = len(models)
    a = np.asarray(model_a, dtype=np.intp)
    b = np.asarray(model_b, dtype=np.intp)
    out = np.asarray(outcome, dtype=np.intp)
    if not (a.shape == b.shape == out.shape):
        raise ValueError("model_a, model_b and outcome must have the same shape")
    if ((out < 0) | (out > 3)).any():
        raise ValueError("outcome codes must be in 0..3")
    mask = (
        np.ones((len(cats), a.size), dtype=bool)
        if category_mask is None
        else np.asarray(category_mask, dtype=bool)
    )
    if mask.shape != (len(cats), a.size):
        raise ValueError(f"category_mask has shape {mask.shape}, expected {(len(cats), a.size)}")
    winner = np.where(out == B_WINS, b, a)
    loser = np.where(out == B_WINS, a, b)
    mm = n_models * n_models
    cell_win = winner * n_models + loser
    is_decisive = out <= B_WINS
    is_bothbad = out == BOTH_BAD
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if w is not None and w.shape != a.shape:
        raise ValueError("weight must have the same shape as model_a")

    def cells(sel: NDArray[np.bool_], values: FloatArray | None = None) -> FloatArray:
        v = None if values is None else values[sel]
        found = np.bincount(cell_win[sel], weights=v, minlength=mm)
        return np.asarray(found, dtype=np.float64).reshape(n_models, -1)

    wins = np.zeros((len(cats), n_models, n_models))
    ties = np.zeros_like(wins)
    bothbad = np.zeros_like(wins)
    sums = [np.zeros_like(wins) for _ in range(4)]
    for c in range(len(cats)):
        m = mask[c]
        wins[c] = cells(m & is_decisive)
        t = cells(m & ~is_decisive)
        ties[c] = t + t.T
        bb = cells(m & is_bothbad)
        bothbad[c] = bb + bb.T
        if w is not None:
            sums[0][c] = cells(m & is_decisive, w)
            sums[2][c] = cells(m & is_decisive, w * w)
            for k, values in ((1, w), (3, w * w)):
                t = cells(m & ~is_decisive, values)
                sums[k][c] = t + t.T
    weights = None if w is None else VoteWeights(*sums)
    return PairCounts(list(models), cats, wins, ties, bothbad, weights)


def pair_arrays(
    wins: FloatArray, ties: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """Flatten one category's (M, M) counts to the pairs that met.

    Returns
    -------
    i, j : ndarray of int, shape (P,)
        Pair members, ``i < j``.
    wins_ij, wins_ji, ties_ij : ndarray, shape (P,)
        Outcome counts of each pair.
    """
    total = wins + wins.T + ties
    i, j = np.nonzero(np.triu(total, k=1))
    return i, j, wins[i, j], wins[j, i], ties[i, j]
