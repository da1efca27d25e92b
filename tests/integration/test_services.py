"""The private servers fault tests restart: same port after a restart, data as promised."""

import pytest
import redis

from tests.fixtures.services import PrivatePostgres, PrivateRedis

pytestmark = [pytest.mark.postgres]


def test_private_postgres_restarts_on_its_port_with_its_data(
    private_postgres: PrivatePostgres,
) -> None:
    db = private_postgres.dbname  # type: ignore[attr-defined]
    private_postgres.execute("CREATE TABLE kept (n int)", dbname=db)
    private_postgres.execute("INSERT INTO kept VALUES (7)", dbname=db)
    port = private_postgres.port
    held = private_postgres.connect(db)
    assert private_postgres.connection_count(db) == 1

    private_postgres.restart(downtime=0.2)

    assert private_postgres.port == port and private_postgres.running
    assert private_postgres.execute("SELECT n FROM kept", dbname=db) == [(7,)]
    assert private_postgres.connection_count(db) == 0  # the restart closed ``held``
    held.close()
    # The arena's tables are there (copied from the migrated template).
    tables = private_postgres.execute(
        "SELECT count(*) FROM pg_tables WHERE tablename = 'battles_battle'", dbname=db
    )
    assert tables == [(1,)]


def test_private_postgres_has_the_connection_limit_asked_for() -> None:
    with PrivatePostgres(max_connections=7) as pg:
        assert pg.execute("SHOW max_connections") == [("7",)]
        with pg.watch_connections(interval=0.05) as watch:
            conns = [pg.connect() for _ in range(3)]
            pg.execute("SELECT pg_sleep(0.2)")
            for conn in conns:
                conn.close()
        assert watch.peak >= 3
    assert not pg.running and not pg.base_dir.exists()


def test_private_redis_restart_keeps_the_port_and_loses_the_data(
    private_redis: PrivateRedis,
) -> None:
    client = private_redis.client()
    client.set("k", "v")
    port = private_redis.port

    private_redis.stop()
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=port, socket_connect_timeout=0.5, retry=None).ping()
    private_redis.start()

    assert private_redis.port == port
    assert client.get("k") is None  # the same client reconnects; the data is gone


def test_persistent_private_redis_keeps_its_data_across_a_restart() -> None:
    with PrivateRedis(persist=True) as server:
        server.client().set("k", "v")
        server.restart()
        assert server.client().get("k") == b"v"
