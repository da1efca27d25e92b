"""A bounded, thread-safe pool of open database connections, one per process and database.

Under ASGI every request runs in a thread of its own and a Celery worker runs hundreds
of generation threads; a connection per thread would grow past PostgreSQL's
``max_connections``. The pool caps the connections a process opens at ``max_size``: a
thread that needs one while all are lent waits a while for a release, then gets
``PoolExhausted`` (which the web layer answers with a 503). Released connections stay
open for the next borrower, so the cap costs no extra connects. Nothing here knows
about Django or psycopg2: the caller supplies how to open, check and close a connection.
"""

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Conn = TypeVar("Conn")


class PoolExhausted(Exception):
    """Every connection was lent for longer than the pool's timeout."""


class ConnectionPool(Generic[Conn]):
    def __init__(
        self,
        *,
        max_size: int,
        healthy: Callable[[Conn], bool],
        close: Callable[[Conn], None],
    ) -> None:
        if max_size < 1:
            raise ValueError("a connection pool needs room for at least one connection")
        self._healthy = healthy
        self._close = close
        self.max_size = max_size
        self._idle: list[Conn] = []
        self._opened = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def opened(self) -> int:
        """Connections open now, lent or idle."""
        return self._opened

    def acquire(self, open_connection: Callable[[], Conn], *, timeout: float) -> Conn:
        """An idle healthy connection, a new one from ``open_connection()`` while under
        the cap, or the next one released within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                # Last in, first out: the warmest connection is the most likely alive.
                while self._idle:
                    conn = self._idle.pop()
                    if self._healthy(conn):
                        return conn
                    self._discard_locked(conn)
                if self._opened < self.max_size:
                    self._opened += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolExhausted(
                        f"all {self.max_size} database connections of this process "
                        f"stayed busy for {timeout:g}s"
                    )
                self._changed.wait(left)
        try:
            return open_connection()
        except BaseException:
            with self._changed:
                self._opened -= 1
                self._changed.notify()
            raise

    def release(self, conn: Conn, *, reusable: bool) -> None:
        """Give ``conn`` back: kept for the next borrower, or closed when not reusable."""
        with self._changed:
            if reusable and not self._closed:
                self._idle.append(conn)
            else:
                self._discard_locked(conn)
            self._changed.notify()

    def close(self) -> None:
        """Close the idle connections; lent ones are closed when they come back."""
        with self._changed:
            self._closed = True
            while self._idle:
                self._discard_locked(self._idle.pop())
            self._changed.notify_all()

    def _discard_locked(self, conn: Conn) -> None:
        self._opened -= 1
        # Closing a dead connection may fail; it is gone either way.
        with contextlib.suppress(Exception):
            self._close(conn)
