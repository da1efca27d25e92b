"""Style-controlled leaderboards from per-battle arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from ratings.stats.bradley_terry import to_rating_scale
from ratings.stats.leaderboard import (
    BASE,
    FIRST_PLACE_NOTE,
    HESSIAN_RIDGE,
    INIT,
    SCALE,
    CiMethod,
    Progress,
    anchor_index,
    interval_from_covariance,
    interval_from_samples,
    leaderboard_rows,
    method_parameters,
    normal_draws,
)
from ratings.stats.style import (
    STYLE_FEATURES,
    fit_style_control,
    outcome_scores,
    style_covariates,
)
from ratings.stats.style_intervals import bootstrap_style_control, style_sandwich_covariance


def compute_style_leaderboard(
    models: list[str],
    model_a: NDArray[np.integer],
    model_b: NDArray[np.integer],
    outcome: NDArray[np.integer],
    style_counts: NDArray[np.float64],
    *,
    categories: list[str] | None = None,
    category_mask: NDArray[np.bool_] | None = None,
    ci: CiMethod = "sandwich",
    rounds: int = 100,
    seed: int | None = None,
    anchor: tuple[str, float] | None = None,
    min_votes: int = 0,
    progress: Progress | None = None,
    significance: float = 0.05,
    feature_names: list[str] | None = None,
    keep_unranked: bool = False,
    first_place: bool = False,
    min_votes_by_category: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Style-controlled Bradley-Terry leaderboard of every category.

    Same output as :func:`~ratings.stats.leaderboard.compute_leaderboard`, plus per
    category ``"style_coefficients"``: ``{feature: {"coef", "ci_lower", "ci_upper"}}``
    in log-odds per standard deviation of the normalised difference. Features are
    normalised within each category, as FastChat does.

    Parameters
    ----------
    models : list of str
        Contender names.
    model_a, model_b, outcome : ndarray of int, shape (N,)
        Battles (outcome codes as in :mod:`ratings.stats.counts`).
    style_counts : ndarray, shape (N, 2K)
        Raw style counts, side A's K then side B's.
    categories : list of str, optional
        Category names (default ``["overall"]``).
    category_mask : ndarray of bool, shape (C, N), optional
        Battles per category (default all).
    ci, rounds, seed, anchor, min_votes, progress, significance
        As for :func:`~ratings.stats.leaderboard.compute_leaderboard`.
    feature_names : list of str, optional
        Names of the K features (default length, headers, lists, bold).
    keep_unranked, first_place, min_votes_by_category
        As for :func:`~ratings.stats.leaderboard.compute_leaderboard`.

    Returns
    -------
    dict
    """
    cats = ["overall"] if categories is None else list(categories)
    n = np.asarray(model_a).size
    mask = np.ones((len(cats), n), dtype=bool) if category_mask is None else category_mask
    names_k = feature_names or STYLE_FEATURES[: np.asarray(style_counts).shape[1] // 2]
    method = method_parameters(
        "bradley_terry_style_control",
        ci=ci,
        rounds=rounds,
        seed=seed,
        significance=significance,
        anchor=anchor,
        min_votes=min_votes,
    )
    method["style_features"] = names_k
    method["style_normalisation"] = "(A - B) / (A + B + 1), then standardised per category"
    method["resample"] = "battles with replacement" if ci == "bootstrap" else None
    method["min_votes_by_category"] = dict(min_votes_by_category or {})
    if first_place:
        method["p_first"] = FIRST_PLACE_NOTE[ci]
    result: dict[str, Any] = {"method": method, "categories": {}}
    for c, category in enumerate(cats):
        sel = np.flatnonzero(mask[c])
        seed_c = None if seed is None else seed + c
        result["categories"][category] = _category(
            models,
            np.asarray(model_a)[sel],
            np.asarray(model_b)[sel],
            np.asarray(outcome)[sel],
            np.asarray(style_counts, dtype=np.float64)[sel],
            names_k,
            ci=ci,
            rounds=rounds,
            seed=seed_c,
            anchor=anchor,
            min_votes=(min_votes_by_category or {}).get(category, min_votes),
            significance=significance,
            keep_unranked=keep_unranked,
            first_place=first_place,
        )
        if progress is not None:
            progress(c + 1, len(cats), category)
    return result


def _category(
    models: list[str],
    a_all: NDArray[np.integer],
    b_all: NDArray[np.integer],
    outcome: NDArray[np.integer],
    style_counts: NDArray[np.float64],
    feature_names: list[str],
    *,
    ci: CiMethod,
    rounds: int,
    seed: int | None,
    anchor: tuple[str, float] | None,
    min_votes: int,
    significance: float,
    keep_unranked: bool = False,
    first_place: bool = False,
) -> dict[str, Any]:
    notes: list[str] = []
    entry: dict[str, Any] = {"votes": int(a_all.size), "rows": [], "warnings": notes}
    present, compact = np.unique(np.concatenate([a_all, b_all]), return_inverse=True)
    if present.size < 2:
        notes.append("fewer than two contenders have votes; nothing to rate")
        return entry
    a, b = compact[: a_all.size], compact[a_all.size :]
    names = [models[m] for m in present]
    m = present.size
    features, _, _ = style_covariates(style_counts)
    fit = fit_style_control(a, b, outcome, features, m)
    if fit.ridge > 0:
        notes.append(f"comparison graph is not strongly connected; using ridge={fit.ridge}")
    ratings = to_rating_scale(fit.params, scale=SCALE, base=BASE, init=INIT)
    a_idx = anchor_index(names, anchor, notes)
    if a_idx is not None and anchor is not None:
        ratings += anchor[1] - ratings[a_idx]
    coef_lo: NDArray[np.float64] | None = None
    coef_hi: NDArray[np.float64] | None = None
    lower: NDArray[np.float64] | None = None
    upper: NDArray[np.float64] | None = None
    samples: NDArray[np.float64] | None = None
    if ci == "sandwich":
        cov = style_sandwich_covariance(a, b, outcome, features, fit, hessian_ridge=HESSIAN_RIDGE)
        lower, upper = interval_from_covariance(ratings, cov, a_idx, significance)
        se = np.sqrt(np.maximum(np.diag(cov)[m:], 0.0))
        z = float(ndtri(1.0 - significance / 2.0))
        coef_lo, coef_hi = fit.coefs - z * se, fit.coefs + z * se
        if first_place:
            theta = np.concatenate([fit.params, fit.coefs])
            samples = normal_draws(theta, cov, rounds, seed)[:, :m]
    elif ci == "bootstrap":
        params, coefs = bootstrap_style_control(
            a, b, outcome, features, fit, rounds=rounds, seed=seed
        )
        lower, upper = interval_from_samples(ratings, params, a_idx, significance)
        samples = params
        coef_lo = np.quantile(coefs, significance / 2.0, axis=0)
        coef_hi = np.quantile(coefs, 1.0 - significance / 2.0, axis=0)
    votes = np.bincount(a, minlength=m) + np.bincount(b, minlength=m)
    y = outcome_scores(outcome)
    score = (np.bincount(a, y, minlength=m) + np.bincount(b, 1.0 - y, minlength=m)).astype(
        np.float64
    )
    entry["rows"] = leaderboard_rows(
        names, ratings, lower, upper, votes.astype(np.float64), score, min_votes,
        keep_unranked=keep_unranked, samples=samples, first_place=first_place,
    )  # fmt: skip
    entry["style_coefficients"] = {
        name: {
            "coef": float(fit.coefs[k]),
            "ci_lower": None if coef_lo is None else float(coef_lo[k]),
            "ci_upper": None if coef_hi is None else float(coef_hi[k]),
        }
        for k, name in enumerate(feature_names)
    }
    return entry
