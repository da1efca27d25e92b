"""Embedded mode (no Celery beat): a stale leaderboard recomputes on view; production never."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from ratings.models import RatingSnapshot
from ratings.snapshots import recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def old_snapshot_and_new_vote() -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a")
    snapshot = recompute_ratings()
    assert snapshot is not None
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(
        computed_at=timezone.now() - timedelta(hours=1)
    )
    vote(y, x, "a")


@pytest.mark.django_db
@pytest.mark.usefixtures("old_snapshot_and_new_vote")
def test_embedded_view_refreshes_a_stale_snapshot(client: Client, settings: Settings) -> None:
    settings.ARENA_INPROCESS_TASKS = True

    body = client.get("/api/leaderboard").json()

    assert body["votes"] == 2
    assert RatingSnapshot.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("old_snapshot_and_new_vote")
def test_production_view_only_reads(client: Client, settings: Settings) -> None:
    settings.ARENA_INPROCESS_TASKS = False

    body = client.get("/api/leaderboard").json()

    assert body["votes"] == 1
    assert RatingSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_embedded_view_keeps_a_fresh_snapshot(client: Client, settings: Settings) -> None:
    settings.ARENA_INPROCESS_TASKS = True
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a")
    recompute_ratings()
    vote(y, x, "a")  # newer than the snapshot, but the snapshot is younger than the interval

    body = client.get("/leaderboard/")

    assert body.status_code == 200
    assert RatingSnapshot.objects.count() == 1
