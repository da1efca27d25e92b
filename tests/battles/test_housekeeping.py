"""Housekeeping fails completions no worker will finish and abandons unvoted battles."""

from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from arena.errors import Conflict
from arena.models import Contender, ContenderStatus
from battles import housekeeping
from battles.actions import add_turn, cast_vote
from battles.channel import get_channel, stream_key
from battles.generation import run_generation
from battles.housekeeping import abandon_stale_battles, fail_stuck_completions, stuck_limit
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Turn
from battles.tasks import housekeeping_task
from tests.battles.generation_helpers import (
    completion_of,
    generate_all,
    make_contender,
    new_battle,
    stream_entries,
)

pytestmark = pytest.mark.django_db

STUCK_REASON = "no worker finished this generation within 720s"


@pytest.fixture(autouse=True)
def pair() -> list[Contender]:
    return [make_contender("first-one"), make_contender("second-one")]


@pytest.fixture(autouse=True)
def _no_demo_delay() -> Any:
    with override_settings(ARENA_DEMO_TOKEN_DELAY=0):
        yield


def _past_deadline() -> datetime:
    return timezone.now() - timedelta(seconds=stuck_limit() + 5)


def _queued_long_ago(battle: Battle) -> None:
    """As if the battle's tasks were queued and then lost, long ago."""
    Completion.objects.filter(turn__battle=battle).update(queued_at=_past_deadline())


def _age_battle(battle: Battle, hours: float) -> None:
    """Move the battle's last activity (its turns and its row) ``hours`` into the past."""
    Turn.objects.filter(battle=battle).update(created_at=F("created_at") - timedelta(hours=hours))
    Battle.objects.filter(pk=battle.pk).update(updated_at=timezone.now() - timedelta(hours=hours))


def _ends(completion: Completion) -> list[str]:
    return [e.text for e in stream_entries(completion) if e.kind == "end"]


def test_stuck_pending_completions_fail_with_reason_and_end_entry() -> None:
    battle = new_battle()
    _queued_long_ago(battle)

    failed = fail_stuck_completions()

    assert failed == 2
    for completion in Completion.objects.filter(turn__battle=battle):
        assert completion.status == CompletionStatus.FAILED
        assert completion.error.startswith(STUCK_REASON)
        assert completion.finished_at is not None
        assert _ends(completion) == ["failed"]
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.FAILED


def test_stuck_streaming_completion_fails_and_the_finished_side_is_kept() -> None:
    battle = new_battle()
    done = completion_of(battle, "first-one")
    run_generation(done.id)
    stuck = completion_of(battle, "second-one")
    # A worker died mid-stream and its task was never redelivered.
    Completion.objects.filter(pk=stuck.pk).update(
        status=CompletionStatus.STREAMING, queued_at=_past_deadline(),
        started_at=_past_deadline(), first_token_at=_past_deadline(),
    )
    get_channel().publish(stream_key(stuck.id), "delta", "Half an ans")

    assert fail_stuck_completions() == 1

    stuck.refresh_from_db()
    done.refresh_from_db()
    assert stuck.status == CompletionStatus.FAILED and stuck.error.startswith(STUCK_REASON)
    assert [e.kind for e in stream_entries(stuck)] == ["delta", "end"]
    assert _ends(stuck) == ["failed"]
    assert done.status == CompletionStatus.DONE and done.text and not done.error
    assert _ends(done) == ["done"]
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.FAILED


def test_fresh_and_restarted_completions_are_left_alone() -> None:
    fresh = new_battle()
    restarted = new_battle(voter="voter-2")
    # Queued long ago, but a redelivered task restarted it just now: a new deadline.
    Completion.objects.filter(turn__battle=restarted).update(
        queued_at=_past_deadline(), status=CompletionStatus.STREAMING,
        started_at=timezone.now(),
    )

    assert fail_stuck_completions() == 0

    assert set(Completion.objects.filter(turn__battle=fresh).values_list("status", flat=True)) == {
        CompletionStatus.PENDING
    }
    assert set(
        Completion.objects.filter(turn__battle=restarted).values_list("status", flat=True)
    ) == {CompletionStatus.STREAMING}
    for completion in Completion.objects.all():
        assert stream_entries(completion) == []
    assert set(Battle.objects.values_list("status", flat=True)) == {BattleStatus.GENERATING}


def _between_selection_and_update(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[UUID], object]
) -> None:
    """Run ``meanwhile`` on every selected completion before housekeeping updates it."""
    select = housekeeping.stuck_completion_ids

    def selected_then_meanwhile(cutoff: datetime) -> list[UUID]:
        ids = select(cutoff)
        assert ids, "the test needs stuck completions to race with"
        for completion_id in ids:
            meanwhile(completion_id)
        return ids

    monkeypatch.setattr(housekeeping, "stuck_completion_ids", selected_then_meanwhile)


def test_a_worker_finishing_concurrently_keeps_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    battle = new_battle()
    _queued_long_ago(battle)
    # The lost task turns up after all and a worker finishes it after the selection.
    _between_selection_and_update(monkeypatch, run_generation)

    assert fail_stuck_completions() == 0

    for completion in Completion.objects.filter(turn__battle=battle):
        assert completion.status == CompletionStatus.DONE
        assert completion.text and completion.error == ""
        assert _ends(completion) == ["done"]
    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.READY


