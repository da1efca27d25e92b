"""The anomalous-voter math: per-vote p-values, Fisher's method, the other signals."""

import numpy as np
import pytest
from scipy.stats import binomtest, combine_pvalues

from ratings.stats.anomaly import (
    SIGNAL_FAVOURITISM,
    SIGNAL_OUTCOMES,
    SIGNAL_SIDE,
    SIGNAL_SPEED,
    SIGNAL_VOLUME,
    AnomalyThresholds,
    EvidenceAccumulator,
    favouritism_pvalue,
    fisher_pvalue,
    fisher_statistic,
    side_bias_pvalue,
    vote_pvalues,
)
from ratings.stats.counts import A_WINS, B_WINS, BOTH_BAD, TIE


def test_a_vote_for_the_underdog_has_its_probability_as_p_value() -> None:
    # a is 1 log-odds stronger: P(a wins) = 0.731
    theta_a, theta_b = np.array([1.0, 1.0, 1.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0, 0.0, 0.0])
    outcome = np.array([B_WINS, A_WINS, TIE, BOTH_BAD, A_WINS])
    p = vote_pvalues(theta_a, theta_b, outcome)
    assert p[0] == pytest.approx(1 / (1 + np.e))  # the underdog won
    assert list(p[1:]) == [1.0, 1.0, 1.0, 1.0]  # the favourite, ties, a coin flip


def test_vote_p_values_are_valid_under_the_fit() -> None:
    # given votes drawn from the fit itself
    rng = np.random.default_rng(3)
    theta_a, theta_b = rng.normal(0, 1, 200_000), rng.normal(0, 1, 200_000)
    wins_a = rng.random(200_000) < 1 / (1 + np.exp(theta_b - theta_a))
    p = vote_pvalues(theta_a, theta_b, np.where(wins_a, A_WINS, B_WINS))
    # then P(p <= x) <= x (up to sampling noise)
    for x in (0.01, 0.05, 0.2, 0.4):
        assert (p <= x).mean() <= x + 0.003


def test_fisher_matches_scipy() -> None:
    pvalues = np.array([0.01, 0.2, 0.5, 0.9, 0.03])
    statistic, expected = combine_pvalues(pvalues, method="fisher")
    assert fisher_statistic(pvalues) == pytest.approx(statistic)
    assert fisher_pvalue(fisher_statistic(pvalues), len(pvalues)) == pytest.approx(expected)
    # vectorised over groups
    both = fisher_pvalue(np.array([statistic, 2.0]), np.array([5, 1]))
    assert both == pytest.approx([expected, np.exp(-1.0)])


@pytest.mark.parametrize(("a", "b"), [(10, 10), (3, 17), (20, 0), (31, 9), (0, 1)])
def test_side_bias_matches_scipy_binomial_test(a: int, b: int) -> None:
    expected = binomtest(a, a + b, 0.5, alternative="two-sided").pvalue
    assert side_bias_pvalue(a, b) == pytest.approx(expected)


def test_favouritism_is_a_two_sided_normal_test() -> None:
    p = favouritism_pvalue(np.array([20.0, 10.0, 0.0]), np.array([10.0] * 3), np.array([5.0] * 3))
    assert p[1] == pytest.approx(1.0)
    assert p[0] == pytest.approx(p[2])
    assert p[0] < 1e-5


