"""SQL aggregation of eligible votes equals a plain Python count of the same votes."""

import random
from collections import Counter

import numpy as np
import pytest

from battles.models import BattleStatus
from ratings.aggregation import aggregate_votes
from tests.ratings.helpers import contender, vote

OUTCOMES = ["a", "b", "tie", "bothbad"]
TAGS = ["coding", "math", "language_english"]


Cell = tuple[str, str, str, str]


def python_counts(votes: list[tuple[str, str, str, set[str]]]) -> Counter[Cell]:
    """(category, winner-or-first, other, kind) → count, computed without SQL.

    Ties include both-bad votes; the both-bad part is counted again as its own kind.
    """
    counts: Counter[Cell] = Counter()
    for a, b, outcome, cats in votes:
        for cat in {"overall", *cats} | ({"exclude_ties"} if outcome in ("a", "b") else set()):
            if outcome == "a":
                counts[(cat, a, b, "win")] += 1
            elif outcome == "b":
                counts[(cat, b, a, "win")] += 1
            else:
                counts[(cat, a, b, "tie")] += 1
                counts[(cat, b, a, "tie")] += 1
            if outcome == "bothbad":
                counts[(cat, a, b, "bothbad")] += 1
                counts[(cat, b, a, "bothbad")] += 1
    return counts


@pytest.mark.django_db
def test_aggregation_matches_python_count() -> None:
    # given: random eligible votes, plus excluded and unfinished battles that must not count
    rng = random.Random(7)
    models = {n: contender(n) for n in ["alpha", "bravo", "charlie", "delta"]}
    names = list(models)
    eligible = []
    for _ in range(300):
        a, b = rng.sample(names, 2)
        outcome = rng.choice(OUTCOMES)
        cats = {t for t in TAGS if rng.random() < 0.4}
        vote(models[a], models[b], outcome, categories=cats)
        eligible.append((a, b, outcome, cats))
    for _ in range(20):
        a, b = rng.sample(names, 2)
        vote(models[a], models[b], "a", categories={"coding"}, excluded_reason="identity leak")
        vote(models[a], models[b], "b", categories={"math"}, status=BattleStatus.FAILED)

    # when
    result = aggregate_votes()

    # then
    pc = result.counts
    expected = python_counts(eligible)
    assert pc.models == sorted(names)
    assert pc.categories[:2] == ["overall", "exclude_ties"]
    assert set(pc.categories) == {"overall", "exclude_ties", *TAGS}
    got: Counter[Cell] = Counter()
    for c, cat in enumerate(pc.categories):
        for i, x in enumerate(pc.models):
            for j, y in enumerate(pc.models):
                if pc.wins[c, i, j]:
                    got[(cat, x, y, "win")] = int(pc.wins[c, i, j])
                if pc.ties[c, i, j]:
                    got[(cat, x, y, "tie")] = int(pc.ties[c, i, j])
                if pc.bothbad is not None and pc.bothbad[c, i, j]:
                    got[(cat, x, y, "bothbad")] = int(pc.bothbad[c, i, j])
    assert got == expected
    assert result.votes == len(eligible)


@pytest.mark.django_db
def test_exclude_ties_keeps_only_decisive_votes() -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a", categories=["overall"])  # a stray tag must not count twice
    vote(x, y, "tie", categories=["exclude_ties"])
    vote(y, x, "bothbad")

    pc = aggregate_votes().counts
    overall, no_ties = pc.category_index("overall"), pc.category_index("exclude_ties")

    assert pc.n_battles[overall] == 3
    assert pc.n_battles[no_ties] == 1
    assert np.array_equal(pc.wins[no_ties], pc.wins[overall])
    assert pc.ties[no_ties].sum() == 0
    assert pc.bothbad is not None and pc.bothbad[overall].sum() == 2  # symmetric: 1 each way


@pytest.mark.django_db
def test_no_votes_gives_empty_counts() -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a", excluded_reason="duplicate")

    result = aggregate_votes()

    assert result.votes == 0
    assert result.counts.categories == []
    assert result.contender_ids == []


@pytest.mark.django_db
def test_weights_are_summed_per_cell() -> None:
    # given: votes drawn with known pair probabilities (weight 1 / (pairs * p)), one
    # imported-like vote without a probability (weight 1), and an excluded vote
    rng = random.Random(11)
    models = {n: contender(n) for n in ["alpha", "bravo", "charlie"]}
    names = sorted(models)
    expected = np.zeros((2, 2, 3, 3))  # (sum, sum of squares) x (win, tie) x pair
    expected_math = np.zeros((3, 3))
    for _ in range(120):
        a, b = rng.sample(names, 2)
        outcome = rng.choice(OUTCOMES)
        probability = rng.choice([0.1, 0.25, 0.5])
        cats = {"math"} if rng.random() < 0.5 else set()
        vote(models[a], models[b], outcome, categories=cats, pair_probability=probability,
             pairs_allowed=3)  # fmt: skip
        weight = 1 / (3 * probability)
        i, j = names.index(a), names.index(b)
        if outcome == "a":
            cells = [(0, i, j)]
        elif outcome == "b":
            cells = [(0, j, i)]
        else:
            cells = [(1, i, j), (1, j, i)]
        for kind, x, y in cells:
            expected[0, kind, x, y] += weight
            expected[1, kind, x, y] += weight**2
            if cats and kind == 0:
                expected_math[x, y] += weight
    vote(models["alpha"], models["bravo"], "a")
    expected[:, 0, 0, 1] += 1.0
    vote(models["alpha"], models["bravo"], "b", excluded_reason="duplicate", pair_probability=0.01,
         pairs_allowed=3)  # fmt: skip

    # when
    counts = aggregate_votes().counts

    # then
    weights = counts.weights
    assert weights is not None
    overall, math = counts.category_index("overall"), counts.category_index("math")
    np.testing.assert_allclose(weights.wins[overall], expected[0, 0])
    np.testing.assert_allclose(weights.ties[overall], expected[0, 1])
    np.testing.assert_allclose(weights.wins_sq[overall], expected[1, 0])
    np.testing.assert_allclose(weights.ties_sq[overall], expected[1, 1])
    np.testing.assert_allclose(weights.wins[math], expected_math)
    no_ties = counts.category_index("exclude_ties")
    np.testing.assert_allclose(weights.wins[no_ties], expected[0, 0])
    assert weights.ties[no_ties].sum() == 0
