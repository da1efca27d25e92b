"""The pooled PostgreSQL backend: connections bounded per process, dead ones never lent,
an exhausted pool answered with a 503 rather than an error page."""

import threading
import time
from collections.abc import Iterator

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client, override_settings

from arena.db.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs DATABASE_URL (PostgreSQL)",
    ),
]


@pytest.fixture
def monitor() -> Iterator["psycopg2.extensions.connection"]:
    """A plain connection outside the pool, to watch the server's side."""
    params = connection.get_connection_params()
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def _server_connections(monitor: "psycopg2.extensions.connection") -> int:
    with monitor.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_the_backend_is_the_pooled_one() -> None:
    assert isinstance(connections["default"], DatabaseWrapper)
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


def test_many_threads_share_a_bounded_number_of_connections(monitor: object) -> None:
    connection.close()
    errors: list[BaseException] = []
    seen: list[int] = []
    running = threading.Event()
    running.set()

    def query() -> None:
        try:
            for _ in range(3):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(0.02)")
                connection.close()  # what the end of a request or task does
        except BaseException as exc:
            errors.append(exc)

    def watch() -> None:
        while running.is_set():
            seen.append(_server_connections(monitor))  # type: ignore[arg-type]
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=query) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    running.clear()
    watcher.join(5)

    assert not errors
    assert max(seen) <= settings.ARENA_DB_POOL_SIZE
    assert max(seen) >= 2  # the threads did run side by side


def test_a_connection_the_server_dropped_is_not_lent_again(monitor: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        old_pid = cursor.fetchone()[0]
    connection.close()  # back to the pool, idle
    with monitor.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    time.sleep(0.2)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new_pid = cursor.fetchone()[0]

    assert new_pid != old_pid


@override_settings(ARENA_DB_POOL_TIMEOUT=0.2)
def test_an_exhausted_pool_answers_503_with_a_readable_message() -> None:
    connection.close()
    release = threading.Event()
    holding = threading.Semaphore(0)

    def hold() -> None:
        connection.ensure_connection()
        holding.release()
        release.wait(10)
        connection.close()

    threads = [threading.Thread(target=hold) for _ in range(settings.ARENA_DB_POOL_SIZE)]
    for thread in threads:
        thread.start()
    try:
        for _ in threads:
            assert holding.acquire(timeout=10)
        # As a server would: the error becomes a response instead of reaching the test.
        client = Client(raise_request_exception=False)
        api = client.get("/api/session")
        page = client.get("/leaderboard/")
    finally:
        release.set()
        for thread in threads:
            thread.join(10)

    assert api.status_code == 503
    assert api.headers["Retry-After"]
    assert "try again" in api.json()["detail"]
    assert page.status_code == 503
    assert b"try again" in page.content
    # Once connections are free again the same process serves normally.
    assert Client().get("/api/session").status_code == 200
