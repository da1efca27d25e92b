"""Probability of being #1 and rows under the vote threshold ("not enough votes")."""

import numpy as np
import pytest

from ratings.stats import (
    A_WINS,
    B_WINS,
    FitOptions,
    StyleBattles,
    compute_leaderboard,
    compute_style_leaderboard,
    counts_from_battles,
    probability_first,
)


def test_probability_first_counts_top_replicates_and_splits_ties() -> None:
    samples = np.array([[3.0, 1.0, 0.0], [1.0, 3.0, 0.0], [2.0, 2.0, 0.0], [5.0, 0.0, 0.0]])

    p = probability_first(samples)

    np.testing.assert_allclose(p, [0.625, 0.375, 0.0])
    assert p.sum() == pytest.approx(1.0)


def _battles(n_weak: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """'top' clearly strongest, 'mid' and 'low' behind; 'new' plays only n_weak battles."""
    rng = np.random.default_rng(1)
    names = ["low", "mid", "new", "top"]
    strength = {"low": -1.0, "mid": 0.0, "new": 0.0, "top": 1.5}
    pairs = [(0, 1), (0, 3), (1, 3)] * 400 + [(2, k) for k in (0, 1, 3)] * (n_weak // 3)
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    s = np.array([strength[n] for n in names])
    win = rng.random(a.size) < 1 / (1 + np.exp(-(s[a] - s[b])))
    return names, a, b, np.where(win, A_WINS, B_WINS)


@pytest.mark.parametrize("ci", ["sandwich", "bootstrap"])
def test_clear_leader_is_almost_surely_first(ci: str) -> None:
    names, a, b, outcome = _battles(300)
    counts = counts_from_battles(names, a, b, outcome)

    rows = compute_leaderboard(counts, FitOptions(ci=ci, rounds=200, seed=3, first_place=True))[
        "categories"
    ]["overall"]["rows"]

    p = {r["model"]: r["p_first"] for r in rows}
    assert p["top"] > 0.99
    assert sum(p.values()) == pytest.approx(1.0)


def test_thin_contender_is_kept_unranked_and_others_rank_without_it() -> None:
    names, a, b, outcome = _battles(30)
    counts = counts_from_battles(names, a, b, outcome)

    rows = compute_leaderboard(
        counts,
        FitOptions(ci="sandwich", min_votes=100, keep_unranked=True, first_place=True, seed=0),
    )["categories"]["overall"]["rows"]

    by = {r["model"]: r for r in rows}
    assert by["new"]["votes"] == 30
    assert by["new"]["rank"] is None and by["new"]["rank_ub"] is None
    assert by["new"]["p_first"] == 0.0
    assert sorted(r["rank"] for r in rows if r["rank"] is not None) == [1, 2, 3]
    assert by["top"]["rank"] == 1


def test_style_leaderboard_has_first_place_and_unranked_rows() -> None:
    names, a, b, outcome = _battles(30)
    rng = np.random.default_rng(2)
    style = rng.integers(0, 50, size=(a.size, 8)).astype(float)

    battles = StyleBattles(names, a, b, outcome, style, ["overall"], np.ones((1, a.size), bool))
    options = FitOptions(min_votes=100, keep_unranked=True, first_place=True, seed=0)
    entry = compute_style_leaderboard(battles, options)["categories"]["overall"]

    by = {r["model"]: r for r in entry["rows"]}
    assert by["new"]["rank"] is None
    assert by["top"]["p_first"] > 0.99
    assert set(entry["style_coefficients"]) == {"length", "headers", "lists", "bold"}
