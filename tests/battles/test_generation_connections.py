"""A generation holds no database connection while it streams: many more answers stream
at once than one process has connections."""

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from battles.generation import run_generation
from battles.models import Completion, CompletionStatus
from tests.battles.generation_helpers import bare_battle, openai_contenders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the connection pool is PostgreSQL's",
    ),
]


def _most_at_once(completions: list[Completion]) -> int:
    """The largest number of completions that were streaming at the same moment."""
    moments = sorted(
        [(c.first_token_at, 1) for c in completions] + [(c.finished_at, -1) for c in completions],
        key=lambda moment: (moment[0], moment[1]),
    )
    streaming = most = 0
    for _, change in moments:
        streaming += change
        most = max(most, streaming)
    return most


def test_three_times_the_pool_size_stream_at_the_same_time(openai_server: Any) -> None:
    streams = 3 * settings.ARENA_DB_POOL_SIZE
    contenders = openai_contenders(openai_server.base_url, "slow-0.05", "slow-0.05")
    ids = [
        c.id
        for _ in range(streams // 2)
        for c in Completion.objects.filter(turn__battle=bare_battle(*contenders))
    ]
    connection.close()

    def generate(completion_id: Any) -> None:
        run_generation(completion_id)
        connection.close()  # what the end of a Celery task does

    threads = [threading.Thread(target=generate, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    completions = list(Completion.objects.filter(id__in=ids))
    assert {c.status for c in completions} == {CompletionStatus.DONE}
    # Holding a connection per stream would cap this at the pool size.
    assert _most_at_once(completions) > 2 * settings.ARENA_DB_POOL_SIZE
