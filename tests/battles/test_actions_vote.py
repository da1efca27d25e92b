"""cast_vote: one final vote by the owner once both answers are done; categories and leaks."""

import threading
import uuid

import pytest
from django.db import IntegrityError, transaction

from arena.errors import BadRequest, Conflict, Forbidden, NotFound
from arena.models import Contender
from battles import categories
from battles.actions import add_turn, cast_vote
from battles.models import (
    Battle,
    BattleCategory,
    BattleStatus,
    Completion,
    CompletionStatus,
    Vote,
)
from tests.battles.generation_helpers import generate_all, make_contender, new_battle

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair() -> list[Contender]:
    return [
        make_contender("first-one", public_name="First Model", organisation="Acme AI"),
        make_contender("second-one"),
    ]


@pytest.fixture
def ready_battle(pair: list[Contender]) -> Battle:
    battle = new_battle("Write a poem about the sea", voter="owner")
    generate_all(battle)
    return Battle.objects.get(pk=battle.pk)


@pytest.mark.parametrize("outcome", ["a", "b", "tie", "bothbad"])
def test_vote_is_stored_and_battle_is_voted(ready_battle: Battle, outcome: str) -> None:
    vote = cast_vote(battle_id=ready_battle.id, voter="owner", outcome=outcome)

    assert (vote.outcome, vote.voter) == (outcome, "owner")
    battle = Battle.objects.get(pk=ready_battle.pk)
    assert battle.status == BattleStatus.VOTED
    assert battle.excluded_reason == ""
    assert Vote.objects.get(battle=battle) == vote
    # The rating facts are copied from the battle, sides as stored.
    stored = Vote.objects.get(battle=battle)
    assert (stored.contender_a_id, stored.contender_b_id, stored.counted) == (
        battle.contender_a_id,
        battle.contender_b_id,
        True,
    )
    # The reveal comes from the returned vote.
    assert vote.battle.contender_a.reveal_dict()["name"] in {"first-one", "second-one"}


def test_a_reasoning_trace_that_names_the_model_is_no_leak(ready_battle: Battle) -> None:
    # The voter never sees a trace before the vote, so it cannot have swayed the vote.
    Completion.objects.filter(turn__battle=ready_battle).update(
        reasoning="I am First Model, made by Acme AI (first-one); I should not say so."
    )

    cast_vote(battle_id=ready_battle.id, voter="owner", outcome="tie")

    battle = Battle.objects.get(pk=ready_battle.pk)
    assert battle.excluded_reason == ""
    assert Vote.objects.get(battle=battle).counted is True


@pytest.fixture
def language_models_loaded() -> None:
    categories._load_models()  # what a web process's warm-up does when it starts


def test_the_language_is_read_when_the_battle_starts_and_counted_at_the_vote(
    pair: list[Contender], language_models_loaded: None
) -> None:
    battle = new_battle("¿Cuáles son los tres ríos más largos del mundo?", voter="owner")
    assert Battle.objects.get(pk=battle.pk).language == "spanish"
    generate_all(battle)
    # What was read at the start is what counts, not a second reading at the vote.
    Battle.objects.filter(pk=battle.pk).update(language="german")

    cast_vote(battle_id=battle.id, voter="owner", outcome="a")

    tags = set(BattleCategory.objects.filter(battle=battle).values_list("category", flat=True))
    assert tags == {"language_german"}


