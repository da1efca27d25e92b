"""``guarded_stream``'s two clocks with reasoning models: thinking proves the model works.

The producers here are plain generators standing in for an SDK stream, so each test
controls exactly when chunks arrive.
"""

import time
from collections.abc import Generator

import pytest

from arena.backends import BackendError, Delta, Finished, GenerationRequest, Message, Reasoning
from arena.backends.streaming import Chunk, guarded_stream

REQUEST = GenerationRequest(
    messages=[Message("user", "Hi")], first_token_timeout=0.5, idle_timeout=0.3
)


def _fail(exc: Exception) -> BackendError:
    return BackendError(f"unexpected {exc}")


def _run(produce: Generator[Chunk, None, None]) -> list[object]:
    return list(guarded_stream(lambda: produce, REQUEST, _fail))


def test_thinking_longer_than_the_first_token_wait_is_not_a_timeout() -> None:
    def thinker() -> Generator[Chunk, None, None]:
        # Thinks for about twice the first-token wait, never pausing past the idle limit.
        for _ in range(5):
            time.sleep(0.2)
            yield Reasoning("hmm ")
        yield Delta("Hello")
        yield Finished("stop")

    events = _run(thinker())

    assert events == [*[Reasoning("hmm ")] * 5, Delta("Hello"), Finished("stop")]


def test_a_thinker_that_stalls_fails_on_the_idle_timeout() -> None:
    def stalls() -> Generator[Chunk, None, None]:
        yield Reasoning("hmm ")
        time.sleep(2)
        yield Delta("too late")

    with pytest.raises(BackendError) as caught:
        _run(stalls())

    assert caught.value.reason == "timed out: no data for 0.3s"


def test_keepalives_without_text_do_not_satisfy_the_first_token_wait() -> None:
    def pings() -> Generator[Chunk, None, None]:
        for _ in range(10):
            time.sleep(0.1)
            yield None
            yield Reasoning("")
        yield Delta("too late")

    with pytest.raises(BackendError) as caught:
        _run(pings())

    assert caught.value.reason == "timed out waiting 0.5s for the first token"
