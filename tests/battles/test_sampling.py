"""sample_pair: the policies (uniform, weighted, active), the rules, and exact probabilities."""

import random
from collections import Counter
from itertools import combinations

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from arena.errors import Unavailable
from arena.models import Contender, ContenderStatus
from battles.sampling import draw_pair, pair_probabilities, sample_pair, sampleable_contenders
from ratings.models import RatingSnapshot
from ratings.sampling_state import current_sampling_state
from tests.battles.generation_helpers import make_contender

pytestmark = pytest.mark.django_db


def revealed(codename: str, **fields: object) -> Contender:
    return make_contender(
        codename, public_name=codename.title(), revealed_at=timezone.now(), **fields
    )


def snapshot_state(votes: dict[Contender, int], scores: dict[frozenset[str], float]) -> None:
    """A snapshot whose sampling state says these votes and pair scores."""
    ids = [c.pk for c in votes]
    names = [c.codename for c in votes]
    upper = [
        scores.get(frozenset((names[i], names[j])), 0.0)
        for i, j in combinations(range(len(ids)), 2)
    ]
    RatingSnapshot.objects.create(
        sampling={"contenders": ids, "votes": list(votes.values()), "scores": upper}
    )


def pair_table() -> dict[frozenset[str], float]:
    """Exact probability of every pair under the current settings, as the sampler sees it."""
    candidates = sampleable_contenders()
    prob, _ = pair_probabilities(
        candidates, policy=settings.ARENA_SAMPLING, state=current_sampling_state()
    )
    return {
        frozenset((candidates[i].codename, candidates[j].codename)): float(prob[i, j])
        for i, j in combinations(range(len(candidates)), 2)
        if prob[i, j] > 0
    }


def assert_draws_follow(expected: dict[frozenset[str], float], draws: int, seed: int) -> None:
    """Real draws report the exact probability; many draws follow the distribution."""
    rng = random.Random(seed)
    for _ in range(20):
        pair = sample_pair(rng)
        key = frozenset(c.codename for c in pair.contenders)
        assert pair.probability == pytest.approx(expected[key], rel=1e-12)
    candidates = sampleable_contenders()
    prob, _ = pair_probabilities(
        candidates, policy=settings.ARENA_SAMPLING, state=current_sampling_state()
    )
    seen: Counter[frozenset[str]] = Counter()
    for _ in range(draws):
        i, j = draw_pair(prob, rng)
        seen[frozenset((candidates[i].codename, candidates[j].codename))] += 1
    assert set(seen) <= set(expected)
    for key, probability in expected.items():
        mean = probability * draws
        # Four standard deviations of a binomial count: fails only on a real bias.
        assert abs(seen[key] - mean) < 4 * (mean * (1 - probability)) ** 0.5 + 1, (
            key,
            seen[key],
            mean,
        )


@override_settings(ARENA_SAMPLING="weighted", ARENA_NEW_CONTENDER_VOTES=0)
def test_weighted_pairs_follow_the_product_of_the_weights() -> None:
    weights = {"heavy": 4.0, "medium": 2.0, "light": 1.0, "feather": 0.5}
    for codename, weight in weights.items():
        revealed(codename, sampling_weight=weight)
    products = {frozenset((x, y)): weights[x] * weights[y] for x, y in combinations(weights, 2)}
    total = sum(products.values())
    expected = {pair: w / total for pair, w in products.items()}

    assert pair_table() == pytest.approx(expected)
    assert_draws_follow(expected, 3000, seed=12345)


@override_settings(ARENA_SAMPLING="uniform")
def test_uniform_gives_every_pair_the_same_chance_and_weight_one() -> None:
    for codename, weight in {"heavy": 4.0, "medium": 2.0, "light": 1.0}.items():
        revealed(codename, sampling_weight=weight)

    pair = sample_pair(random.Random(1))

    assert pair.probability == pytest.approx(1 / 3)
    assert pair.pairs_allowed == 3
    assert_draws_follow(pair_table(), 1500, seed=2)


def test_two_unrevealed_codenames_never_meet() -> None:
    revealed("known-one")
    revealed("known-two")
    make_contender("chocolate")
    make_contender("vanilla")

    table = pair_table()

    assert frozenset(("chocolate", "vanilla")) not in table
    assert len(table) == 5
    pair = sample_pair(random.Random(3))
    assert pair.pairs_allowed == 5
    assert_draws_follow(table, 1000, seed=4)


@override_settings(ARENA_SEPARATE_UNREVEALED=False)
def test_the_rule_can_be_switched_off() -> None:
    revealed("known-one")
    make_contender("chocolate")
    make_contender("vanilla")

    assert frozenset(("chocolate", "vanilla")) in pair_table()
    assert sample_pair(random.Random(0)).pairs_allowed == 3


def test_codenames_only_still_meet_rather_than_serving_nothing() -> None:
    make_contender("chocolate")
    make_contender("vanilla")

    pair = sample_pair(random.Random(0))

    assert {c.codename for c in pair.contenders} == {"chocolate", "vanilla"}
    assert pair.probability == 1.0


@override_settings(
    ARENA_SAMPLING="weighted", ARENA_NEW_CONTENDER_VOTES=100, ARENA_NEW_CONTENDER_BOOST=3.0
)
def test_new_contenders_are_boosted_until_they_reach_the_target() -> None:
    old_a, old_b = revealed("old-a"), revealed("old-b")
    newcomer = revealed("newcomer")
    almost = revealed("almost")  # at the target: no longer boosted
    snapshot_state({old_a: 5000, old_b: 5000, newcomer: 12, almost: 100}, {})

    table = pair_table()

    # weights 1, 1, 3, 1: pair weights are products, normalised
    total = 1 + 3 + 1 + 3 + 1 + 3
    assert table[frozenset(("old-a", "old-b"))] == pytest.approx(1 / total)
    assert table[frozenset(("old-a", "newcomer"))] == pytest.approx(3 / total)
    assert table[frozenset(("almost", "newcomer"))] == pytest.approx(3 / total)
    assert_draws_follow(table, 2000, seed=5)


