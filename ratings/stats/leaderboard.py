"""Per-category leaderboards (ratings, intervals, ranks) from pair counts."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy.special import ndtri

from ratings.stats.bradley_terry import fit_bradley_terry
from ratings.stats.counts import FitCounts, FloatArray, PairCounts
from ratings.stats.exceptions import RegularizationWarning
from ratings.stats.intervals import bootstrap_bradley_terry, sandwich_covariance
from ratings.stats.options import ELO_SCALE, HESSIAN_RIDGE, FitOptions, RatingScale
from ratings.stats.ranks import probability_first, rank_by_rating, rank_upper_bound
from ratings.stats.results import CategoryBoard, Leaderboard, LeaderboardRow

Progress = Callable[[int, int, str], None]


def compute_leaderboard(
    counts: PairCounts,
    options: FitOptions | None = None,
    *,
    progress: Progress | None = None,
) -> Leaderboard:
    """Bradley-Terry leaderboard of every category in ``counts``.

    Parameters
    ----------
    counts : PairCounts
        Aggregated outcomes (with ``weights`` for inverse-probability weighting).
    options : FitOptions, optional
        Interval method, thresholds, scale and anchor (defaults: sandwich intervals,
        mean 1000, every row ranked).
    progress : callable, optional
        Called as ``progress(done, total, category)`` after each category.

    Returns
    -------
    Leaderboard
        ``{"method": {...}, "categories": {name: {"votes", "rows", "warnings"}}}``;
        rows are sorted by rating, highest first.
    """
    opts = options or FitOptions()
    method = opts.method("bradley_terry")
    method["resample"] = opts.resample if opts.ci == "bootstrap" else None
    method["weighting"] = (
        "inverse pair probability" if opts.weighted and counts.weights is not None else "none"
    )
    result: Leaderboard = {"method": method, "categories": {}}
    for k, category in enumerate(counts.categories):
        result["categories"][category] = category_leaderboard(
            counts, category, opts.for_category(k, category)
        )
        if progress is not None:
            progress(k + 1, len(counts.categories), category)
    return result


def category_leaderboard(
    counts: PairCounts, category: str, options: FitOptions | None = None
) -> CategoryBoard:
    """One category of :func:`compute_leaderboard` (``options`` already for this category)."""
    opts = options or FitOptions()
    c = counts.category_index(category)
    votes_all = counts.votes[c]
    active = np.flatnonzero(votes_all > 0)
    notes: list[str] = []
    entry: CategoryBoard = {
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
    fc = counts.fit_counts(c, weighted=opts.weighted)
    fit_in = FitCounts(fc.wins[sub], fc.ties[sub], fc.wins_sq[sub], fc.ties_sq[sub])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RegularizationWarning)
        fit = fit_bradley_terry(fit_in.wins, fit_in.ties)
    notes.extend(str(w.message) for w in caught)
    theta = fit.params
    anchor_idx = opts.scale.anchor_index(names, notes)
    ratings = anchored(opts.scale.ratings(theta), anchor_idx, opts.scale)
    weighted_raw = raw if opts.weighted and counts.weights is not None else None
    lower, upper, samples = _intervals(
        fit_in, weighted_raw, theta, fit.ridge, ratings, anchor_idx, opts, notes
    )
    votes = votes_all[active]
    score = raw[0].sum(axis=1) + 0.5 * raw[1].sum(axis=1)
    entry["rows"] = leaderboard_rows(names, ratings, lower, upper, votes, score, opts, samples)
    return entry


def anchored(ratings: FloatArray, anchor_idx: int | None, scale: RatingScale) -> FloatArray:
    """``ratings`` shifted so the anchor contender (if any) sits at its pinned rating."""
    if anchor_idx is None or scale.anchor is None:
        return ratings
    return ratings + (scale.anchor[1] - ratings[anchor_idx])


def leaderboard_rows(
    names: list[str],
    ratings: FloatArray,
    lower: FloatArray | None,
    upper: FloatArray | None,
    votes: FloatArray,
    score: FloatArray,
    options: FitOptions,
    samples: FloatArray | None = None,
) -> list[LeaderboardRow]:
    """Leaderboard rows (the shared row contract), sorted by rating, highest first.

    Parameters
    ----------
    names : list of str
        Contenders.
    ratings, lower, upper : ndarray, shape (M,)
        Ratings and interval bounds (bounds may be None).
    votes, score : ndarray, shape (M,)
        Battles played and points scored (ties count half).
    options : FitOptions
        ``min_votes`` (ranks count the ranked rows), ``keep_unranked`` and
        ``first_place`` of this category.
    samples : ndarray, shape (R, M), optional
        Replicate strengths for ``p_first`` (probability of being #1 among the ranked).
    """
    ranked = votes >= options.min_votes
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
    rows: list[LeaderboardRow] = []
    for m in range(len(names)) if options.keep_unranked else shown.tolist():
        pos = position.get(int(m))
        row: LeaderboardRow = {
            "model": names[m],
            "rating": float(ratings[m]),
            "ci_lower": None if lower is None else float(lower[m]),
            "ci_upper": None if upper is None else float(upper[m]),
            "rank": None if pos is None else int(rank[pos]),
            "rank_ub": None if pos is None else int(rank_ub[pos]),
            "votes": round(float(votes[m])),
            "win_rate": float(score[m] / votes[m]),
        }
        if options.first_place:
            row["p_first"] = None if samples is None else float(p_first[m])
        rows.append(row)
    rows.sort(key=lambda row: (-row["rating"], row["model"]))
    return rows


def interval_from_covariance(
    ratings: FloatArray,
    cov: FloatArray,
    anchor_idx: int | None = None,
    significance: float = 0.05,
    scale: RatingScale = ELO_SCALE,
) -> tuple[FloatArray, FloatArray]:
    """Normal-approximation interval on the Elo scale from a log-odds covariance.

    With an anchor, the interval is for the difference to the anchor.
    """
    var = np.diag(cov)[: ratings.size].copy()
    if anchor_idx is not None:
        var = var + cov[anchor_idx, anchor_idx] - 2.0 * cov[: ratings.size, anchor_idx]
    z = float(ndtri(1.0 - significance / 2.0))
    half = z * np.sqrt(np.maximum(var, 0.0)) * scale.points_per_logit
    return ratings - half, ratings + half


def interval_from_samples(
    ratings: FloatArray,
    params: FloatArray,
    anchor_idx: int | None = None,
    significance: float = 0.05,
    scale: RatingScale = ELO_SCALE,
) -> tuple[FloatArray, FloatArray]:
    """Percentile interval on the Elo scale from bootstrap log-odds ``params`` (R, M)."""
    samples = scale.ratings(params)
    if anchor_idx is not None:
        samples = samples - samples[:, [anchor_idx]] + ratings[anchor_idx]
    lower = np.quantile(samples, significance / 2.0, axis=0)
    upper = np.quantile(samples, 1.0 - significance / 2.0, axis=0)
    return lower, upper


def _intervals(
    fit_in: FitCounts,
    vote_counts: tuple[FloatArray, FloatArray] | None,
    theta: FloatArray,
    ridge: float,
    ratings: FloatArray,
    anchor_idx: int | None,
    opts: FitOptions,
    notes: list[str],
) -> tuple[FloatArray | None, FloatArray | None, FloatArray | None]:
    """Interval bounds, and replicate strengths (R, M) for ``p_first``."""
    if opts.ci == "none":
        return None, None, None
    if opts.ci == "sandwich":
        cov = sandwich_covariance(
            fit_in.wins,
            fit_in.ties,
            theta,
            ridge=ridge,
            hessian_ridge=HESSIAN_RIDGE,
            wins_sq=fit_in.wins_sq,
            ties_sq=fit_in.ties_sq,
        )
        lower, upper = interval_from_covariance(
            ratings, cov, anchor_idx, opts.significance, opts.scale
        )
        return lower, upper, normal_draws(theta, cov, opts.rounds, opts.seed)
    result = bootstrap_bradley_terry(
        fit_in.wins,
        fit_in.ties,
        theta,
        rounds=opts.rounds,
        seed=opts.seed,
        ridge=ridge,
        resample=opts.resample,
        vote_counts=vote_counts,
    )
    if result.n_regularized:
        notes.append(f"{result.n_regularized} of {opts.rounds} bootstrap replicates needed a ridge")
    lower, upper = interval_from_samples(
        ratings, result.params, anchor_idx, opts.significance, opts.scale
    )
    return lower, upper, result.params


def normal_draws(mean: FloatArray, cov: FloatArray, rounds: int, seed: int | None) -> FloatArray:
    """``rounds`` draws (R, M) of the normal approximation ``N(mean, cov)``.

    The sandwich's replicates: what a bootstrap would give for large samples, at the
    cost of one eigendecomposition (the covariance is singular along the gauge).
    """
    rng = np.random.default_rng(seed)
    draws: FloatArray = rng.multivariate_normal(mean, cov, size=rounds, method="eigh")
    return draws
