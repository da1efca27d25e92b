"""Sandwich and bootstrap intervals."""

import numpy as np
import pytest

from ratings.stats import (
    A_WINS,
    B_WINS,
    TIE,
    bootstrap_bradley_terry,
    counts_from_battles,
    fit_bradley_terry,
    sandwich_covariance,
)


def _counts(seed, m=6, n=3000, tie_rate=0.15):
    rng = np.random.default_rng(seed)
    strengths = rng.normal(0, 0.8, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
    outcome = np.where(rng.random(n) < p, A_WINS, B_WINS)
    outcome[rng.random(n) < tie_rate] = TIE
    pc = counts_from_battles([str(k) for k in range(m)], a, b, outcome)
    return pc.wins[0], pc.ties[0]


def test_sandwich_equals_inverse_fisher_when_the_model_fits_exactly():
    # exactly BT-consistent counts: the "meat" equals the Hessian, so the sandwich
    # collapses to the (pseudo-)inverse Fisher information
    wins = np.array([[0, 20, 40], [10, 0, 20], [10, 10, 0]], dtype=float)
    ties = np.zeros((3, 3))
    theta = fit_bradley_terry(wins).params
    cov = sandwich_covariance(wins, ties, theta, hessian_ridge=1e-12)
    n = wins + wins.T
    p = 1 / (1 + np.exp(-(theta[:, None] - theta[None, :])))
    w = n * p * (1 - p)
    laplacian = np.diag(w.sum(axis=1)) - w
    np.testing.assert_allclose(cov, np.linalg.pinv(laplacian), atol=1e-8)


def test_sandwich_variance_is_symmetric_psd_and_shrinks_with_data():
    wins, ties = _counts(1)
    cov = sandwich_covariance(wins, ties, fit_bradley_terry(wins, ties).params)
    np.testing.assert_allclose(cov, cov.T, atol=1e-14)
    assert np.linalg.eigvalsh(cov).min() > -1e-10 * np.abs(cov).max()
    cov4 = sandwich_covariance(4 * wins, 4 * ties, fit_bradley_terry(wins, ties).params)
    np.testing.assert_allclose(np.diag(cov4), np.diag(cov) / 4, rtol=1e-3)


def test_bootstrap_is_reproducible_with_a_seed():
    wins, ties = _counts(2)
    theta = fit_bradley_terry(wins, ties).params
    one = bootstrap_bradley_terry(wins, ties, theta, rounds=40, seed=7)
    two = bootstrap_bradley_terry(wins, ties, theta, rounds=40, seed=7)
    other = bootstrap_bradley_terry(wins, ties, theta, rounds=40, seed=8)
    np.testing.assert_array_equal(one.params, two.params)
    assert not np.array_equal(one.params, other.params)


@pytest.mark.parametrize("resample", ["multinomial", "poisson"])
def test_bootstrap_spread_matches_sandwich(resample):
    wins, ties = _counts(3, n=6000)
    theta = fit_bradley_terry(wins, ties).params
    se = np.sqrt(np.diag(sandwich_covariance(wins, ties, theta)))
    boot = bootstrap_bradley_terry(wins, ties, theta, rounds=300, seed=1, resample=resample)
    np.testing.assert_allclose(boot.params.std(axis=0), se, rtol=0.2)
    np.testing.assert_allclose(boot.params.mean(axis=0), theta, atol=3 * se.max() / np.sqrt(30))
    np.testing.assert_allclose(boot.params.mean(axis=1), 0, atol=1e-12)


def test_bootstrap_replicates_are_exact_refits():
    wins, ties = _counts(4, m=4, n=400)
    theta = fit_bradley_terry(wins, ties).params
    boot = bootstrap_bradley_terry(wins, ties, theta, rounds=5, seed=3, resample="poisson")
    # replay the same draws and fit each replicate on its own
    from ratings.stats.counts import pair_arrays

    i, j, w_ij, w_ji, t_ij = pair_arrays(wins, ties)
    assert boot.params.shape == (5, 4)
    for r in range(5):
        mean_spread = np.abs(boot.params[r] - theta).max()
        assert mean_spread < 1.0
    # the score equations hold for the first chunk's first replicate
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(4)[0])
    draws = rng.poisson(np.concatenate([w_ij, w_ji, t_ij]), size=(2, 3 * i.size))[0]
    bw = np.zeros((4, 4))
    bt = np.zeros((4, 4))
    k = i.size
    bw[i, j], bw[j, i] = draws[:k], draws[k : 2 * k]
    bt[i, j] = bt[j, i] = draws[2 * k :]
    np.testing.assert_allclose(boot.params[0], fit_bradley_terry(bw, bt).params, atol=1e-6)


def test_bootstrap_survives_replicates_that_lose_connectivity():
    # a contender with two battles: many replicates see it only win or only lose
    wins, ties = _counts(5, m=5, n=500)
    wins = np.pad(wins, ((0, 1), (0, 1)))
    ties = np.pad(ties, ((0, 1), (0, 1)))
    wins[5, 0], wins[1, 5] = 1, 1
    theta = fit_bradley_terry(wins, ties).params
    boot = bootstrap_bradley_terry(wins, ties, theta, rounds=60, seed=0)
    assert np.isfinite(boot.params).all()
    assert boot.n_regularized > 0
