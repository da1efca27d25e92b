"""The in-process pool runs the real Celery task after commit; both sides end consistently."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings

from arena.embedded import wait_for_inprocess_tasks
from arena.errors import Conflict
from battles.actions import add_turn, cast_vote
from battles.dispatch import enqueue_generation
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Vote
from tests.battles.generation_helpers import (
    make_contender,
    new_battle,
    shown_text,
    stream_entries,
)


@pytest.fixture
def pool(transactional_db: None) -> Iterator[None]:
    """Generation on this process's pool (also when the suite runs with Redis)."""
    with override_settings(ARENA_INPROCESS_TASKS=True, ARENA_DEMO_TOKEN_DELAY=0.001):
        yield
        assert wait_for_inprocess_tasks(60)


def _ready_battle() -> Battle:
    make_contender("thorough-one", provider_model="thorough")
    make_contender("playful-one", provider_model="playful")
    battle = new_battle("Explain tides", voter="owner")
    assert wait_for_inprocess_tasks(60)
    return Battle.objects.get(pk=battle.pk)


@pytest.mark.usefixtures("pool")
def test_committed_battle_is_generated_on_the_pool() -> None:
    battle = _ready_battle()

    completions = Completion.objects.filter(turn__battle=battle)
    assert battle.status == BattleStatus.READY
    assert {c.status for c in completions} == {CompletionStatus.DONE}
    for completion in completions:
        assert completion.text and shown_text(stream_entries(completion)) == completion.text


@pytest.mark.usefixtures("pool")
def test_both_sides_finishing_together_make_one_transition() -> None:
    battle = _ready_battle()
    for _ in range(5):
        add_turn(battle_id=battle.id, voter="owner", prompt="And more?")
        assert wait_for_inprocess_tasks(60)
        assert Battle.objects.get(pk=battle.pk).status == BattleStatus.READY


@pytest.mark.usefixtures("pool")
def test_enqueueing_a_finished_completion_again_changes_nothing() -> None:
    battle = _ready_battle()
    completion = Completion.objects.filter(turn__battle=battle).first()
    assert completion is not None
    before = stream_entries(completion)

    enqueue_generation(completion.id)
    assert wait_for_inprocess_tasks(30)

    assert stream_entries(completion) == before


@pytest.mark.usefixtures("pool")
def test_concurrent_votes_store_exactly_one() -> None:
    battle = _ready_battle()
    barrier = threading.Barrier(4)
    results: list[Any] = []

    def vote(outcome: str) -> None:
        barrier.wait()
        try:
            results.append(cast_vote(battle_id=battle.id, voter="owner", outcome=outcome).outcome)
        except Conflict as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(o,)) for o in ("a", "b", "tie", "bothbad")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    stored = list(Vote.objects.filter(battle=battle).values_list("outcome", flat=True))
    assert len(stored) == 1 and stored[0] in results
    assert sum(isinstance(r, Conflict) for r in results) == 3
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.VOTED


@pytest.mark.django_db
def test_broker_unreachable_fails_the_battle_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from kombu.exceptions import OperationalError

    from battles.tasks import generate_completion_task

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(generate_completion_task, "delay", broker_down)
    make_contender("first-one")
    make_contender("second-one")
    with override_settings(ARENA_INPROCESS_TASKS=False), django_capture_on_commit_callbacks(
        execute=True
    ):
        battle = new_battle(voter="owner")

    completions = Completion.objects.filter(turn__battle=battle)
    assert {(c.status, c.error) for c in completions} == {
        (CompletionStatus.FAILED, "could not enqueue the generation task")
    }
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.FAILED
    assert [(e.kind, e.text) for e in stream_entries(completions[0])] == [("end", "failed")]