@override_settings(
    ARENA_SAMPLING="weighted", ARENA_NEW_CONTENDER_VOTES=100, ARENA_NEW_CONTENDER_BOOST=3.0
)
def test_a_contender_the_snapshot_never_saw_is_new() -> None:
    old_a, old_b = revealed("old-a"), revealed("old-b")
    snapshot_state({old_a: 5000, old_b: 5000}, {})
    revealed("fresh")

    table = pair_table()

    assert table[frozenset(("old-a", "fresh"))] == pytest.approx(
        3 * table[frozenset(("old-a", "old-b"))]
    )


@override_settings(ARENA_SAMPLING="active", ARENA_ACTIVE_FLOOR=0.2, ARENA_NEW_CONTENDER_VOTES=0)
def test_active_sampling_follows_the_scores_above_a_floor() -> None:
    a, b, c = revealed("alpha"), revealed("bravo"), revealed("charlie")
    snapshot_state(
        {a: 1000, b: 1000, c: 1000},
        {frozenset(("alpha", "bravo")): 1.0, frozenset(("alpha", "charlie")): 0.25},
    )

    table = pair_table()

    # 80 % by score (4 : 1 : 0), 20 % uniform (the weights are all 1)
    assert table[frozenset(("alpha", "bravo"))] == pytest.approx(0.8 * 0.8 + 0.2 / 3)
    assert table[frozenset(("alpha", "charlie"))] == pytest.approx(0.8 * 0.2 + 0.2 / 3)
    assert table[frozenset(("bravo", "charlie"))] == pytest.approx(0.2 / 3)
    assert_draws_follow(table, 2000, seed=6)


@override_settings(ARENA_SAMPLING="active", ARENA_ACTIVE_FLOOR=0.2, ARENA_NEW_CONTENDER_VOTES=0)
def test_active_sampling_gives_an_unrated_contender_the_top_score() -> None:
    a, b, c = revealed("alpha"), revealed("bravo"), revealed("charlie")
    snapshot_state(
        {a: 1000, b: 1000, c: 1000},
        {
            frozenset(("alpha", "bravo")): 1.0,
            frozenset(("alpha", "charlie")): 0.1,
            frozenset(("bravo", "charlie")): 0.1,
        },
    )
    revealed("fresh")

    table = pair_table()

    for known in ("alpha", "bravo", "charlie"):
        assert table[frozenset((known, "fresh"))] == pytest.approx(
            table[frozenset(("alpha", "bravo"))]
        )
    # scores 1, .1, .1 among the known, 1 for each of the three pairs with the newcomer
    assert table[frozenset(("alpha", "fresh"))] == pytest.approx(0.8 * 1 / 4.2 + 0.2 / 6)
    assert table[frozenset(("alpha", "charlie"))] == pytest.approx(0.8 * 0.1 / 4.2 + 0.2 / 6)


@override_settings(ARENA_SAMPLING="active", ARENA_NEW_CONTENDER_VOTES=0)
def test_active_sampling_without_a_snapshot_is_weighted() -> None:
    revealed("alpha", sampling_weight=2.0)
    revealed("bravo")
    revealed("charlie")

    table = pair_table()

    assert table[frozenset(("alpha", "bravo"))] == pytest.approx(2 / 5)
    assert table[frozenset(("bravo", "charlie"))] == pytest.approx(1 / 5)


@override_settings(ARENA_SAMPLING="active", ARENA_SAMPLING_STATE_TTL=60.0)
def test_the_hot_path_reads_only_the_contenders(django_assert_num_queries: object) -> None:
    a, b = revealed("alpha"), revealed("bravo")
    snapshot_state({a: 10, b: 10}, {frozenset(("alpha", "bravo")): 1.0})
    sample_pair(random.Random(0))  # warms the per-process state

    # one query per draw (the sampleable contenders): no snapshot, no votes, no fit
    with django_assert_num_queries(20):  # type: ignore[operator]
        for seed in range(20):
            sample_pair(random.Random(seed))


def test_never_the_same_contender_twice() -> None:
    revealed("dominant", sampling_weight=1000.0)
    revealed("rare", sampling_weight=0.001)
    revealed("other", sampling_weight=0.001)
    rng = random.Random(1)
    for _ in range(200):
        pair = sample_pair(rng)
        assert pair.first.pk != pair.second.pk


@pytest.mark.parametrize(
    "excluded",
    [
        {"status": ContenderStatus.PAUSED},
        {"status": ContenderStatus.OUTAGE},
        {"status": ContenderStatus.RETIRED},
        {"historic": True},
        {"sampling_weight": 0.0},
    ],
)
@pytest.mark.parametrize("policy", ["uniform", "weighted", "active"])
def test_unavailable_contenders_are_skipped(excluded: dict[str, object], policy: str) -> None:
    revealed("one")
    revealed("two")
    revealed("skipped", **excluded)
    rng = random.Random(5)

    with override_settings(ARENA_SAMPLING=policy):
        seen = {c.codename for _ in range(100) for c in sample_pair(rng).contenders}

    assert seen == {"one", "two"}


def test_fewer_than_two_is_unavailable() -> None:
    make_contender("only")
    make_contender("paused", status=ContenderStatus.PAUSED)
    with pytest.raises(Unavailable, match="No two models are available"):
        sample_pair(random.Random(0))
    assert Contender.objects.count() == 2
