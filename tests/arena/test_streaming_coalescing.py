"""``guarded_stream`` hands a backlog of deltas over as one: a caller that fell behind
publishes one larger entry instead of hundreds of tiny ones, and loses nothing."""

import time
from collections.abc import Generator, Iterator

from arena.backends import BackendError, Delta, Finished, GenerationRequest, Message, Reasoning
from arena.backends.base import StreamEvent
from arena.backends.streaming import Chunk, guarded_stream

REQUEST = GenerationRequest(messages=[Message("user", "Hi")], first_token_timeout=5, idle_timeout=5)


def _stream(produce: Generator[Chunk, None, None]) -> Iterator[StreamEvent]:
    return guarded_stream(lambda: produce, REQUEST, lambda exc: BackendError(str(exc)))


def test_deltas_queued_behind_a_slow_caller_arrive_as_one() -> None:
    def burst() -> Generator[Chunk, None, None]:
        yield None  # a role chunk: alive, no text
        for i in range(50):
            yield Delta(f"{i} ")
            yield None
        yield Finished("stop")

    events = _stream(burst())
    time.sleep(0.3)  # the caller was busy: everything is queued by now

    assert list(events) == [Delta("".join(f"{i} " for i in range(50))), Finished("stop")]


def test_thinking_and_answer_are_never_joined() -> None:
    def think_then_answer() -> Generator[Chunk, None, None]:
        yield Reasoning("Let me ")
        yield Reasoning("think. ")
        yield Delta("Four")
        yield Delta(".")
        yield Reasoning("(done)")
        yield Finished("stop")

    events = _stream(think_then_answer())
    time.sleep(0.3)

    assert list(events) == [
        Reasoning("Let me think. "), Delta("Four."), Reasoning("(done)"), Finished("stop"),
    ]


def test_a_caller_that_keeps_up_sees_each_delta_as_it_came() -> None:
    def paced() -> Generator[Chunk, None, None]:
        for word in ("One ", "two ", "three"):
            time.sleep(0.1)
            yield Delta(word)
        yield Finished("stop")

    assert list(_stream(paced())) == [
        Delta("One "), Delta("two "), Delta("three"), Finished("stop"),
    ]
