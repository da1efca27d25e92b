"""Style control: features, fit, intervals, leaderboard."""

import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.stats import (
    A_WINS,
    B_WINS,
    TIE,
    FitOptions,
    RatingScale,
    StyleBattles,
    bootstrap_style_control,
    compute_style_leaderboard,
    counts_from_battles,
    fit_bradley_terry,
    fit_style_control,
    style_covariates,
    style_sandwich_covariance,
)


def _battles(seed, m=6, n=20_000, beta=(0.4, -0.2), tie_rate=0.1):
    rng = np.random.default_rng(seed)
    strengths = np.linspace(-1, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    raw = rng.poisson([300, 3], size=(n, 2)).astype(float)
    raw_b = rng.poisson([300, 3], size=(n, 2)).astype(float)
    counts = np.hstack([raw, raw_b])
    f, _, _ = style_covariates(counts)
    p = 1 / (1 + np.exp(-(strengths[a] - strengths[b] + f @ np.asarray(beta))))
    outcome = np.where(rng.random(n) < p, A_WINS, B_WINS)
    outcome[rng.random(n) < tie_rate] = TIE
    return a, b, outcome, counts, f, strengths


def test_style_features_are_normalised_relative_differences():
    counts = np.array([[10.0, 0.0, 5.0, 0.0], [0.0, 2.0, 5.0, 2.0], [3.0, 1.0, 3.0, 0.0]])
    f, mean, _ = style_covariates(counts)
    raw = np.array([[5 / 16, 0.0], [-5 / 6, 0.0], [0.0, 1 / 2]])
    np.testing.assert_allclose(mean, raw.mean(axis=0))
    np.testing.assert_allclose(f, (raw - raw.mean(axis=0)) / raw.std(axis=0))
    np.testing.assert_allclose(f.mean(axis=0), 0, atol=1e-12)


def test_recovers_style_coefficients_and_strengths():
    a, b, outcome, _, f, strengths = _battles(0, tie_rate=0.0)
    fit = fit_style_control(a, b, outcome, f, 6)
    np.testing.assert_allclose(fit.coefs, [0.4, -0.2], atol=0.06)
    np.testing.assert_allclose(fit.params, strengths - strengths.mean(), atol=0.08)


def test_agrees_with_generic_optimiser():
    a, b, outcome, _, f, _ = _battles(1, m=4, n=600)
    y = np.where(outcome == A_WINS, 1.0, np.where(outcome == B_WINS, 0.0, 0.5))

    def nll(free):
        theta = np.concatenate([[0.0], free[:3]])
        d = theta[a] - theta[b] + f @ free[3:]
        return (np.logaddexp(0, d) - y * d).sum()

    res = minimize(nll, np.zeros(5), method="BFGS", options={"gtol": 1e-9})
    fit = fit_style_control(a, b, outcome, f, 4)
    theirs = np.concatenate([[0.0], res.x[:3]])
    np.testing.assert_allclose(fit.params, theirs - theirs.mean(), atol=1e-4)
    np.testing.assert_allclose(fit.coefs, res.x[3:], atol=1e-4)


def test_irrelevant_style_leaves_ratings_close_to_plain_bradley_terry():
    a, b, outcome, _, f, _ = _battles(2, beta=(0.0, 0.0))
    fit = fit_style_control(a, b, outcome, f, 6)
    pc = counts_from_battles([str(k) for k in range(6)], a, b, outcome)
    plain = fit_bradley_terry(pc.wins[0], pc.ties[0]).params
    np.testing.assert_allclose(fit.params, plain, atol=0.02)


def test_bootstrap_is_reproducible_and_matches_sandwich():
    a, b, outcome, _, f, _ = _battles(3, n=8000)
    fit = fit_style_control(a, b, outcome, f, 6)
    p1, c1 = bootstrap_style_control(a, b, outcome, f, fit, rounds=120, seed=5)
    p2, c2 = bootstrap_style_control(a, b, outcome, f, fit, rounds=120, seed=5)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(c1, c2)
    se = np.sqrt(np.diag(style_sandwich_covariance(a, b, outcome, f, fit)))
    np.testing.assert_allclose(p1.std(axis=0), se[:6], rtol=0.25)
    np.testing.assert_allclose(c1.std(axis=0), se[6:], rtol=0.25)


@pytest.mark.parametrize("ci", ["sandwich", "bootstrap", "none"])
def test_style_leaderboard_shape(ci):
    a, b, outcome, counts, _, _ = _battles(4, n=3000)
    names = [f"m{k}" for k in range(6)]
    mask = np.vstack([np.ones(a.size, bool), a < 3])
    out = compute_style_leaderboard(
        StyleBattles(names, a, b, outcome, counts, ["overall", "coding"], mask),
        FitOptions(ci=ci, rounds=20, seed=0, scale=RatingScale(anchor=("m0", 900.0))),
    )
    assert out["method"]["model"] == "bradley_terry_style_control"
    for entry in out["categories"].values():
        ratings = [r["rating"] for r in entry["rows"]]
        assert ratings == sorted(ratings, reverse=True)
        assert next(r for r in entry["rows"] if r["model"] == "m0")["rating"] == 900.0
        assert set(entry["style_coefficients"]) == {"length", "headers"}
        coef = entry["style_coefficients"]["length"]
        if ci != "none":
            assert coef["ci_lower"] < coef["coef"] < coef["ci_upper"]
