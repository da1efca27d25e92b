"""The drawn pair's probability is stored on the battle and its weight on the vote rows."""

import pytest
from django.test import override_settings
from django.utils import timezone

from battles.actions import cast_vote
from battles.exclusions import exclude_battles, include_battles
from battles.models import Battle, BattleCategory, Vote
from tests.battles.generation_helpers import generate_all, make_contender, new_battle

pytestmark = pytest.mark.django_db


def _revealed(codename: str, weight: float = 1.0) -> None:
    make_contender(
        codename, public_name=codename.title(), revealed_at=timezone.now(), sampling_weight=weight
    )


@override_settings(ARENA_SAMPLING="weighted", ARENA_NEW_CONTENDER_VOTES=0)
def test_battle_stores_the_pair_probability_and_the_vote_its_inverse_weight() -> None:
    # given: weights 2, 1, 1 -> pair weights 2, 2, 1 of 5
    _revealed("heavy", 2.0)
    _revealed("light-one")
    _revealed("light-two")
    battle = new_battle("Write a Python function that sorts a list", voter="owner")
    names = {battle.contender_a.codename, battle.contender_b.codename}
    expected = 2 / 5 if "heavy" in names else 1 / 5
    assert battle.pair_probability == pytest.approx(expected)
    assert battle.pairs_allowed == 3

    # when
    generate_all(battle)
    vote = cast_vote(battle_id=battle.id, voter="owner", outcome="a")

    # then: weight = uniform probability / pair probability, on the vote and its tags
    weight = (1 / 3) / expected
    assert Vote.objects.get(pk=vote.pk).weight == pytest.approx(weight)
    tags = BattleCategory.objects.filter(battle=battle)
    assert tags.exists()
    assert all(t.weight == pytest.approx(weight) for t in tags)


@override_settings(ARENA_SAMPLING="uniform")
def test_uniform_votes_weigh_one_and_exclusion_keeps_the_weight() -> None:
    _revealed("one")
    _revealed("two")
    battle = new_battle("Hello", voter="owner")
    generate_all(battle)
    cast_vote(battle_id=battle.id, voter="owner", outcome="tie")

    exclude_battles(Battle.objects.filter(pk=battle.id), "duplicate")
    include_battles(Battle.objects.filter(pk=battle.id))

    stored = Vote.objects.get(battle=battle)
    assert (stored.weight, stored.counted) == (1.0, True)


def test_a_battle_without_a_probability_weighs_one() -> None:
    # imported battles (and those from before probabilities were stored)
    assert Battle(pair_probability=None, pairs_allowed=None).rating_weight == 1.0
    assert Battle(pair_probability=0.25, pairs_allowed=None).rating_weight == 1.0
    assert Battle(pair_probability=0.05, pairs_allowed=10).rating_weight == pytest.approx(2.0)