def _honest_and_rigger(seed: int = 0) -> EvidenceAccumulator:
    rng = np.random.default_rng(seed)
    theta = np.linspace(1.0, -1.0, 10)
    acc = EvidenceAccumulator(theta)
    # 300 honest voters with 30 votes each, following the fit, at reading speed
    for v in range(300):
        a, b = rng.integers(0, 10, 30), rng.integers(0, 10, 30)
        b = np.where(a == b, (b + 1) % 10, b)
        wins = rng.random(30) < 1 / (1 + np.exp(theta[b] - theta[a]))
        outcome = np.where(rng.random(30) < 0.2, TIE, np.where(wins, A_WINS, B_WINS))
        acc.add([f"honest-{v}"] * 30, a, b, outcome, rng.lognormal(2.5, 0.7, 30), np.zeros(30))
    # a rigger: contender 6 wins every battle it is in, on random sides, as fast as a bot
    opponents = (6 + rng.integers(1, 10, 60)) % 10
    on_a = rng.random(60) < 0.5
    acc.add(
        ["rigger"] * 60,
        np.where(on_a, 6, opponents),
        np.where(on_a, opponents, 6),
        np.where(on_a, A_WINS, B_WINS),
        np.full(60, 0.5),
        np.zeros(60),
    )
    return acc


def test_a_rigger_is_flagged_and_honest_voters_are_not() -> None:
    verdicts = _honest_and_rigger().verdicts(AnomalyThresholds())
    assert {v.key for v in verdicts} == {"rigger"}
    assert {v.signal for v in verdicts} >= {SIGNAL_FAVOURITISM, SIGNAL_SPEED}
    favour = next(v for v in verdicts if v.signal == SIGNAL_FAVOURITISM)
    assert favour.score < 1e-10 and favour.votes == 60


def test_chunks_add_up_to_the_same_evidence() -> None:
    theta = np.array([0.5, 0.0, -0.5])
    a, b = np.array([0, 1, 2, 0] * 10), np.array([1, 2, 0, 2] * 10)
    outcome = np.array([B_WINS, B_WINS, A_WINS, TIE] * 10)
    whole, parts = EvidenceAccumulator(theta), EvidenceAccumulator(theta)
    whole.add(["v"] * 40, a, b, outcome)
    for start in range(0, 40, 7):
        sl = slice(start, start + 7)
        parts.add(["v"] * len(a[sl]), a[sl], b[sl], outcome[sl])
    thresholds = AnomalyThresholds(min_votes=5, alpha=1.0)
    assert whole.verdicts(thresholds) == parts.verdicts(thresholds)
    assert whole.groups["v"].fisher == pytest.approx(parts.groups["v"].fisher)


def test_a_bot_that_always_picks_a_is_flagged_for_side_bias() -> None:
    acc = EvidenceAccumulator(np.zeros(4))
    acc.add(["bot"] * 40, np.arange(40) % 4, (np.arange(40) + 1) % 4, np.full(40, A_WINS))
    signals = {v.signal for v in acc.verdicts(AnomalyThresholds())}
    assert SIGNAL_SIDE in signals


def test_contrarian_votes_fail_fishers_test() -> None:
    # always the underdog, against a clear favourite
    theta = np.array([2.0, -2.0])
    acc = EvidenceAccumulator(theta)
    on_a = np.arange(40) % 2 == 0
    acc.add(
        ["contrarian"] * 40,
        np.where(on_a, 1, 0),
        np.where(on_a, 0, 1),
        np.where(on_a, A_WINS, B_WINS),
    )
    verdicts = acc.verdicts(AnomalyThresholds())
    assert SIGNAL_OUTCOMES in {v.signal for v in verdicts}


def test_volume_and_the_minimum_vote_count() -> None:
    acc = EvidenceAccumulator(np.zeros(2))
    acc.add(["busy"] * 12, np.zeros(12, int), np.ones(12, int), np.full(12, TIE), day=np.zeros(12))
    acc.add(["few"] * 5, np.zeros(5, int), np.ones(5, int), np.full(5, A_WINS), np.zeros(5))
    verdicts = acc.verdicts(AnomalyThresholds(max_votes_per_day=10))
    assert [(v.key, v.signal) for v in verdicts] == [("busy", SIGNAL_VOLUME)]
    # below min_votes nobody is judged on statistics or speed
    assert not AnomalyThresholds().max_votes_per_day
    assert EvidenceAccumulator(np.zeros(2)).verdicts(AnomalyThresholds()) == []
