"""The connection pool: a hard cap per process, waiting borrowers, dead connections dropped."""

import threading
import time
from dataclasses import dataclass, field

import pytest

from arena.db.pool import ConnectionPool, PoolExhausted


@dataclass
class Conn:
    number: int
    alive: bool = True
    closed: bool = False


@dataclass
class Opener:
    opened: list[Conn] = field(default_factory=list)
    fail: bool = False

    def __call__(self) -> Conn:
        if self.fail:
            raise ConnectionError("server is down")
        conn = Conn(len(self.opened))
        self.opened.append(conn)
        return conn


def _pool(size: int) -> ConnectionPool[Conn]:
    def close(conn: Conn) -> None:
        conn.closed = True

    return ConnectionPool(max_size=size, healthy=lambda c: c.alive, close=close)


def test_a_released_connection_is_lent_again_instead_of_opening_another() -> None:
    pool, opener = _pool(2), Opener()
    first = pool.acquire(opener, timeout=1)
    pool.release(first, reusable=True)
    assert pool.acquire(opener, timeout=1) is first
    assert len(opener.opened) == 1


def test_many_threads_never_open_more_than_the_cap() -> None:
    pool, opener = _pool(3), Opener()
    lent_at_once: list[int] = []
    lent = 0
    lock = threading.Lock()

    def borrow() -> None:
        nonlocal lent
        for _ in range(20):
            conn = pool.acquire(opener, timeout=5)
            with lock:
                lent += 1
                lent_at_once.append(lent)
            time.sleep(0.001)
            with lock:
                lent -= 1
            pool.release(conn, reusable=True)

    threads = [threading.Thread(target=borrow) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opener.opened) <= 3
    assert max(lent_at_once) <= 3
    assert pool.opened == len(opener.opened)


def test_a_borrower_waits_for_a_release_then_gets_that_connection() -> None:
    pool, opener = _pool(1), Opener()
    held = pool.acquire(opener, timeout=1)
    got: list[Conn] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire(opener, timeout=5)))
    waiter.start()
    time.sleep(0.05)
    assert not got  # still waiting: the cap holds
    pool.release(held, reusable=True)
    waiter.join(5)
    assert got == [held]


def test_a_borrower_gives_up_with_a_clear_error_after_the_timeout() -> None:
    pool, opener = _pool(1), Opener()
    pool.acquire(opener, timeout=1)
    with pytest.raises(PoolExhausted, match="all 1 database connections"):
        pool.acquire(opener, timeout=0.05)


def test_a_dead_idle_connection_is_closed_and_replaced() -> None:
    pool, opener = _pool(1), Opener()
    conn = pool.acquire(opener, timeout=1)
    pool.release(conn, reusable=True)
    conn.alive = False  # the server went away while it sat idle

    replacement = pool.acquire(opener, timeout=1)

    assert replacement is not conn and conn.closed
    assert pool.opened == 1


def test_a_broken_connection_given_back_frees_its_place() -> None:
    pool, opener = _pool(1), Opener()
    broken = pool.acquire(opener, timeout=1)
    pool.release(broken, reusable=False)
    assert broken.closed and pool.opened == 0
    assert pool.acquire(opener, timeout=0.05) is not broken


def test_a_failed_connect_does_not_use_up_a_place() -> None:
    pool, opener = _pool(1), Opener(fail=True)
    with pytest.raises(ConnectionError):
        pool.acquire(opener, timeout=1)
    opener.fail = False
    assert pool.acquire(opener, timeout=0.05).number == 0


def test_closing_the_pool_closes_idle_connections_and_later_returns() -> None:
    pool, opener = _pool(2), Opener()
    idle, lent = pool.acquire(opener, timeout=1), pool.acquire(opener, timeout=1)
    pool.release(idle, reusable=True)
    pool.close()
    assert idle.closed and not lent.closed
    pool.release(lent, reusable=True)
    assert lent.closed and pool.opened == 0
