"""Active sampling numerics: one-vote variance reductions, focus, floor."""

import numpy as np
import pytest

from ratings.stats.active import (
    active_pair_scores,
    fisher_covariance,
    mix_with_floor,
    one_vote_reduction,
    top_focus,
)
from ratings.stats.bradley_terry import fit_bradley_terry


def _counts(seed: int, n_per_pair: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-(theta[:, None] - theta[None, :])))
    upper = np.triu(n_per_pair, k=1).astype(int)
    wins_upper = rng.binomial(upper, np.triu(p, k=1))
    wins = wins_upper + (upper - wins_upper).T
    return wins.astype(float), np.zeros_like(wins, dtype=float)


def _laplacian(w: np.ndarray) -> np.ndarray:
    w = np.triu(w, k=1)
    w = w + w.T
    return np.diag(w.sum(axis=1)) - w


def test_fisher_covariance_is_the_pseudo_inverse_of_the_information() -> None:
    theta = np.array([0.5, 0.0, -0.3, -0.2])
    wins, ties = _counts(1, np.full((4, 4), 200), theta)
    params = fit_bradley_terry(wins, ties).params

    cov = fisher_covariance(wins, ties, params, hessian_ridge=0.0)

    p = 1 / (1 + np.exp(-(params[:, None] - params[None, :])))
    info = _laplacian((wins + wins.T) * p * (1 - p))
    np.testing.assert_allclose(cov, np.linalg.pinv(info), atol=1e-10)
    np.testing.assert_allclose(cov.sum(axis=1), 0.0, atol=1e-10)
    # with the stabilising ridge: still mean-zero, variances a hair smaller
    ridged = fisher_covariance(wins, ties, params)
    np.testing.assert_allclose(ridged.sum(axis=1), 0.0, atol=1e-10)
    assert np.all(np.diag(ridged) > 0.9 * np.diag(cov))
    assert np.all(np.diag(ridged) <= np.diag(cov))


def test_one_vote_reduction_matches_adding_the_vote_to_the_information() -> None:
    theta = np.array([0.8, 0.1, 0.0, -0.4, -0.9])
    n = np.array(
        [[0, 50, 5, 80, 9], [0, 0, 30, 2, 60], [0, 0, 0, 40, 7], [0, 0, 0, 0, 25], [0] * 5]
    )
    wins, ties = _counts(2, n, theta)
    params = fit_bradley_terry(wins, ties).params
    p = 1 / (1 + np.exp(-(params[:, None] - params[None, :])))
    info = _laplacian((wins + wins.T) * p * (1 - p))
    cov = np.linalg.pinv(info)
    importance = np.array([1.0, 2.0, 0.0, 1.0, 0.5])

    scores = one_vote_reduction(cov, params, importance)

    for i in range(5):
        for j in range(i + 1, 5):
            d = np.zeros(5)
            d[i], d[j] = 1.0, -1.0
            after = np.linalg.pinv(info + p[i, j] * (1 - p[i, j]) * np.outer(d, d))
            expected = importance @ (np.sqrt(np.diag(cov)) - np.sqrt(np.diag(after)))
            assert scores[i, j] == pytest.approx(expected, rel=1e-6, abs=1e-12)
            assert scores[j, i] == scores[i, j]
    assert np.all(np.diag(scores) == 0.0)


def test_a_newcomer_with_few_votes_gets_the_most_useful_pairs() -> None:
    theta = np.array([1.2, 0.6, 0.4, 0.2, 0.0, -0.2, -0.4])
    n = np.full((7, 7), 400)
    n[0, :] = 4  # contender 0 is new: a handful of votes per pair
    wins, ties = _counts(3, n, theta)
    params = fit_bradley_terry(wins, ties).params

    scores = active_pair_scores(wins, ties, params)

    best_i, best_j = np.unravel_index(np.argmax(np.triu(scores, k=1)), scores.shape)
    assert 0 in (best_i, best_j)
    assert scores[0, 1:].min() > np.triu(scores[1:, 1:], k=1).max()


def test_focus_keeps_contenders_that_could_reach_the_top() -> None:
    params = np.array([1.0, 0.9, 0.0, -1.0, -0.5])
    # contender 4 is barely measured: its wide interval reaches the top
    cov = np.diag([0.001, 0.001, 0.001, 0.001, 1.0])

    focus = top_focus(params, cov, 2)

    np.testing.assert_array_equal(focus, [1.0, 1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(top_focus(params, cov, 0), np.ones(5))


def test_focus_narrows_the_scores_to_the_head() -> None:
    theta = np.linspace(1.0, -1.0, 8)
    wins, ties = _counts(4, np.full((8, 8), 300), theta)
    params = fit_bradley_terry(wins, ties).params

    everyone = active_pair_scores(wins, ties, params)
    head = active_pair_scores(wins, ties, params, top=2)

    # the bottom pair matters to the whole board, barely to the head's intervals
    assert head[6, 7] / head[0, 1] < 0.5 * everyone[6, 7] / everyone[0, 1]


def test_floor_keeps_every_allowed_pair_possible() -> None:
    base = np.ones((4, 4))
    base[0, 1] = 0.0  # forbidden pair
    base[2, 3] = 3.0
    scores = np.zeros((4, 4))
    scores[0, 2] = 10.0

    prob = mix_with_floor(base, scores, 0.2)

    assert prob.sum() == pytest.approx(1.0)
    assert prob[0, 1] == 0.0
    assert np.all(np.tril(prob) == 0.0)
    by_base = np.triu(base, k=1) / np.triu(base, k=1).sum()
    allowed = np.triu(base, k=1) > 0
    assert np.all(prob[allowed] >= 0.2 * by_base[allowed] - 1e-15)
    # everything above the floor goes to the only useful pair
    assert prob[0, 2] == pytest.approx(0.8 + 0.2 * by_base[0, 2])


def test_floor_without_useful_pairs_is_the_base_distribution() -> None:
    base = np.triu(np.ones((3, 3)), k=1)
    prob = mix_with_floor(base, np.zeros((3, 3)), 0.1)
    np.testing.assert_allclose(prob, base / 3)


@pytest.mark.parametrize("floor", [-0.1, 1.5])
def test_floor_outside_zero_one_is_refused(floor: float) -> None:
    with pytest.raises(ValueError, match="floor"):
        mix_with_floor(np.ones((3, 3)), np.ones((3, 3)), floor)


def test_no_allowed_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="no pair"):
        mix_with_floor(np.zeros((3, 3)), np.ones((3, 3)), 0.1)
