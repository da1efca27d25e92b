"""Embedded mode has no Celery beat: enqueued generations run the due periodic tasks."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from arena.embedded import run_due_periodic_tasks, wait_for_inprocess_tasks
from arena.models import Contender
from battles.actions import cast_vote
from battles.housekeeping import stuck_limit
from battles.models import Battle, BattleStatus, Completion
from ratings.models import RatingSnapshot
from tests.battles.generation_helpers import bare_battle, make_contender, new_battle


@pytest.fixture
def pool(transactional_db: None) -> Iterator[None]:
    """Tasks on this process's pool (also when the suite runs with Redis)."""
    with override_settings(ARENA_INPROCESS_TASKS=True, ARENA_DEMO_TOKEN_DELAY=0.001):
        yield
        assert wait_for_inprocess_tasks(60)


@pytest.fixture
def pair(transactional_db: None) -> list[Contender]:
    return [make_contender("first-one"), make_contender("second-one")]


def _lost_battle(pair: list[Contender]) -> Battle:
    """A battle whose generation tasks were lost long ago (nothing was ever enqueued)."""
    battle = bare_battle(pair[0], pair[1])
    Completion.objects.filter(turn__battle=battle).update(
        queued_at=timezone.now() - timedelta(seconds=stuck_limit() + 5)
    )
    return battle


def _status(battle: Battle) -> str:
    return Battle.objects.get(pk=battle.pk).status


@pytest.mark.usefixtures("pool")
def test_due_tasks_run_once_per_interval(pair: list[Contender]) -> None:
    first = _lost_battle(pair)

    run_due_periodic_tasks()
    assert wait_for_inprocess_tasks(60)
    assert _status(first) == BattleStatus.FAILED

    # Within the interval: not again.
    second = _lost_battle(pair)
    run_due_periodic_tasks()
    assert wait_for_inprocess_tasks(60)
    assert _status(second) == BattleStatus.GENERATING

    # The interval has passed (its cache entry expired).
    cache.clear()
    run_due_periodic_tasks()
    assert wait_for_inprocess_tasks(60)
    assert _status(second) == BattleStatus.FAILED


@pytest.mark.usefixtures("pool")
def test_a_new_battle_triggers_housekeeping(pair: list[Contender]) -> None:
    lost = _lost_battle(pair)

    battle = new_battle()
    assert wait_for_inprocess_tasks(60)

    assert _status(lost) == BattleStatus.FAILED
    assert _status(battle) == BattleStatus.READY


@pytest.mark.usefixtures("pool")
def test_ratings_are_recomputed_too(pair: list[Contender]) -> None:
    battle = new_battle(voter="owner")
    assert wait_for_inprocess_tasks(60)
    cast_vote(battle_id=battle.id, voter="owner", outcome="a")
    assert RatingSnapshot.latest_or_none() is None
    cache.clear()

    run_due_periodic_tasks()
    assert wait_for_inprocess_tasks(60)

    snapshot = RatingSnapshot.latest_or_none()
    assert snapshot is not None and snapshot.votes == 1


def test_production_has_a_real_beat_and_runs_nothing_here(pair: list[Contender]) -> None:
    lost = _lost_battle(pair)

    with override_settings(ARENA_INPROCESS_TASKS=False):
        run_due_periodic_tasks()
    assert wait_for_inprocess_tasks(60)

    assert _status(lost) == BattleStatus.GENERATING