def test_a_run_restarted_concurrently_is_left_running(monkeypatch: pytest.MonkeyPatch) -> None:
    battle = new_battle()
    _queued_long_ago(battle)

    def restart(completion_id: UUID) -> None:
        Completion.objects.filter(pk=completion_id).update(
            status=CompletionStatus.STREAMING, started_at=timezone.now()
        )

    _between_selection_and_update(monkeypatch, restart)

    assert fail_stuck_completions() == 0
    assert set(Completion.objects.filter(turn__battle=battle).values_list("status", flat=True)) == {
        CompletionStatus.STREAMING
    }


@override_settings(ARENA_BREAKER_FAILURES=1)
def test_stuck_completions_do_not_open_the_circuit_breaker(pair: list[Contender]) -> None:
    battle = new_battle()
    _queued_long_ago(battle)

    assert fail_stuck_completions() == 2

    for contender in Contender.objects.filter(pk__in=[c.pk for c in pair]):
        assert contender.status == ContenderStatus.ACTIVE
        assert contender.consecutive_failures == 0


@pytest.mark.parametrize(
    "status", [BattleStatus.READY, BattleStatus.GENERATING, BattleStatus.FAILED]
)
def test_unvoted_battle_is_abandoned_a_day_after_its_last_turn(status: str) -> None:
    battle = new_battle(voter="owner")
    generate_all(battle)
    Battle.objects.filter(pk=battle.pk).update(status=status)
    _age_battle(battle, hours=25)

    assert abandon_stale_battles() == 1

    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.ABANDONED
    # The rows stay.
    assert Completion.objects.filter(turn__battle=battle, status="done").count() == 2


def test_recent_and_voted_battles_are_not_abandoned() -> None:
    recent = new_battle(voter="owner")
    generate_all(recent)
    voted = new_battle(voter="owner")
    generate_all(voted)
    cast_vote(battle_id=voted.id, voter="owner", outcome="tie")
    _age_battle(voted, hours=25)
    # Started long ago, but the follow-up turn is an hour old.
    followed_up = new_battle(voter="owner")
    generate_all(followed_up)
    _age_battle(followed_up, hours=30)
    add_turn(battle_id=followed_up.id, voter="owner", prompt="And then?")
    generate_all(followed_up)
    Battle.objects.filter(pk=followed_up.pk).update(
        updated_at=timezone.now() - timedelta(hours=30)
    )

    assert abandon_stale_battles() == 0

    assert Battle.objects.get(pk=recent.pk).status == BattleStatus.READY
    assert Battle.objects.get(pk=voted.pk).status == BattleStatus.VOTED
    assert Battle.objects.get(pk=followed_up.pk).status == BattleStatus.READY


def test_abandoned_battle_rejects_votes_and_turns() -> None:
    battle = new_battle(voter="owner")
    generate_all(battle)
    _age_battle(battle, hours=25)
    assert abandon_stale_battles() == 1

    with pytest.raises(Conflict, match="has ended and cannot be voted on"):
        cast_vote(battle_id=battle.id, voter="owner", outcome="a")
    with pytest.raises(Conflict, match=r"has ended\. Please start a new battle"):
        add_turn(battle_id=battle.id, voter="owner", prompt="Still there?")

    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.ABANDONED
    assert Turn.objects.filter(battle=battle).count() == 1


@override_settings(ARENA_ABANDON_AFTER=3600.0, ARENA_GENERATION_TIMEOUT=10.0,
                   ARENA_STUCK_MARGIN=5.0)
def test_limits_come_from_settings() -> None:
    stuck = new_battle()
    Completion.objects.filter(turn__battle=stuck).update(
        queued_at=timezone.now() - timedelta(seconds=20)
    )
    stale = new_battle(voter="owner")
    generate_all(stale)
    _age_battle(stale, hours=2)

    assert fail_stuck_completions() == 2
    error = Completion.objects.get(turn__battle=stuck, side="a").error
    assert error.startswith("no worker finished this generation within 15s")
    assert abandon_stale_battles() == 1


def test_command_prints_counts() -> None:
    stuck = new_battle()
    _queued_long_ago(stuck)
    stale = new_battle(voter="owner")
    generate_all(stale)
    _age_battle(stale, hours=25)
    out = StringIO()

    call_command("housekeeping", stdout=out)

    assert out.getvalue().splitlines() == [
        "Failed 2 stuck completions.",
        "Abandoned 1 stale battles.",
    ]
    assert Battle.objects.get(pk=stuck.pk).status == BattleStatus.FAILED
    assert Battle.objects.get(pk=stale.pk).status == BattleStatus.ABANDONED


def test_task_runs_both_and_reports_counts() -> None:
    stuck = new_battle()
    _queued_long_ago(stuck)

    result = housekeeping_task.apply(throw=True).get()

    assert result == {"failed_completions": 2, "abandoned_battles": 0}
    assert Battle.objects.get(pk=stuck.pk).status == BattleStatus.FAILED
