"""The periodic task writes a snapshot only when new eligible votes arrived."""

from datetime import timedelta

import pytest

from ratings.models import RatingSnapshot, RecomputeLease
from ratings.tasks import recompute_ratings_task
from tests.ratings.helpers import contender, vote


def run_task() -> int | None:
    result: int | None = recompute_ratings_task.apply().get()
    return result


@pytest.mark.django_db
def test_task_is_registered_under_the_scheduled_name() -> None:
    from django.conf import settings

    scheduled = settings.CELERY_BEAT_SCHEDULE["recompute-ratings"]["task"]
    assert recompute_ratings_task.name == scheduled == "ratings.recompute_ratings_task"


@pytest.mark.django_db
def test_task_skips_until_a_new_vote_arrives() -> None:
    x, y = contender("xray"), contender("yankee")
    assert run_task() is None  # no votes at all
    vote(x, y, "a")
    vote(y, x, "tie")

    first = run_task()
    skipped = run_task()
    vote(x, y, "b")
    second = run_task()

    assert first is not None and second is not None and second != first
    assert skipped is None
    assert list(RatingSnapshot.objects.order_by("id").values_list("votes", flat=True)) == [2, 3]
    assert (
        RatingSnapshot.objects.get(pk=second).last_vote_id
        > RatingSnapshot.objects.get(pk=first).last_vote_id
    )


@pytest.mark.django_db
def test_task_skips_while_another_recompute_runs() -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a")
    RecomputeLease.claim("other-worker", timedelta(minutes=5))

    assert run_task() is None
    assert not RatingSnapshot.objects.exists()


@pytest.mark.django_db
def test_expired_lease_does_not_block_forever() -> None:
    x, y = contender("xray"), contender("yankee")
    vote(x, y, "a")
    RecomputeLease.claim("dead-worker", timedelta(seconds=-1))

    assert run_task() is not None
