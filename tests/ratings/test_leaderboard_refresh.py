"""Ratings refresh by one path, the periodic task; pages only read.

Embedded mode has no Celery beat: page views and votes drive the emulated one, which runs
the recompute on the in-process pool. Production views never start anything.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from arena.embedded import wait_for_inprocess_tasks
from arena.models import Contender
from battles.actions import cast_vote
from ratings.models import RatingSnapshot
from ratings.snapshots import recompute_ratings
from tests.battles.generation_helpers import make_contender, new_battle
from tests.ratings.helpers import contender, vote


@pytest.fixture
def old_snapshot_and_new_vote(transactional_db: None) -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a")
    snapshot = recompute_ratings()
    assert snapshot is not None
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(
        computed_at=timezone.now() - timedelta(hours=1)
    )
    vote(y, x, "a")
    cache.clear()  # no beat has run in this interval


@pytest.fixture
def embedded() -> Iterator[None]:
    with override_settings(ARENA_INPROCESS_TASKS=True, ARENA_DEMO_TOKEN_DELAY=0.001):
        yield
        assert wait_for_inprocess_tasks(60)


@pytest.mark.usefixtures("old_snapshot_and_new_vote", "embedded")
def test_embedded_view_reads_and_starts_the_beats_recompute(client: Client) -> None:
    first = client.get("/api/leaderboard").json()
    assert wait_for_inprocess_tasks(60)
    second = client.get("/api/leaderboard").json()

    assert first["votes"] == 1  # the request itself only read
    assert second["votes"] == 2
    assert RatingSnapshot.objects.count() == 2


@pytest.mark.usefixtures("old_snapshot_and_new_vote", "embedded")
def test_the_emulated_beat_recomputes_once_per_interval(client: Client) -> None:
    client.get("/leaderboard/")
    assert wait_for_inprocess_tasks(60)
    vote(contender("zulu"), Contender.objects.get(codename="xray"), "b")  # same interval
    page = client.get("/leaderboard/")
    assert wait_for_inprocess_tasks(60)

    assert page.status_code == 200
    assert RatingSnapshot.objects.count() == 2


@pytest.mark.usefixtures("old_snapshot_and_new_vote")
def test_production_view_only_reads(client: Client) -> None:
    with override_settings(ARENA_INPROCESS_TASKS=False):
        body = client.get("/api/leaderboard").json()
    assert wait_for_inprocess_tasks(60)

    assert body["votes"] == 1
    assert RatingSnapshot.objects.count() == 1


@pytest.mark.usefixtures("embedded")
def test_an_embedded_vote_refreshes_the_ratings(transactional_db: None) -> None:
    make_contender("first-one"), make_contender("second-one")
    battle = new_battle(voter="owner")
    assert wait_for_inprocess_tasks(60)
    cache.clear()  # starting the battle ran this interval's beat, before any vote

    cast_vote(battle_id=battle.id, voter="owner", outcome="a")
    assert wait_for_inprocess_tasks(60)

    snapshot = RatingSnapshot.latest_or_none()
    assert snapshot is not None and snapshot.votes == 1
