"""Inverse-probability weighted Bradley-Terry: unbiased ratings under a skewed sampler."""

import numpy as np
import pytest

from ratings.stats import (
    A_WINS,
    B_WINS,
    TIE,
    FitOptions,
    compute_leaderboard,
    counts_from_battles,
    fit_bradley_terry,
    to_rating_scale,
)

M = 8


def _intransitive_preferences() -> np.ndarray:
    """Win probabilities that no Bradley-Terry model fits: each beats the next more.

    With a misspecified model the fit depends on which pairs were asked, so a sampler
    that favours some pairs moves the unweighted ratings; the weighted fit targets the
    uniform design whatever the sampler did.
    """
    theta = np.linspace(-1.0, 1.0, M)
    cycle = np.zeros((M, M))
    for k in range(M):
        cycle[k, (k + 1) % M], cycle[(k + 1) % M, k] = 0.8, -0.8
    return 1 / (1 + np.exp(-(theta[:, None] - theta[None, :] + cycle)))


def _uniform_design_target(prefs: np.ndarray) -> np.ndarray:
    """Ratings the fit converges to when every pair is asked equally often."""
    iu = np.triu_indices(M, 1)
    wins = np.zeros((M, M))
    wins[iu] = 1000 * prefs[iu]
    wins[iu[1], iu[0]] = 1000 * (1 - prefs[iu])
    return to_rating_scale(fit_bradley_terry(wins).params)


def _ratings(board: dict, name: str = "overall") -> tuple[np.ndarray, np.ndarray]:
    rows = {r["model"]: r for r in board["categories"][name]["rows"]}
    rating = np.array([rows[str(k)]["rating"] for k in range(M)])
    half = np.array([(rows[str(k)]["ci_upper"] - rows[str(k)]["ci_lower"]) / 2 for k in range(M)])
    return rating, half


def test_a_skewed_sampler_biases_the_unweighted_fit_and_not_the_weighted_one() -> None:
    # given: a sampler whose pair probabilities differ up to ~100-fold
    rng = np.random.default_rng(2024)
    prefs = _intransitive_preferences()
    target = _uniform_design_target(prefs)
    iu = np.triu_indices(M, 1)
    n_pairs = iu[0].size
    probability = rng.lognormal(0.0, 1.5, n_pairs)
    probability /= probability.sum()
    n = 400_000
    pair = rng.choice(n_pairs, size=n, p=probability)
    a, b = iu[0][pair], iu[1][pair]
    outcome = np.where(rng.random(n) < prefs[a, b], A_WINS, B_WINS)
    weight = 1.0 / (n_pairs * probability[pair])
    counts = counts_from_battles([str(k) for k in range(M)], a, b, outcome, weight=weight)

    # when
    unweighted, _ = _ratings(compute_leaderboard(counts, FitOptions(weighted=False)))
    weighted, half = _ratings(compute_leaderboard(counts, FitOptions(weighted=True)))

    # then: the unweighted error is tens of points, the weighted one within its intervals
    unweighted_error = np.abs(unweighted - target).max()
    weighted_error = np.abs(weighted - target)
    assert unweighted_error > 20.0
    assert weighted_error.max() < unweighted_error / 4
    assert np.all(weighted_error < 1.5 * half), (weighted_error, half)


def test_the_same_sampler_without_misspecification_needs_no_weights() -> None:
    # A Bradley-Terry truth: both fits are consistent, the weights only cost precision.
    rng = np.random.default_rng(7)
    theta = np.linspace(-1.0, 1.0, M)
    iu = np.triu_indices(M, 1)
    probability = rng.lognormal(0.0, 1.5, iu[0].size)
    probability /= probability.sum()
    n = 200_000
    pair = rng.choice(iu[0].size, size=n, p=probability)
    a, b = iu[0][pair], iu[1][pair]
    p_a = 1 / (1 + np.exp(-(theta[a] - theta[b])))
    outcome = np.where(rng.random(n) < p_a, A_WINS, B_WINS)
    weight = 1.0 / (iu[0].size * probability[pair])
    counts = counts_from_battles([str(k) for k in range(M)], a, b, outcome, weight=weight)
    truth = to_rating_scale(theta)

    unweighted, half_u = _ratings(compute_leaderboard(counts, FitOptions(weighted=False)))
    weighted, half_w = _ratings(compute_leaderboard(counts, FitOptions(weighted=True)))

    assert np.all(np.abs(unweighted - truth) < 1.5 * half_u)
    assert np.all(np.abs(weighted - truth) < 1.5 * half_w)
    assert half_w.mean() > half_u.mean()


@pytest.mark.parametrize("ci", ["sandwich", "bootstrap"])
def test_equal_weights_change_nothing(ci: str) -> None:
    # Normalisation: a constant weight (any scale) gives the unweighted leaderboard.
    rng = np.random.default_rng(3)
    n = 3000
    a = rng.integers(0, M, n)
    b = (a + rng.integers(1, M, n)) % M
    outcome = rng.choice([A_WINS, B_WINS, TIE], size=n, p=[0.45, 0.4, 0.15])
    names = [str(k) for k in range(M)]
    plain = counts_from_battles(names, a, b, outcome)
    scaled = counts_from_battles(names, a, b, outcome, weight=np.full(n, 37.5))

    expected = compute_leaderboard(plain, FitOptions(ci=ci, seed=1))
    got = compute_leaderboard(scaled, FitOptions(ci=ci, seed=1))

    assert got["method"]["weighting"] == "inverse pair probability"
    assert expected["method"]["weighting"] == "none"
    for mine, theirs in zip(
        got["categories"]["overall"]["rows"], expected["categories"]["overall"]["rows"], strict=True
    ):
        assert mine["model"] == theirs["model"]
        assert mine["votes"] == theirs["votes"]
        for key in ("rating", "ci_lower", "ci_upper", "win_rate"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-9, abs=1e-9)


def test_weights_must_match_the_battles() -> None:
    with pytest.raises(ValueError, match="weight"):
        counts_from_battles(
            ["x", "y"], np.array([0]), np.array([1]), np.array([0]), weight=np.ones(2)
        )
