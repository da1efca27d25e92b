"""The fake servers' timing scenarios (``think``, ``pause``, ``big``) as backends see them.

The fault tests on real processes rely on these shapes: silence means not one byte.
"""

import socket
import time
from typing import Any

import pytest

from arena.backends import BackendError, get_backend
from tests.arena.backend_helpers import drain, make_request


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> tuple[str, Any]:
    kind = request.param
    return kind, request.getfixturevalue(f"{kind}_server")


def test_think_is_silence_before_the_first_token(provider: tuple[str, Any]) -> None:
    kind, server = provider
    started = time.monotonic()
    first = None
    for _event in get_backend(kind).stream(make_request(server, "think-1")):
        if first is None:
            first = time.monotonic() - started
    assert first is not None and first >= 1.0


def test_think_longer_than_the_first_token_timeout_fails(provider: tuple[str, Any]) -> None:
    kind, server = provider
    request = make_request(server, "think-2", first_token_timeout=0.5)
    with pytest.raises(BackendError) as caught:
        drain(kind, request)
    assert "first token" in caught.value.reason


def test_pause_is_silence_mid_answer(provider: tuple[str, Any]) -> None:
    kind, server = provider
    deltas, _ = drain(kind, make_request(server, "pause-0.3"))
    full = make_request(server, "pause-0.3", idle_timeout=0.1)
    with pytest.raises(BackendError) as caught:
        drain(kind, full)
    assert caught.value.reason.startswith("timed out"), caught.value.reason
    assert len(deltas) > 10


def test_big_answer_is_streamed_whole_in_kilobyte_deltas(provider: tuple[str, Any]) -> None:
    kind, server = provider
    deltas, finished = drain(kind, make_request(server, "big-64"))
    text = "".join(d.text for d in deltas)
    assert len(text) == 64 * 1024
    assert max(len(d.text) for d in deltas) <= 1024
    assert text.startswith("Answer to user turn") and text.endswith(".")
    assert finished.reason in ("stop", "end_turn")


def test_think_sends_headers_then_not_a_byte(openai_server: Any) -> None:
    body = b'{"model": "think-1", "stream": true, "messages": [{"role": "user", "content": "x"}]}'
    port = int(openai_server.base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        assert received.endswith(b"\r\n\r\n"), "nothing may follow the headers yet"
        sock.settimeout(0.7)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        sock.settimeout(5)
        assert sock.recv(4096)  # then the answer
