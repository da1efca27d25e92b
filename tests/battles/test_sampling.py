"""sample_pair: weighted draws without replacement among sampleable contenders."""

import random
from collections import Counter
from itertools import combinations

import pytest

from arena.errors import Unavailable
from arena.models import Contender, ContenderStatus
from battles.sampling import sample_pair
from tests.battles.generation_helpers import make_contender

pytestmark = pytest.mark.django_db


def _pair_probabilities(weights: dict[str, float]) -> dict[frozenset[str], float]:
    """Exact chance of each unordered pair when drawing two by weight without replacement."""
    total = sum(weights.values())
    probabilities: dict[frozenset[str], float] = {}
    for x, y in combinations(weights, 2):
        wx, wy = weights[x], weights[y]
        probabilities[frozenset((x, y))] = wx / total * wy / (total - wx) + (
            wy / total * wx / (total - wy)
        )
    return probabilities


def test_pairs_follow_the_weights() -> None:
    weights = {"heavy": 4.0, "medium": 2.0, "light": 1.0, "feather": 0.5}
    for codename, weight in weights.items():
        make_contender(codename, sampling_weight=weight)
    rng = random.Random(12345)
    draws = 3000

    counts = Counter(frozenset(c.codename for c in sample_pair(rng)) for _ in range(draws))

    for pair, probability in _pair_probabilities(weights).items():
        expected = probability * draws
        # Four standard deviations of a binomial count: fails only on a real bias.
        tolerance = 4 * (draws * probability * (1 - probability)) ** 0.5
        assert abs(counts[pair] - expected) < tolerance, (sorted(pair), counts[pair], expected)


def test_never_the_same_contender_twice() -> None:
    make_contender("dominant", sampling_weight=1000.0)
    make_contender("rare", sampling_weight=0.001)
    rng = random.Random(1)
    for _ in range(200):
        first, second = sample_pair(rng)
        assert first.pk != second.pk


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
def test_unavailable_contenders_are_skipped(excluded: dict[str, object]) -> None:
    make_contender("one")
    make_contender("two")
    make_contender("skipped", **excluded)
    rng = random.Random(5)

    seen = {c.codename for _ in range(100) for c in sample_pair(rng)}

    assert seen == {"one", "two"}


def test_fewer_than_two_is_unavailable() -> None:
    make_contender("only")
    make_contender("paused", status=ContenderStatus.PAUSED)
    with pytest.raises(Unavailable, match="No two models are available"):
        sample_pair(random.Random(0))
    assert Contender.objects.count() == 2
