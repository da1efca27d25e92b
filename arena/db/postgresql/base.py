"""Django's PostgreSQL backend (psycopg2) with connections lent from a bounded pool.

``ENGINE = "arena.db.postgresql"``. Django opens a connection when a thread first needs
one and closes it at the end of the request or task (``CONN_MAX_AGE = 0``); here
"open" borrows from the process's ``ConnectionPool`` and "close" gives the connection
back, rolled back to a clean state. ``ARENA_DB_POOL_SIZE`` caps the connections of one
process, so (web processes + worker processes) x pool size is the whole PostgreSQL
budget,
whatever the number of threads.
"""

import os
import select
import threading
from typing import Any

import psycopg2
import psycopg2.extensions
from django.conf import settings
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.psycopg_any import IsolationLevel
from psycopg2.extensions import connection as Connection

from arena.db.pool import ConnectionPool, PoolExhausted

_pools: dict[tuple[int, str], ConnectionPool[Connection]] = {}
_pools_lock = threading.Lock()


def _healthy(conn: Connection) -> bool:
    """Open, outside a transaction, and with nothing unread on its socket.

    An idle connection has nothing to read; a readable socket means the server closed
    it (a restart, an idle timeout) and only EOF or a termination notice is waiting.
    The check costs no round trip.
    """
    if conn.closed or conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _reset(conn: Connection) -> bool:
    """Make a returned connection clean for its next borrower; False when it is broken."""
    if conn.closed:
        return False
    status = conn.info.transaction_status
    if status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        return True
    if status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN:
        return False
    try:
        conn.rollback()
    except psycopg2.Error:
        return False
    return bool(conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def _arena_pool(self) -> ConnectionPool[Connection] | None:
        if self.alias == NO_DB_ALIAS or settings.ARENA_DB_POOL_SIZE <= 0:
            return None
        params = self.get_connection_params()
        # One pool per process and database (tests switch to a test database by name).
        key = (os.getpid(), repr(sorted(params.items())))
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = ConnectionPool(
                    max_size=settings.ARENA_DB_POOL_SIZE,
                    healthy=_healthy,
                    close=lambda conn: conn.close(),
                )
                _pools[key] = pool
        return pool

    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        pool = self._arena_pool()
        if pool is None:
            return self._open_connection(conn_params)
        # What the parent sets on a fresh connection, set for a reused one too.
        self.isolation_level = IsolationLevel.READ_COMMITTED
        try:
            return pool.acquire(
                lambda: self._open_connection(conn_params),
                timeout=settings.ARENA_DB_POOL_TIMEOUT,
            )
        except PoolExhausted as exc:
            # An OperationalError, so Django and our 503 handler treat it as "unavailable".
            raise psycopg2.OperationalError(str(exc)) from exc

    def _open_connection(self, conn_params: dict[str, Any]) -> Connection:
        connection: Connection = super().get_new_connection(conn_params)
        return connection

    def _close(self) -> None:
        pool = self._arena_pool()
        if self.connection is None or pool is None:
            super()._close()  # type: ignore[misc]  # django-stubs omit the private method
            return
        conn, self.connection = self.connection, None
        pool.release(conn, reusable=_reset(conn))

    def close_pool(self) -> None:
        super().close_pool()
        pool = self._arena_pool()
        if pool is not None:
            with _pools_lock:
                for key, candidate in list(_pools.items()):
                    if candidate is pool:
                        del _pools[key]
            pool.close()
