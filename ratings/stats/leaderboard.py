"""Per-category leaderboards (ratings, intervals, ranks) from pair counts."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from scipy.special import ndtri

from ratings.stats.bradley_terry import fit_bradley_terry, to_rating_scale
from ratings.stats.counts import FitCounts, FloatArray, PairCounts
from ratings.stats.exceptions import RegularizationWarning
from ratings.stats.intervals import bootstrap_bradley_terry, sandwich_covariance
from ratings.stats.ranks import probability_first, rank_by_rating, rank_upper_bound

CiMethod = Literal["sandwich", "bootstrap", "none"]
Resample = Literal["poisson", "multinomial"]
Progress = Callable[[int, int, str], None]

SCALE, BASE, INIT = 400.0, 10.0, 1000.0
HESSIAN_RIDGE = 1e-5
#: How ``p_first`` is estimated, per interval method (recorded in the method).
FIRST_PLACE_NOTE = {
    "bootstrap": "share of bootstrap replicates in which the contender rates highest",
    "sandwich": "share of draws from the sandwich normal approximation (rounds draws)",
    "none": None,
}


def compute_leaderboard(
    counts: PairCounts,
    *,
    ci: CiMethod = "sandwich",
    rounds: int = 100,
    seed: int | None = None,
    anchor: tuple[str, float] | None = None,
    min_votes: int = 0,
    progress: Progress | None = None,
    significance: float = 0.05,
    resample: Resample = "poisson",
    weighted: bool = True,
    keep_unranked: bool = False,
    first_place: bool = False,
    min_votes_by_category: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Bradley-Terry leaderboard of every category in ``counts``.

    Parameters
    ----------
    counts : PairCounts
        Aggregated outcomes.
    ci : {"sandwich", "bootstrap", "none"}
        Interval method. With "none", ``ci_lower``/``ci_upper`` are ``None`` and
        ``rank_ub`` equals ``rank``.
    rounds : int
        Bootstrap replicates.
    seed : int, optional
        Bootstrap seed (reproducible when given).
    anchor : (str, float), optional
        Pin this contender to this rating; otherwise ratings average 1000. Intervals
        are then for the difference to the anchor (which has a zero-width interval).
    min_votes : int
        Rows of contenders with fewer votes in a category are left out (they still
        take part in the fit, so the threshold does not move anyone else's rating).
    progress : callable, optional
        Called as ``progress(done, total, category)`` after each category.
    significance : float
        Two-sided level of the intervals (0.05 gives 95% intervals).
    resample : {"poisson", "multinomial"}
        Bootstrap draw, see :func:`~ratings.stats.intervals.bootstrap_bradley_terry`.
    weighted : bool
        Weight each vote by the inverse of its pair's sampling probability when
        ``counts.weights`` is present (see :meth:`PairCounts.fit_counts`). Ratings,
        intervals and ranks use the weights; ``votes`` and ``win_rate`` stay raw.
    keep_unranked : bool
        Keep the rows under ``min_votes`` too, with ``rank`` and ``rank_ub`` None
        ("not enough votes"); ranks count the ranked rows only.
    min_votes_by_category : mapping, optional
        ``min_votes`` of particular categories (the others use ``min_votes``).
    first_place : bool
        Add ``p_first`` to each row: the probability of being #1 among the ranked
        rows, from the bootstrap replicates (``ci="bootstrap"``) or from ``rounds``
        draws of the sandwich normal approximation (``ci="sandwich"``); None without
        intervals.

    Returns
    -------
    dict
        ``{"method": {...}, "categories": {name: {"votes", "rows", "warnings"}}}``;
        rows are sorted by rating, highest first.
    """
    if ci not in ("sandwich", "bootstrap", "none"):
        raise ValueError(f"unknown ci method {ci!r}")
    method = method_parameters(
        "bradley_terry",
        ci=ci,
        rounds=rounds,
        seed=seed,
        significance=significance,
        anchor=anchor,
        min_votes=min_votes,
    )
    method["resample"] = resample if ci == "bootstrap" else None
    method["weighting"] = (
        "inverse pair probability" if weighted and counts.weights is not None else "none"
    )
    method["min_votes_by_category"] = dict(min_votes_by_category or {})
    if first_place:
        method["p_first"] = FIRST_PLACE_NOTE[ci]
    result: dict[str, Any] = {"method": method, "categories": {}}
    for k, category in enumerate(counts.categories):
        seed_c = None if seed is None else seed + k
        result["categories"][category] = category_leaderboard(
            counts,
            category,
            ci=ci,
            rounds=rounds,
            seed=seed_c,
            anchor=anchor,
            min_votes=(min_votes_by_category or {}).get(category, min_votes),
            significance=significance,
            resample=resample,
            weighted=weighted,
            keep_unranked=keep_unranked,
            first_place=first_place,
        )
        if progress is not None:
            progress(k + 1, len(counts.categories), category)
    return result


