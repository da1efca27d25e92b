"""start_battle: checks, sampling, random sides, rows written, tasks enqueued on commit."""

import random
from typing import Any

import pytest
from django.test import override_settings

from arena.errors import BadRequest, RateLimited, Unavailable
from arena.models import Contender, ContenderStatus
from battles.actions import start_battle
from battles.dispatch import enqueue_generation
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Turn
from tests.battles.generation_helpers import make_contender

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair() -> list[Contender]:
    return [make_contender("first-one"), make_contender("second-one")]


def test_battle_with_turn_and_two_pending_completions(
    pair: list[Contender], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        battle = start_battle(voter="v1", ip_hash="h1", prompt="Hello?")

    assert battle.status == BattleStatus.GENERATING
    assert {battle.contender_a, battle.contender_b} == set(pair)
    turn = Turn.objects.get(battle=battle)
    assert (turn.index, turn.prompt) == (0, "Hello?")
    completions = {c.side: c for c in Completion.objects.filter(turn=turn)}
    assert completions["a"].contender == battle.contender_a
    assert completions["b"].contender == battle.contender_b
    assert {c.status for c in completions.values()} == {CompletionStatus.PENDING}
    # One generation per side, handed to the dispatcher only once the rows are committed
    # (the in-process run itself is tested in test_dispatch).
    assert [(cb.func, cb.args) for cb in callbacks] == [
        (enqueue_generation, (completions["a"].id,)),
        (enqueue_generation, (completions["b"].id,)),
    ]


def test_sides_are_random(pair: list[Contender]) -> None:
    rng = random.Random(3)
    first_on_a = sum(
        start_battle(voter=f"v{i}", ip_hash="h", prompt="hi", rng=rng).contender_a == pair[0]
        for i in range(200)
    )
    assert 70 < first_on_a < 130


@pytest.mark.parametrize(
    ("prompt", "message"),
    [("", "Type a prompt first."), ("   \n", "Type a prompt first.")],
)
def test_empty_prompt_is_rejected(
    pair: list[Contender], prompt: str, message: str
) -> None:
    with pytest.raises(BadRequest) as excinfo:
        start_battle(voter="v1", ip_hash="h1", prompt=prompt)
    assert excinfo.value.message == message
    assert not Battle.objects.exists()


@override_settings(ARENA_MAX_PROMPT_CHARS=10)
def test_too_long_prompt_names_the_limit(pair: list[Contender]) -> None:
    with pytest.raises(BadRequest) as excinfo:
        start_battle(voter="v1", ip_hash="h1", prompt="x" * 11)
    assert "10 characters" in excinfo.value.message
    assert not Battle.objects.exists()


@override_settings(ARENA_BLOCKED_TERMS=["forbidden"])
def test_blocked_term_is_rejected(pair: list[Contender]) -> None:
    with pytest.raises(BadRequest, match="not allowed"):
        start_battle(voter="v1", ip_hash="h1", prompt="Tell me the FORBIDDEN thing")
    assert not Battle.objects.exists()


@override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=2)
def test_rate_limit_per_voter(pair: list[Contender]) -> None:
    for _ in range(2):
        start_battle(voter="v1", ip_hash="h1", prompt="hi")
    with pytest.raises(RateLimited):
        start_battle(voter="v1", ip_hash="h1", prompt="hi")
    start_battle(voter="v2", ip_hash="h1", prompt="hi")
    assert Battle.objects.count() == 3


@override_settings(ARENA_BATTLES_PER_HOUR_PER_IP=2)
def test_rate_limit_per_ip(pair: list[Contender]) -> None:
    start_battle(voter="v1", ip_hash="h1", prompt="hi")
    start_battle(voter="v2", ip_hash="h1", prompt="hi")
    with pytest.raises(RateLimited):
        start_battle(voter="v3", ip_hash="h1", prompt="hi")
    start_battle(voter="v3", ip_hash="h2", prompt="hi")


def test_fewer_than_two_available_contenders(pair: list[Contender]) -> None:
    Contender.objects.filter(codename="second-one").update(status=ContenderStatus.OUTAGE)
    with pytest.raises(Unavailable):
        start_battle(voter="v1", ip_hash="h1", prompt="hi")
    assert not Battle.objects.exists()
