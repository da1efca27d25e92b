"""Where the stack keeps its data: a private PostgreSQL + Redis, or the shared servers."""

from __future__ import annotations

import contextlib
import os
from typing import Protocol

import psycopg2


class Services(Protocol):
    """Where the stack keeps its data: one database URL, one Redis URL."""

    label: str
    # The app's (web, worker, migrate) and the benchmark's own (checks, polling).
    database_url: str
    admin_url: str
    redis_url: str
    max_connections: int

    def process_groups(self) -> dict[str, int]:
        """Process groups whose CPU time is ours to count (none for shared servers)."""
        ...

    def stop(self) -> None: ...


class PrivateServices:
    """PostgreSQL and Redis of our own on free ports (``tests/fixtures/services.py``)."""

    def __init__(self, max_connections: int) -> None:
        from tests.fixtures.services import PrivatePostgres, PrivateRedis

        # PostgreSQL's own defaults, as deployed: every commit is flushed to disk before
        # the vote is answered (the test suite's instances skip that, for speed).
        durable = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        self.pg = PrivatePostgres(max_connections=max_connections, settings=durable).start()
        self.redis = PrivateRedis().start()
        # The app logs in as an ordinary role, as deployed; the superuser's reserved
        # connections stay free for the benchmark's own probes.
        self.pg.execute("CREATE ROLE arena LOGIN")
        self.pg.execute('CREATE DATABASE "arena" OWNER arena')
        self.database_url = f"postgres://arena@127.0.0.1:{self.pg.port}/arena"
        self.admin_url = self.pg.url("arena")
        self.redis_url = self.redis.url(0)
        self.max_connections = max_connections
        reserved = self.pg.execute("SHOW superuser_reserved_connections")[0][0]
        self.label = (
            f"private PostgreSQL 127.0.0.1:{self.pg.port} (max_connections "
            f"{max_connections}, {reserved} reserved for superusers; the app logs in as "
            f"role arena), private Redis 127.0.0.1:{self.redis.port}"
        )

    def process_groups(self) -> dict[str, int]:
        # Backends are children of the postmaster, in its process group.
        groups = {"pg": self.pg.process, "redis": self.redis.process}
        return {name: proc.pid for name, proc in groups.items() if proc is not None}

    def stop(self) -> None:
        for service in (self.redis, self.pg):
            with contextlib.suppress(Exception):
                service.close()


class SharedServices:
    """The shared servers (never restarted): database ``arena_bench``, Redis db 10."""

    def __init__(self) -> None:
        import redis

        base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
        admin = psycopg2.connect(f"{base}/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'arena_bench'")
            if cur.fetchone() is None:
                cur.execute('CREATE DATABASE "arena_bench"')
            cur.execute("SHOW max_connections")
            self.max_connections = int(cur.fetchone()[0])
        admin.close()
        self.database_url = self.admin_url = f"{base}/arena_bench"
        self.redis_url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
        redis.Redis.from_url(self.redis_url).flushdb()
        self.label = (
            f"SHARED PostgreSQL (database arena_bench, max_connections "
            f"{self.max_connections}, shared with others), shared Redis {self.redis_url}"
        )

    def process_groups(self) -> dict[str, int]:
        return {}

    def stop(self) -> None:
        pass


def make_services(kind: str, max_connections: int) -> Services:
    if kind == "shared":
        return SharedServices()
    return PrivateServices(max_connections)
