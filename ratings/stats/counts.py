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
    """

    models: list[str]
    categories: list[str]
    wins: FloatArray
    ties: FloatArray
    bothbad: FloatArray | None = field(default=None)

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
        )


def counts_from_battles(
    models: list[str],
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    *,
    categories: list[str] | None = None,
    category_mask: NDArray[np.bool_] | None = None,
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
    wins = np.zeros((len(cats), n_models, n_models))
    ties = np.zeros_like(wins)
    bothbad = np.zeros_like(wins)
    for c in range(len(cats)):
        m = mask[c]
        wins[c] = np.bincount(cell_win[m & is_decisive], minlength=mm).reshape(n_models, -1)
        t = np.bincount(cell_win[m & ~is_decisive], minlength=mm).reshape(n_models, -1)
        ties[c] = t + t.T
        bb = np.bincount(cell_win[m & is_bothbad], minlength=mm).reshape(n_models, -1)
        bothbad[c] = bb + bb.T
    return PairCounts(list(models), cats, wins, ties, bothbad)


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
