"""The ASGI handler: sync views served whole in its thread pool, the rest as Django does.

Requests go through the real ``arena.asgi_handler.ArenaASGIHandler`` as an ASGI server
would call it (asgiref's ``ApplicationCommunicator``), on SQLite and PostgreSQL.
"""

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core import signals
from django.db import connection
from django.http import HttpRequest

import battles.api
from arena.asgi_handler import ArenaASGIHandler
from ratings.views import PLOTLY_JS

pytestmark = pytest.mark.django_db(transaction=True)

Response = tuple[int, dict[str, str], bytes]


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def _request(
    app: ArenaASGIHandler,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Response:
    communicator = ApplicationCommunicator(app, _scope(method, path, headers or []))
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(10)
    assert start["type"] == "http.response.start"
    content = b""
    while True:
        message = await communicator.receive_output(10)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    names["set-cookie"] = "; ".join(v.decode() for k, v in start["headers"] if k == b"Set-Cookie")
    return start["status"], names, content


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def app() -> ArenaASGIHandler:
    return ArenaASGIHandler()


def test_a_json_endpoint_answers_with_its_session_and_csrf_token(app: ArenaASGIHandler) -> None:
    status, headers, body = _run(_request(app, "GET", "/api/session"))

    assert status == 200
    assert json.loads(body)["csrf_token"]
    assert "sessionid=" in headers["set-cookie"] and "csrftoken=" in headers["set-cookie"]


def test_a_write_without_the_csrf_token_is_refused_with_the_reason(app: ArenaASGIHandler) -> None:
    status, _, body = _run(
        _request(app, "POST", "/api/battles", body=b'{"prompt": "hi"}',
                 headers=[(b"content-type", b"application/json")])
    )  # fmt: skip

    assert status == 403
    assert "CSRF" in json.loads(body)["detail"]


def test_a_sync_view_runs_whole_in_one_pool_thread(
    app: ArenaASGIHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, str] = {}

    def note(stage: str) -> Callable[..., None]:
        def receiver(**kwargs: Any) -> None:
            seen[stage] = threading.current_thread().name

        return receiver

    started, finished = note("started"), note("finished")
    original_get_token = battles.api.get_token

    def get_token(request: HttpRequest) -> str:
        note("view")()
        return original_get_token(request)

    monkeypatch.setattr(battles.api, "get_token", get_token)
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        status, _, _ = _run(_request(app, "GET", "/api/session"))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)

    assert status == 200
    # The signals (which hand database connections out and back) and the view: one thread.
    assert set(seen) == {"started", "view", "finished"}
    assert len(set(seen.values())) == 1
    assert seen["view"].startswith("arena-request")


def test_each_request_gives_its_database_connection_back(app: ArenaASGIHandler) -> None:
    async def many() -> list[Response]:
        return await asyncio.gather(
            *(_request(app, "GET", "/api/models") for _ in range(3 * settings.ARENA_WEB_THREADS))
        )

    responses = _run(many())

    assert {status for status, _, _ in responses} == {200}
    if connection.vendor == "postgresql":
        from arena.db.postgresql.base import _pools

        pools = [pool for pool in _pools.values() if pool.opened]
        # Bounded by the pool, and every connection idle again: none left in a thread.
        assert all(pool.opened <= settings.ARENA_DB_POOL_SIZE for pool in pools)
        assert all(len(pool._idle) == pool.opened for pool in pools)


def test_a_streamed_file_from_a_sync_view_arrives_whole(app: ArenaASGIHandler) -> None:
    status, headers, body = _run(_request(app, "GET", "/leaderboard/plotly.min.js"))

    assert status == 200
    assert headers["content-type"].startswith("text/javascript")
    assert body == PLOTLY_JS.read_bytes()


def test_static_files_and_unknown_paths_take_djangos_own_path(app: ArenaASGIHandler) -> None:
    static_status, _, static_body = _run(_request(app, "GET", "/static/battle.js"))
    missing_status, _, _ = _run(_request(app, "GET", "/no/such/page"))

    assert static_status == 200 and static_body
    assert missing_status == 404