def test_a_battle_started_while_the_language_models_load_gets_its_language_at_the_vote(
    pair: list[Contender], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(categories, "_models_loaded", threading.Event())  # still loading
    battle = new_battle("¿Cuáles son los tres ríos más largos del mundo?", voter="owner")
    assert Battle.objects.get(pk=battle.pk).language == ""
    generate_all(battle)

    cast_vote(battle_id=battle.id, voter="owner", outcome="a")

    tags = set(BattleCategory.objects.filter(battle=battle).values_list("category", flat=True))
    assert tags == {"language_spanish"}


def test_categories_are_stored_at_vote_time(ready_battle: Battle) -> None:
    cast_vote(battle_id=ready_battle.id, voter="owner", outcome="tie")
    rows = BattleCategory.objects.filter(battle=ready_battle)
    tags = set(rows.values_list("category", flat=True))
    assert tags == {"creative_writing", "language_english"}
    facts = set(rows.values_list("contender_a_id", "contender_b_id", "outcome", "counted"))
    assert facts == {(ready_battle.contender_a_id, ready_battle.contender_b_id, "tie", True)}


def test_multi_turn_category(ready_battle: Battle) -> None:
    add_turn(battle_id=ready_battle.id, voter="owner", prompt="Now make it rhyme")
    generate_all(ready_battle)
    cast_vote(battle_id=ready_battle.id, voter="owner", outcome="a")
    assert BattleCategory.objects.filter(battle=ready_battle, category="multi_turn").exists()


def test_unknown_outcome(ready_battle: Battle) -> None:
    with pytest.raises(BadRequest, match="a, b, tie, bothbad"):
        cast_vote(battle_id=ready_battle.id, voter="owner", outcome="c")
    assert not Vote.objects.exists()


def test_only_the_owner_votes(ready_battle: Battle) -> None:
    with pytest.raises(Forbidden):
        cast_vote(battle_id=ready_battle.id, voter="someone-else", outcome="a")
    assert not Vote.objects.exists()


def test_unknown_battle(pair: list[Contender]) -> None:
    with pytest.raises(NotFound):
        cast_vote(battle_id=uuid.uuid4(), voter="owner", outcome="a")


def test_only_once(ready_battle: Battle) -> None:
    cast_vote(battle_id=ready_battle.id, voter="owner", outcome="a")
    with pytest.raises(Conflict, match="already voted"):
        cast_vote(battle_id=ready_battle.id, voter="owner", outcome="b")
    assert Vote.objects.get(battle=ready_battle).outcome == "a"


def test_database_constraint_is_the_final_guard(ready_battle: Battle) -> None:
    # A racing vote committed between our status check and our insert.
    Vote.for_battle(ready_battle, "b", "owner").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.for_battle(ready_battle, "a", "owner").save()

    with pytest.raises(Conflict, match="already voted"):
        cast_vote(battle_id=ready_battle.id, voter="owner", outcome="a")
    assert list(Vote.objects.values_list("outcome", flat=True)) == ["b"]


def test_no_vote_while_generating(pair: list[Contender]) -> None:
    battle = new_battle(voter="owner")
    with pytest.raises(Conflict, match="Wait until both answers have finished"):
        cast_vote(battle_id=battle.id, voter="owner", outcome="a")
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.GENERATING


def test_no_vote_on_a_failed_battle(ready_battle: Battle) -> None:
    Completion.objects.filter(turn__battle=ready_battle, side="b").update(
        status=CompletionStatus.FAILED
    )
    Battle.objects.filter(pk=ready_battle.pk).update(status=BattleStatus.FAILED)
    with pytest.raises(Conflict, match="This battle failed and cannot be voted on"):
        cast_vote(battle_id=ready_battle.id, voter="owner", outcome="a")
    assert not Vote.objects.exists()


def test_identity_leak_keeps_the_vote_but_excludes_it(ready_battle: Battle) -> None:
    leaker = "a" if ready_battle.contender_a.codename == "first-one" else "b"
    Completion.objects.filter(turn__battle=ready_battle, side=leaker).update(
        text="As a model built by ACME AI, I think the sea is wide."
    )

    vote = cast_vote(battle_id=ready_battle.id, voter="owner", outcome=leaker)

    battle = Battle.objects.get(pk=ready_battle.pk)
    assert battle.status == BattleStatus.VOTED and vote.pk is not None
    assert battle.excluded_reason == f'identity leak: side {leaker} names "ACME AI"'
    assert Vote.objects.get(battle=battle).counted is False
    assert set(BattleCategory.objects.filter(battle=battle).values_list("counted", flat=True)) == {
        False
    }
