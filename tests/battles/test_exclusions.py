"""Excluding a battle takes its vote out of the rating counts; including it restores them."""

import pytest

from battles.exclusions import exclude_battles, include_battles
from battles.models import Battle, BattleCategory, BattleStatus, Vote
from ratings.aggregation import aggregate_votes
from tests.ratings.helpers import contender, vote

pytestmark = pytest.mark.django_db


def overall_and_coding_wins(winner: str, loser: str) -> tuple[float, float]:
    pc = aggregate_votes().counts
    if not pc.categories:
        return 0.0, 0.0
    i, j = pc.models.index(winner), pc.models.index(loser)
    coding = pc.wins[pc.category_index("coding"), i, j] if "coding" in pc.categories else 0.0
    return float(pc.wins[pc.category_index("overall"), i, j]), float(coding)


def flags(battle: Battle) -> tuple[bool, set[bool]]:
    tags = set(BattleCategory.objects.filter(battle=battle).values_list("counted", flat=True))
    return Vote.objects.get(battle=battle).counted, tags


def test_excluded_vote_leaves_the_counts_and_inclusion_restores_them() -> None:
    # given: two counted votes for x over y, both tagged coding
    x, y = contender("xray"), contender("yankee")
    kept = vote(x, y, "a", categories={"coding"}).battle
    target = vote(x, y, "a", categories={"coding", "math"}).battle
    assert overall_and_coding_wins("xray", "yankee") == (2.0, 2.0)

    # when
    excluded = exclude_battles(Battle.objects.filter(pk=target.pk), "flagged voter")

    # then
    assert excluded == 1
    assert Battle.objects.get(pk=target.pk).excluded_reason == "flagged voter"
    assert flags(target) == (False, {False})
    assert flags(kept) == (True, {True})
    assert overall_and_coding_wins("xray", "yankee") == (1.0, 1.0)

    # when
    assert include_battles(Battle.objects.filter(pk=target.pk)) == 1

    # then
    assert Battle.objects.get(pk=target.pk).excluded_reason == ""
    assert flags(target) == (True, {True})
    assert overall_and_coding_wins("xray", "yankee") == (2.0, 2.0)


def test_including_an_identity_leak_counts_it() -> None:
    x, y = contender("xray"), contender("yankee")
    leaked = vote(x, y, "b", categories={"coding"}, excluded_reason="identity leak: side b")
    assert aggregate_votes().votes == 0

    include_battles(Battle.objects.filter(pk=leaked.battle_id))

    assert flags(leaked.battle) == (True, {True})
    assert overall_and_coding_wins("yankee", "xray") == (1.0, 1.0)


def test_an_unvoted_status_never_counts() -> None:
    # A vote on a battle that is not (or no longer) voted stays out even when included.
    x, y = contender("xray"), contender("yankee")
    odd = vote(x, y, "a", categories={"coding"}, status=BattleStatus.FAILED)

    include_battles(Battle.objects.filter(pk=odd.battle_id))

    assert flags(odd.battle) == (False, {False})
    assert aggregate_votes().votes == 0


def test_exclusion_needs_a_reason() -> None:
    x, y = contender("xray"), contender("yankee")
    cast = vote(x, y, "a")

    with pytest.raises(ValueError, match="needs a reason"):
        exclude_battles(Battle.objects.filter(pk=cast.battle_id), "  ")

    assert flags(cast.battle) == (True, set())
    assert Battle.objects.get(pk=cast.battle_id).excluded_reason == ""
