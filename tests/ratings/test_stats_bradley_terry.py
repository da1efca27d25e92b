"""Bradley-Terry fits on pair counts: known cases, invariances, an independent optimiser."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.stats import (
    A_WINS,
    B_WINS,
    BOTH_BAD,
    TIE,
    ConvergenceError,
    RegularizationWarning,
    comparison_components,
    counts_from_battles,
    fit_bradley_terry,
    to_rating_scale,
)

ELO = 400 / math.log(10)


def _random_battles(rng, n_models, n_battles, strengths=None, tie_rate=0.2):
    strengths = rng.normal(0, 1, n_models) if strengths is None else strengths
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    p = 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
    u = rng.random(n_battles)
    outcome = np.where(u < p, A_WINS, B_WINS)
    ties = rng.random(n_battles) < tie_rate
    outcome[ties] = rng.choice([TIE, BOTH_BAD], ties.sum())
    return a, b, outcome, strengths


def test_hand_worked_three_models():
    # A beats B 2:1, B beats C 2:1, A beats C 4:1. These odds are exactly consistent
    # with Bradley-Terry (2 x 2 = 4), so the MLE reproduces them: A - B = B - C = ln 2.
    wins = np.array([[0, 2, 4], [1, 0, 2], [1, 1, 0]], dtype=float)
    fit = fit_bradley_terry(wins)
    ratings = to_rating_scale(fit.params)
    step = 400 * math.log10(2)  # 120.41 Elo points
    np.testing.assert_allclose(ratings, [1000 + step, 1000, 1000 - step], atol=1e-8)
    assert not fit.regularized


def test_ties_count_half_a_win_each_way():
    # one win each and two ties: dead level. Two ties alone between B and C plus a
    # decisive record elsewhere behave like one win each.
    wins = np.array([[0, 1, 3], [1, 0, 0], [1, 0, 0]], dtype=float)
    ties = np.array([[0, 2, 0], [2, 0, 2], [0, 2, 0]], dtype=float)
    with_ties = fit_bradley_terry(wins, ties).params
    as_half_wins = fit_bradley_terry(wins + ties / 2).params
    np.testing.assert_allclose(with_ties, as_half_wins, atol=1e-10)


def test_score_equations_hold_at_the_fit():
    rng = np.random.default_rng(1)
    a, b, outcome, _ = _random_battles(rng, 6, 400)
    pc = counts_from_battles([str(k) for k in range(6)], a, b, outcome)
    fit = fit_bradley_terry(pc.wins[0], pc.ties[0])
    p = 1 / (1 + np.exp(-(fit.params[:, None] - fit.params[None, :])))
    n = pc.wins[0] + pc.wins[0].T + pc.ties[0]
    expected = (n * p).sum(axis=1)
    observed = (pc.wins[0] + pc.ties[0] / 2).sum(axis=1)
    np.testing.assert_allclose(expected, observed, atol=1e-8)
    assert abs(fit.params.mean()) < 1e-12


def test_recovers_true_strengths_on_synthetic_data():
    rng = np.random.default_rng(2)
    truth = np.linspace(-1.5, 1.5, 8)
    a, b, outcome, _ = _random_battles(rng, 8, 60_000, strengths=truth, tie_rate=0.0)
    pc = counts_from_battles([str(k) for k in range(8)], a, b, outcome)
    fit = fit_bradley_terry(pc.wins[0], pc.ties[0])
    # standard error of each strength is about 0.02 here
    np.testing.assert_allclose(fit.params, truth - truth.mean(), atol=0.08)


def test_swapping_sides_changes_nothing():
    rng = np.random.default_rng(3)
    a, b, outcome, _ = _random_battles(rng, 5, 500)
    flipped = np.select([outcome == A_WINS, outcome == B_WINS], [B_WINS, A_WINS], outcome)
    names = [str(k) for k in range(5)]
    one = counts_from_battles(names, a, b, outcome)
    two = counts_from_battles(names, b, a, flipped)
    np.testing.assert_array_equal(one.wins, two.wins)
    fit1 = fit_bradley_terry(one.wins[0], one.ties[0]).params
    fit2 = fit_bradley_terry(two.wins[0], two.ties[0]).params
    np.testing.assert_allclose(fit1, fit2, atol=1e-12)


def test_relabelling_contenders_permutes_ratings():
    rng = np.random.default_rng(4)
    a, b, outcome, _ = _random_battles(rng, 6, 300)
    perm = rng.permutation(6)
    names = [str(k) for k in range(6)]
    base = fit_bradley_terry(*_wt(counts_from_battles(names, a, b, outcome))).params
    moved = fit_bradley_terry(*_wt(counts_from_battles(names, perm[a], perm[b], outcome))).params
    np.testing.assert_allclose(moved[perm], base, atol=1e-10)


def _wt(pc):
    return pc.wins[0], pc.ties[0]


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_agrees_with_generic_optimiser_on_raw_likelihood(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(3, 7))
    a, b, outcome, _ = _random_battles(rng, m, int(rng.integers(80, 300)))
    y = np.where(outcome == A_WINS, 1.0, np.where(outcome == B_WINS, 0.0, 0.5))

    def nll(free):
        theta = np.concatenate([[0.0], free])
        d = theta[a] - theta[b]
        return -(y * -np.logaddexp(0, -d) + (1 - y) * -np.logaddexp(0, d)).sum()

    res = minimize(nll, np.zeros(m - 1), method="BFGS", options={"gtol": 1e-9})
    theirs = np.concatenate([[0.0], res.x])
    pc = counts_from_battles([str(k) for k in range(m)], a, b, outcome)
    ours = fit_bradley_terry(pc.wins[0], pc.ties[0]).params
    np.testing.assert_allclose(ours, theirs - theirs.mean(), atol=1e-4)


def test_disconnected_graph_is_regularised_and_flagged():
    # {0, 1} and {2, 3} never met
    wins = np.zeros((4, 4))
    wins[0, 1], wins[1, 0], wins[2, 3], wins[3, 2] = 5, 3, 4, 4
    assert comparison_components(wins, np.zeros((4, 4))) == 2
    with pytest.warns(RegularizationWarning):
        fit = fit_bradley_terry(wins)
    assert fit.regularized and fit.ridge > 0
    assert np.isfinite(fit.params).all()
    assert fit.params[0] > fit.params[1]
    assert abs(fit.params[2] - fit.params[3]) < 1e-9


def test_unbeaten_contender_gets_finite_flagged_rating():
    wins = np.array([[0, 3, 2], [0, 0, 4], [0, 3, 0]], dtype=float)  # 0 never lost
    with pytest.warns(RegularizationWarning):
        fit = fit_bradley_terry(wins)
    assert np.isfinite(fit.params).all()
    assert fit.params[0] == fit.params.max()


def test_connected_graph_needs_no_ridge():
    wins = np.array([[0, 3, 1], [1, 0, 2], [1, 1, 0]], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_bradley_terry(wins)
    assert fit.ridge == 0 and not fit.regularized


def test_non_convergence_raises():
    wins = np.array([[0, 3, 1], [1, 0, 2], [1, 1, 0]], dtype=float)
    with pytest.raises(ConvergenceError):
        fit_bradley_terry(wins, max_iter=1, tol=1e-15)


def test_explicit_zero_ridge_on_disconnected_graph_is_refused():
    wins = np.zeros((4, 4))
    wins[0, 1], wins[1, 0], wins[2, 3], wins[3, 2] = 5, 3, 4, 4
    with pytest.raises(ValueError):
        fit_bradley_terry(wins, ridge=0.0)
