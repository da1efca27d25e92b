"""Style-controlled leaderboards from per-battle arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from ratings.stats.leaderboard import (
    Progress,
    anchored,
    interval_from_covariance,
    interval_from_samples,
    leaderboard_rows,
    normal_draws,
)
from ratings.stats.options import HESSIAN_RIDGE, FitOptions
from ratings.stats.results import CategoryBoard, Leaderboard, StyleCoefficient
from ratings.stats.style import (
    STYLE_FEATURES,
    StyleBattles,
    fit_style_control,
    outcome_scores,
    style_covariates,
)
from ratings.stats.style_intervals import bootstrap_style_control, style_sandwich_covariance


def compute_style_leaderboard(
    battles: StyleBattles,
    options: FitOptions | None = None,
    *,
    feature_names: list[str] | None = None,
    progress: Progress | None = None,
) -> Leaderboard:
    """Style-controlled Bradley-Terry leaderboard of every category.

    Same output as :func:`~ratings.stats.leaderboard.compute_leaderboard`, plus per
    category ``"style_coefficients"``: ``{feature: {"coef", "ci_lower", "ci_upper"}}``
    in log-odds per standard deviation of the normalised difference. Features are
    normalised within each category, as FastChat does.

    Parameters
    ----------
    battles : StyleBattles
        The battles, their raw style counts and categories.
    options : FitOptions, optional
        As for :func:`~ratings.stats.leaderboard.compute_leaderboard` (``resample`` and
        ``weighted`` do not apply: the bootstrap resamples battles, unweighted).
    feature_names : list of str, optional
        Names of the K features (default :data:`~ratings.stats.style.STYLE_FEATURES`).
    progress : callable, optional
        Called as ``progress(done, total, category)`` after each category.
    """
    opts = options or FitOptions()
    names_k = feature_names or STYLE_FEATURES[: battles.style.shape[1] // 2]
    method = opts.method("bradley_terry_style_control")
    method["style_features"] = names_k
    method["style_normalisation"] = "(A - B) / (A + B + 1), then standardised per category"
    method["resample"] = "battles with replacement" if opts.ci == "bootstrap" else None
    result: Leaderboard = {"method": method, "categories": {}}
    for c, category in enumerate(battles.categories):
        sel = np.flatnonzero(battles.category_mask[c])
        result["categories"][category] = _category(
            battles.models,
            battles.model_a[sel],
            battles.model_b[sel],
            battles.outcome[sel],
            np.asarray(battles.style, dtype=np.float64)[sel],
            names_k,
            opts.for_category(c, category),
        )
        if progress is not None:
            progress(c + 1, len(battles.categories), category)
    return result


def _category(
    models: list[str],
    a_all: NDArray[np.integer],
    b_all: NDArray[np.integer],
    outcome: NDArray[np.integer],
    style_counts: NDArray[np.float64],
    feature_names: list[str],
    opts: FitOptions,
) -> CategoryBoard:
    notes: list[str] = []
    entry: CategoryBoard = {"votes": int(a_all.size), "rows": [], "warnings": notes}
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
    a_idx = opts.scale.anchor_index(names, notes)
    ratings = anchored(opts.scale.ratings(fit.params), a_idx, opts.scale)
    coef_lo: NDArray[np.float64] | None = None
    coef_hi: NDArray[np.float64] | None = None
    lower: NDArray[np.float64] | None = None
    upper: NDArray[np.float64] | None = None
    samples: NDArray[np.float64] | None = None
    level = opts.significance
    if opts.ci == "sandwich":
        cov = style_sandwich_covariance(a, b, outcome, features, fit, hessian_ridge=HESSIAN_RIDGE)
        lower, upper = interval_from_covariance(ratings, cov, a_idx, level, opts.scale)
        se = np.sqrt(np.maximum(np.diag(cov)[m:], 0.0))
        z = float(ndtri(1.0 - level / 2.0))
        coef_lo, coef_hi = fit.coefs - z * se, fit.coefs + z * se
        if opts.first_place:
            theta = np.concatenate([fit.params, fit.coefs])
            samples = normal_draws(theta, cov, opts.rounds, opts.seed)[:, :m]
    elif opts.ci == "bootstrap":
        params, coefs = bootstrap_style_control(
            a, b, outcome, features, fit, rounds=opts.rounds, seed=opts.seed
        )
        lower, upper = interval_from_samples(ratings, params, a_idx, level, opts.scale)
        samples = params
        coef_lo = np.quantile(coefs, level / 2.0, axis=0)
        coef_hi = np.quantile(coefs, 1.0 - level / 2.0, axis=0)
    votes = np.bincount(a, minlength=m) + np.bincount(b, minlength=m)
    y = outcome_scores(outcome)
    score = (np.bincount(a, y, minlength=m) + np.bincount(b, 1.0 - y, minlength=m)).astype(
        np.float64
    )
    entry["rows"] = leaderboard_rows(
        names, ratings, lower, upper, votes.astype(np.float64), score, opts, samples
    )
    entry["style_coefficients"] = {
        name: StyleCoefficient(
            coef=float(fit.coefs[k]),
            ci_lower=None if coef_lo is None else float(coef_lo[k]),
            ci_upper=None if coef_hi is None else float(coef_hi[k]),
        )
        for k, name in enumerate(feature_names)
    }
    return entry
