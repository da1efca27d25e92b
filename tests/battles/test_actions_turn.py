"""add_turn: only the owner, only between finished answers, never after the vote."""

import uuid

import pytest
from django.test import override_settings

from arena.errors import BadRequest, Conflict, Forbidden, NotFound, RateLimited
from arena.models import Contender
from battles.actions import add_turn, cast_vote
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Turn
from tests.battles.generation_helpers import generate_all, make_contender, new_battle

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair() -> list[Contender]:
    return [make_contender("first-one"), make_contender("second-one")]


@pytest.fixture
def ready_battle(pair: list[Contender]) -> Battle:
    battle = new_battle(voter="owner")
    generate_all(battle)
    battle.refresh_from_db()
    assert battle.status == BattleStatus.READY
    return battle


def test_follow_up_turn_goes_back_to_generating(ready_battle: Battle) -> None:
    turn = add_turn(battle_id=ready_battle.id, voter="owner", prompt="And then?")

    ready_battle.refresh_from_db()
    assert (turn.index, turn.prompt) == (1, "And then?")
    assert ready_battle.status == BattleStatus.GENERATING
    completions = Completion.objects.filter(turn=turn)
    assert {(c.side, c.contender_id, c.status) for c in completions} == {
        ("a", ready_battle.contender_a_id, CompletionStatus.PENDING),
        ("b", ready_battle.contender_b_id, CompletionStatus.PENDING),
    }
    generate_all(ready_battle)
    ready_battle.refresh_from_db()
    assert ready_battle.status == BattleStatus.READY


def test_another_voter_is_forbidden(ready_battle: Battle) -> None:
    with pytest.raises(Forbidden):
        add_turn(battle_id=ready_battle.id, voter="intruder", prompt="hi")
    assert Turn.objects.filter(battle=ready_battle).count() == 1


def test_unknown_battle(pair: list[Contender]) -> None:
    with pytest.raises(NotFound):
        add_turn(battle_id=uuid.uuid4(), voter="owner", prompt="hi")


def test_turn_while_answers_are_still_coming(pair: list[Contender]) -> None:
    battle = new_battle(voter="owner")
    with pytest.raises(Conflict, match="Wait until both answers have finished"):
        add_turn(battle_id=battle.id, voter="owner", prompt="hi")


def test_voted_battle_rejects_turns(ready_battle: Battle) -> None:
    cast_vote(battle_id=ready_battle.id, voter="owner", outcome="a")
    with pytest.raises(Conflict, match="voted"):
        add_turn(battle_id=ready_battle.id, voter="owner", prompt="hi")
    assert Turn.objects.filter(battle=ready_battle).count() == 1


def test_failed_battle_rejects_turns(ready_battle: Battle) -> None:
    Battle.objects.filter(pk=ready_battle.pk).update(status=BattleStatus.FAILED)
    with pytest.raises(Conflict, match="new battle"):
        add_turn(battle_id=ready_battle.id, voter="owner", prompt="hi")


def test_bad_prompt_is_rejected_and_nothing_changes(ready_battle: Battle) -> None:
    with pytest.raises(BadRequest, match="Type a prompt first"):
        add_turn(battle_id=ready_battle.id, voter="owner", prompt=" ")
    ready_battle.refresh_from_db()
    assert ready_battle.status == BattleStatus.READY


@override_settings(ARENA_MAX_TURNS=2)
def test_turn_limit(ready_battle: Battle) -> None:
    add_turn(battle_id=ready_battle.id, voter="owner", prompt="second")
    generate_all(ready_battle)
    with pytest.raises(Conflict, match="at most 2 turns"):
        add_turn(battle_id=ready_battle.id, voter="owner", prompt="third")


def test_turns_count_against_the_rate_limit(ready_battle: Battle) -> None:
    # new_battle used one of the two; the follow-up uses the other.
    with override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=2):
        add_turn(battle_id=ready_battle.id, voter="owner", prompt="second")
        generate_all(ready_battle)
        with pytest.raises(RateLimited):
            add_turn(battle_id=ready_battle.id, voter="owner", prompt="third")
