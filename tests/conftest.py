"""Shared test setup. Fixtures live in tests/fixtures/ and are registered here.

The suite runs twice from ``make test``: embedded (SQLite, in-process tasks and channel)
and production-like (``DATABASE_URL`` PostgreSQL + ``REDIS_URL``), where the tests marked
``postgres`` also start real Celery worker and uvicorn processes.
"""

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from pytest_django.fixtures import Settings

# No human check (production's default is proof of work) unless a test turns it on: in
# this process (the fixture below) and in the web processes tests start (environment).
os.environ.setdefault("ARENA_HUMAN_CHECK", "off")

pytest_plugins: list[str] = [
    "tests.fixtures.production",
    "tests.fixtures.backends",
    "tests.fixtures.web",
    "tests.fixtures.server",
    "tests.fixtures.private_services",
    "tests.fixtures.faults",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and not (on_postgres and settings.REDIS_URL):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and locks live in the cache (Redis in production mode): start clean.
    # So does the sampler's per-process copy of the latest snapshot.
    from ratings.sampling_state import forget_sampling_state

    cache.clear()
    forget_sampling_state()
    yield


@pytest.fixture(autouse=True)
def _human_check_off(settings: Settings) -> None:
    settings.ARENA_HUMAN_CHECK = "off"
