"""Every way a provider can fail becomes a ``BackendError`` with the right transience.

Both network backends run against real HTTP servers speaking their protocols; the
scenario is chosen by the model id (see ``tests.fakes.base``).
"""

import socket
import time
from typing import Any

import pytest

from arena.backends import BackendError, Delta, get_backend
from tests.arena.backend_helpers import drain, make_request

KINDS = ["openai", "anthropic"]


@pytest.fixture(params=KINDS)
def provider(request: pytest.FixtureRequest) -> tuple[str, Any]:
    kind = request.param
    return kind, request.getfixturevalue(f"{kind}_server")


@pytest.mark.parametrize(
    ("scenario", "reason", "transient"),
    [
        ("http500", "HTTP 500", True),
        ("http429", "HTTP 429", True),
        ("http400", "HTTP 400", False),
        ("auth", "HTTP 401", False),
        ("cut", "stream ended without a finish", True),
        ("drop", "connection error", True),
        ("malformed", "malformed stream", False),
        ("stream-error", "provider error in stream", True),
    ],
)
def test_failure_is_a_backend_error(
    provider: tuple[str, Any], scenario: str, reason: str, transient: bool
) -> None:
    kind, server = provider

    with pytest.raises(BackendError) as caught:
        drain(kind, make_request(server, scenario))

    assert caught.value.reason.startswith(reason), caught.value.reason
    assert caught.value.transient is transient


@pytest.mark.parametrize("scenario", ["cut", "drop", "malformed", "stream-error"])
def test_mid_stream_failure_comes_after_the_tokens_already_sent(
    provider: tuple[str, Any], scenario: str
) -> None:
    kind, server = provider
    received: list[str] = []

    with pytest.raises(BackendError):
        for event in get_backend(kind).stream(make_request(server, scenario)):
            assert isinstance(event, Delta), "no Finished may come from a broken stream"
            received.append(event.text)

    assert "".join(received).startswith("Answer to ")


def test_flaky_server_fails_transiently_then_answers(provider: tuple[str, Any]) -> None:
    kind, server = provider
    request = make_request(server, "flaky-2")

    errors = []
    for _ in range(2):
        with pytest.raises(BackendError) as caught:
            drain(kind, request)
        errors.append((caught.value.reason.split(":")[0], caught.value.transient))
    deltas, _ = drain(kind, request)

    # no hidden SDK retries: exactly one HTTP request per call
    assert errors == [("HTTP 500", True), ("HTTP 429", True)]
    assert "".join(d.text for d in deltas).startswith("Answer to user turn 2")
    assert len(server.requests) == 3


@pytest.mark.parametrize("scenario", ["hang", "hang-headers"])
def test_no_first_token_in_time_is_a_transient_timeout(
    provider: tuple[str, Any], scenario: str
) -> None:
    kind, server = provider
    request = make_request(server, scenario, first_token_timeout=0.5, idle_timeout=5.0)

    with pytest.raises(BackendError) as caught:
        drain(kind, request)

    assert caught.value.reason == "timed out waiting 0.5s for the first token"
    assert caught.value.transient is True


def test_silence_after_the_first_token_is_an_idle_timeout(provider: tuple[str, Any]) -> None:
    kind, server = provider
    request = make_request(server, "stall", first_token_timeout=5.0, idle_timeout=0.3)
    received = []

    with pytest.raises(BackendError) as caught:
        for event in get_backend(kind).stream(request):
            received.append(event)

    assert caught.value.reason == "timed out: no data for 0.3s"
    assert received == [Delta("Answer ")]


def test_rejected_key_is_not_repeated_in_the_reason(provider: tuple[str, Any]) -> None:
    # given a server that echoes a refused key in its error message
    kind, server = provider
    server.api_key = "the-right-key"
    secret = "sk-wrong-0123456789abcdef"

    with pytest.raises(BackendError) as caught:
        drain(kind, make_request(server, "ok", api_key=secret))

    assert caught.value.reason.startswith("HTTP 401")
    assert secret not in caught.value.reason
    assert secret not in str(caught.value)


def test_unreachable_server_is_a_transient_connection_error(provider: tuple[str, Any]) -> None:
    kind, server = provider
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = server.base_url.replace(server.base_url.split("/")[2], f"127.0.0.1:{port}")

    with pytest.raises(BackendError) as caught:
        drain(kind, make_request(server, "ok", base_url=base_url))

    assert caught.value.transient is True
    assert caught.value.reason.startswith(("connection error", "timed out"))


def test_leaving_early_closes_the_connection(provider: tuple[str, Any]) -> None:
    # given a slow answer of which the caller reads only the first token
    kind, server = provider
    stream = get_backend(kind).stream(make_request(server, "slow-0.05"))
    assert isinstance(next(stream), Delta)

    # when the caller stops reading
    stream.close()  # type: ignore[attr-defined]

    # then the HTTP stream is closed: the server cannot write the rest of the answer
    deadline = time.monotonic() + 10
    while server.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.disconnects == 1
