"""compute_leaderboard: the shared output contract, ranks, anchors, matrices."""

import math

import numpy as np
import pytest

from ratings.stats import (
    A_WINS,
    B_WINS,
    TIE,
    FitOptions,
    PairCounts,
    RatingScale,
    battle_counts,
    compute_leaderboard,
    counts_from_battles,
    pairwise_win_rates,
    predicted_win_rates,
    rank_by_rating,
    rank_upper_bound,
)

ROW_KEYS = {"model", "rating", "ci_lower", "ci_upper", "rank", "rank_ub", "votes", "win_rate"}


@pytest.fixture
def counts():
    rng = np.random.default_rng(0)
    m, n = 6, 4000
    strengths = np.linspace(-1, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(-(strengths[a] - strengths[b])))
    outcome = np.where(rng.random(n) < p, A_WINS, B_WINS)
    outcome[rng.random(n) < 0.1] = TIE
    mask = np.vstack([np.ones(n, bool), outcome != TIE, a % 2 == 0])
    names = [f"m{k}" for k in range(m)]
    return counts_from_battles(
        names, a, b, outcome, categories=["overall", "exclude_ties", "coding"], category_mask=mask
    )


@pytest.mark.parametrize("ci", ["sandwich", "bootstrap", "none"])
def test_output_shape(counts, ci):
    out = compute_leaderboard(counts, FitOptions(ci=ci, rounds=30, seed=1))
    method = out["method"]
    assert (method["scale"], method["base"], method["init"], method["ci"]) == (400, 10, 1000, ci)
    assert list(out["categories"]) == counts.categories
    for name, entry in out["categories"].items():
        assert entry["votes"] == round(counts.n_battles[counts.category_index(name)])
        rows = entry["rows"]
        assert rows and all(set(r) == ROW_KEYS for r in rows)
        ratings = [r["rating"] for r in rows]
        assert ratings == sorted(ratings, reverse=True)
        assert np.mean(ratings) == pytest.approx(1000, abs=1e-8)
        for r in rows:
            if ci == "none":
                assert r["ci_lower"] is None and r["rank_ub"] == r["rank"]
            else:
                assert r["ci_lower"] < r["rating"] < r["ci_upper"]
                assert 1 <= r["rank_ub"] <= r["rank"]


def test_votes_and_win_rates(counts):
    rows = compute_leaderboard(counts, FitOptions(ci="none"))["categories"]["overall"]["rows"]
    c = 0
    for r in rows:
        k = counts.models.index(r["model"])
        played = counts.wins[c, k].sum() + counts.wins[c, :, k].sum() + counts.ties[c, k].sum()
        assert r["votes"] == played
        scored = counts.wins[c, k].sum() + counts.ties[c, k].sum() / 2
        assert r["win_rate"] == pytest.approx(scored / played)
    assert sum(r["votes"] for r in rows) == 2 * counts.n_battles[c]


def test_bootstrap_leaderboard_is_reproducible(counts):
    one = compute_leaderboard(counts, FitOptions(ci="bootstrap", rounds=20, seed=3))
    two = compute_leaderboard(counts, FitOptions(ci="bootstrap", rounds=20, seed=3))
    assert one == two


def test_anchor_pins_one_contender_and_shifts_the_rest(counts):
    free = compute_leaderboard(counts)["categories"]["overall"]["rows"]
    pinned = compute_leaderboard(counts, FitOptions(scale=RatingScale(anchor=("m2", 1114.0))))[
        "categories"
    ]["overall"]["rows"]
    free_by = {r["model"]: r["rating"] for r in free}
    pinned_by = {r["model"]: r for r in pinned}
    assert pinned_by["m2"]["rating"] == 1114.0
    shift = 1114.0 - free_by["m2"]
    for name, rating in free_by.items():
        assert pinned_by[name]["rating"] == pytest.approx(rating + shift, abs=1e-9)
    # intervals are for the difference to the anchor, which is therefore exact
    assert pinned_by["m2"]["ci_lower"] == pinned_by["m2"]["ci_upper"] == 1114.0


def test_min_votes_hides_rows_without_moving_ratings(counts):
    full = compute_leaderboard(counts, FitOptions(ci="none"))["categories"]["overall"]["rows"]
    threshold = sorted(r["votes"] for r in full)[2]
    some = compute_leaderboard(counts, FitOptions(ci="none", min_votes=threshold))["categories"][
        "overall"
    ]
    assert all(r["votes"] >= threshold for r in some["rows"])
    assert len(some["rows"]) < len(full)
    full_by = {r["model"]: r["rating"] for r in full}
    for r in some["rows"]:
        assert r["rating"] == full_by[r["model"]]
    assert [r["rank"] for r in some["rows"]] == list(range(1, len(some["rows"]) + 1))


def test_disconnected_category_carries_a_warning():
    wins = np.zeros((1, 4, 4))
    wins[0, 0, 1], wins[0, 1, 0], wins[0, 2, 3], wins[0, 3, 2] = 5, 3, 4, 4
    pc = PairCounts(["a", "b", "c", "d"], ["overall"], wins, np.zeros_like(wins))
    entry = compute_leaderboard(pc)["categories"]["overall"]
    assert entry["warnings"] and "strongly connected" in entry["warnings"][0]
    assert all(np.isfinite(r["rating"]) for r in entry["rows"])


def test_contenders_without_votes_are_left_out():
    wins = np.zeros((1, 3, 3))
    wins[0, 0, 1], wins[0, 1, 0] = 2, 1
    pc = PairCounts(["a", "b", "c"], ["overall"], wins, np.zeros_like(wins))
    rows = compute_leaderboard(pc)["categories"]["overall"]["rows"]
    assert [r["model"] for r in rows] == ["a", "b"]


def test_progress_is_reported(counts):
    seen = []
    compute_leaderboard(
        counts, FitOptions(ci="none"), progress=lambda d, t, c: seen.append((d, t, c))
    )
    assert seen == [(1, 3, "overall"), (2, 3, "exclude_ties"), (3, 3, "coding")]


def test_ranks():
    assert rank_by_rating(np.array([10.0, 30.0, 20.0, 30.0])).tolist() == [4, 1, 3, 1]
    lower = np.array([95.0, 80.0, 60.0])
    upper = np.array([105.0, 100.0, 70.0])
    # 2nd overlaps 1st; 3rd is below both lower bounds
    assert rank_upper_bound(lower, upper).tolist() == [1, 1, 3]


def test_matrices(counts):
    n = battle_counts(counts, "overall")
    np.testing.assert_array_equal(n, n.T)
    assert n.sum() / 2 == counts.n_battles[0]
    rates = pairwise_win_rates(counts, "overall")
    off = ~np.eye(len(counts.models), dtype=bool)
    np.testing.assert_allclose((rates + rates.T)[off], 1.0)
    half = pairwise_win_rates(counts, "overall", ties_as_half=True)
    np.testing.assert_allclose((half + half.T)[off], 1.0)
    pred = predicted_win_rates(np.array([1100.0, 1000.0]))
    assert pred[0, 1] == pytest.approx(1 / (1 + 10 ** (-100 / 400)))
    assert pred[0, 0] == 0.5 and pred[0, 1] + pred[1, 0] == pytest.approx(1.0)
    assert math.isnan(
        pairwise_win_rates(
            PairCounts(["a", "b"], ["overall"], np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))
        )[0, 1]
    )
