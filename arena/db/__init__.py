"""Database helpers shared by the web process and the workers.

Connections are a budget (see ``arena.db.pool``): code that waits on something slow --
a model backend, a live stream -- gives its connection back first with
``release_connection``, and work that must survive a database restart goes through
``retry_on_database_error``.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that mean "the database is unreachable right now", not "this query is wrong".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def release_connection() -> None:
    """Give this thread's connection back to the pool (or close it) before a long wait.

    Inside a transaction (and in tests, which wrap each test in one) the connection is
    kept: closing it there would roll the transaction back.
    """
    if not connection.in_atomic_block:
        connection.close()


def retry_on_database_error(
    work: Callable[[], T], *, what: str, patience: float, first_delay: float = 0.25
) -> T:
    """``work()``, retried with backoff while the database is unreachable, for up to
    ``patience`` seconds; then the last error is raised."""
    deadline = time.monotonic() + patience
    delay = first_delay
    while True:
        try:
            return work()
        except DATABASE_UNAVAILABLE as exc:
            # The broken connection must go, or the retry would reuse it.
            release_connection()
            if time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "database unavailable while %s (%s); retrying in %.2fs", what, exc, delay
            )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