def method_parameters(
    model: str,
    *,
    ci: CiMethod,
    rounds: int,
    seed: int | None,
    significance: float,
    anchor: tuple[str, float] | None,
    min_votes: int,
) -> dict[str, Any]:
    """The ``"method"`` record of a leaderboard: its parameters and rating conventions."""
    return {
        "model": model,
        "ci": ci,
        "rounds": rounds if ci == "bootstrap" else None,
        "seed": seed,
        "significance": significance,
        "anchor": None if anchor is None else {"model": anchor[0], "rating": anchor[1]},
        "min_votes": min_votes,
        "scale": SCALE,
        "base": BASE,
        "init": INIT,
        "ties": "half a win each way (both bad included)",
        "hessian_ridge": HESSIAN_RIDGE,
    }


def category_leaderboard(
    counts: PairCounts,
    category: str,
    *,
    ci: CiMethod = "sandwich",
    rounds: int = 100,
    seed: int | None = None,
    anchor: tuple[str, float] | None = None,
    min_votes: int = 0,
    significance: float = 0.05,
    resample: Resample = "poisson",
    weighted: bool = True,
    keep_unranked: bool = False,
    first_place: bool = False,
) -> dict[str, Any]:
    """One category of :func:`compute_leaderboard` (same parameters)."""
    c = counts.category_index(category)
    votes_all = counts.votes[c]
    active = np.flatnonzero(votes_all > 0)
    notes: list[str] = []
    entry: dict[str, Any] = {
        "votes": round(float(counts.n_battles[c])),
        "rows": [],
        "warnings": notes,
    }
    if active.size < 2:
        notes.append("fewer than two contenders have votes; nothing to rate")
        return entry
    names = [counts.models[m] for m in active]
    sub = np.ix_(active, active)
    raw = (counts.wins[c][sub], counts.ties[c][sub])
    fc = counts.fit_counts(c, weighted=weighted)
    fit_in = FitCounts(fc.wins[sub], fc.ties[sub], fc.wins_sq[sub], fc.ties_sq[sub])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RegularizationWarning)
        fit = fit_bradley_terry(fit_in.wins, fit_in.ties)
    notes.extend(str(w.message) for w in caught)
    theta = fit.params
    anchor_idx = anchor_index(names, anchor, notes)
    ratings = to_rating_scale(theta, scale=SCALE, base=BASE, init=INIT)
    if anchor_idx is not None and anchor is not None:
        ratings += anchor[1] - ratings[anchor_idx]
    lower, upper, samples = _intervals(
        fit_in, raw if weighted and counts.weights is not None else None, theta, fit.ridge, ratings,
        anchor_idx, ci, (rounds, seed, resample), significance, notes,
    )  # fmt: skip
    votes = votes_all[active]
    score = raw[0].sum(axis=1) + 0.5 * raw[1].sum(axis=1)
    entry["rows"] = leaderboard_rows(
        names, ratings, lower, upper, votes, score, min_votes,
        keep_unranked=keep_unranked, samples=samples if first_place else None,
        first_place=first_place,
    )  # fmt: skip
    return entry


def leaderboard_rows(
    names: list[str],
    ratings: FloatArray,
    lower: FloatArray | None,
    upper: FloatArray | None,
    votes: FloatArray,
    score: FloatArray,
    min_votes: int = 0,
    *,
    keep_unranked: bool = False,
    samples: FloatArray | None = None,
    first_place: bool = False,
) -> list[dict[str, Any]]:
    """Leaderboard rows (the shared row contract), sorted by rating, highest first.

    Parameters
    ----------
    names : list of str
        Contenders.
    ratings, lower, upper : ndarray, shape (M,)
        Ratings and interval bounds (bounds may be None).
    votes, score : ndarray, shape (M,)
        Battles played and points scored (ties count half).
    min_votes : int
        Contenders with fewer votes are not ranked; ranks count the ranked rows.
    keep_unranked : bool
        Keep the unranked rows (``rank`` and ``rank_ub`` None) instead of leaving them out.
    samples : ndarray, shape (R, M), optional
        Replicate strengths for ``p_first`` (probability of being #1 among the ranked).
    first_place : bool
        Add the ``p_first`` key (None without ``samples``).

    Returns
    -------
    list of dict
        Keys ``model, rating, ci_lower, ci_upper, rank, rank_ub, votes, win_rate``
        (and ``p_first`` with ``first_place``).
    """
    ranked = votes >= min_votes
    shown = np.flatnonzero(ranked)
    rank = rank_by_rating(ratings[shown])
    if lower is None or upper is None:
        rank_ub = rank
    else:
        rank_ub = rank_upper_bound(lower[shown], upper[shown])
    p_first = np.zeros(len(names))
    if samples is not None and shown.size:
        p_first[shown] = probability_first(samples[:, shown])
    position = {int(m): pos for pos, m in enumerate(shown)}
    rows: list[dict[str, Any]] = []
    for m in range(len(names)) if keep_unranked else shown.tolist():
        pos = position.get(int(m))
        row: dict[str, Any] = {
            "model": names[m],
            "rating": float(ratings[m]),
            "ci_lower": None if lower is None else float(lower[m]),
            "ci_upper": None if upper is None else float(upper[m]),
            "rank": None if pos is None else int(rank[pos]),
            "rank_ub": None if pos is None else int(rank_ub[pos]),
            "votes": round(float(votes[m])),
            "win_rate": float(score[m] / votes[m]),
        }
        if first_place:
            row["p_first"] = None if samples is None else float(p_first[m])
        rows.append(row)
    rows.sort(key=lambda row: (-float(row["rating"]), str(row["model"])))
    return rows


