"""Online Elo in vote order (a secondary, order-dependent view)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ratings.stats.counts import A_WINS, B_WINS, FloatArray


def online_elo(
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    n_models: int,
    *,
    k: float = 4.0,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
) -> FloatArray:
    """Sequential Elo updates over battles in the order given.

    Parameters
    ----------
    model_a, model_b : ndarray of int, shape (N,)
        Contender indices per battle, in vote order.
    outcome : ndarray of int, shape (N,)
        ``A_WINS`` (0), ``B_WINS`` (1), ``TIE`` (2) or ``BOTH_BAD`` (3); ties and
        "both bad" score half a point each.
    n_models : int
        Number of contenders M.
    k : float
        Update step (FastChat uses 4).
    scale, base, init : float
        Elo conventions.

    Returns
    -------
    ndarray, shape (M,)
        Final ratings; contenders that never played stay at ``init``.
    """
    a = np.asarray(model_a).tolist()
    b = np.asarray(model_b).tolist()
    out = np.asarray(outcome)
    score_a = np.where(out == A_WINS, 1.0, np.where(out == B_WINS, 0.0, 0.5)).tolist()
    rating = [float(init)] * n_models
    for ia, ib, sa in zip(a, b, score_a, strict=True):
        ea = 1.0 / (1.0 + base ** ((rating[ib] - rating[ia]) / scale))
        delta = k * (sa - ea)
        rating[ia] += delta
        rating[ib] -= delta
    return np.array(rating)