def interval_from_covariance(
    ratings: FloatArray,
    cov: FloatArray,
    anchor_idx: int | None = None,
    significance: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Normal-approximation interval on the Elo scale from a log-odds covariance.

    With an anchor, the interval is for the difference to the anchor.
    """
    var = np.diag(cov)[: ratings.size].copy()
    if anchor_idx is not None:
        var = var + cov[anchor_idx, anchor_idx] - 2.0 * cov[: ratings.size, anchor_idx]
    z = float(ndtri(1.0 - significance / 2.0))
    half = z * np.sqrt(np.maximum(var, 0.0)) * (SCALE / math.log(BASE))
    return ratings - half, ratings + half


def interval_from_samples(
    ratings: FloatArray,
    params: FloatArray,
    anchor_idx: int | None = None,
    significance: float = 0.05,
) -> tuple[FloatArray, FloatArray]:
    """Percentile interval on the Elo scale from bootstrap log-odds ``params`` (R, M)."""
    samples = to_rating_scale(params, scale=SCALE, base=BASE, init=INIT)
    if anchor_idx is not None:
        samples = samples - samples[:, [anchor_idx]] + ratings[anchor_idx]
    lower = np.quantile(samples, significance / 2.0, axis=0)
    upper = np.quantile(samples, 1.0 - significance / 2.0, axis=0)
    return lower, upper


def anchor_index(
    names: list[str], anchor: tuple[str, float] | None, notes: list[str]
) -> int | None:
    """Position of the anchor contender in ``names``, noting when it is absent."""
    if anchor is None:
        return None
    if anchor[0] not in names:
        notes.append(f"anchor {anchor[0]!r} has no votes here; ratings are centred on {INIT:g}")
        return None
    return names.index(anchor[0])


def _intervals(
    fit_in: FitCounts,
    vote_counts: tuple[FloatArray, FloatArray] | None,
    theta: FloatArray,
    ridge: float,
    ratings: FloatArray,
    anchor_idx: int | None,
    ci: CiMethod,
    boot: tuple[int, int | None, Resample],
    significance: float,
    notes: list[str],
) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None]:
    """Interval bounds, and replicate strengths (R, M) for ``p_first``."""
    if ci == "none":
        return None, None, None
    rounds, seed, resample = boot
    if ci == "sandwich":
        cov = sandwich_covariance(
            fit_in.wins,
            fit_in.ties,
            theta,
            ridge=ridge,
            hessian_ridge=HESSIAN_RIDGE,
            wins_sq=fit_in.wins_sq,
            ties_sq=fit_in.ties_sq,
        )
        lower, upper = interval_from_covariance(ratings, cov, anchor_idx, significance)
        return lower, upper, normal_draws(theta, cov, rounds, seed)
    result = bootstrap_bradley_terry(
        fit_in.wins,
        fit_in.ties,
        theta,
        rounds=rounds,
        seed=seed,
        ridge=ridge,
        resample=resample,
        vote_counts=vote_counts,
    )
    if result.n_regularized:
        notes.append(f"{result.n_regularized} of {rounds} bootstrap replicates needed a ridge")
    lower, upper = interval_from_samples(ratings, result.params, anchor_idx, significance)
    return lower, upper, result.params


def normal_draws(mean: FloatArray, cov: FloatArray, rounds: int, seed: int | None) -> FloatArray:
    """``rounds`` draws (R, M) of the normal approximation ``N(mean, cov)``.

    The sandwich's replicates: what a bootstrap would give for large samples, at the
    cost of one eigendecomposition (the covariance is singular along the gauge).
    """
    rng = np.random.default_rng(seed)
    draws: FloatArray = rng.multivariate_normal(mean, cov, size=rounds, method="eigh")
    return draws
