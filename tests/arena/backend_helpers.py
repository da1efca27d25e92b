"""Small helpers for backend tests: build a request, drain a stream."""

from typing import Any

from arena.backends import Delta, Finished, GenerationRequest, Message, Reasoning, get_backend

HISTORY = [
    Message("user", "Name a river."),
    Message("assistant", "The Danube."),
    Message("user", "And another one?"),
]


def make_request(server: Any, model: str, **overrides: Any) -> GenerationRequest:
    fields: dict[str, Any] = {
        "messages": HISTORY,
        "provider_model": model,
        "base_url": server.base_url,
        "api_key": "test-key",
        "first_token_timeout": 10.0,
        "idle_timeout": 10.0,
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def drain(kind: str, request: GenerationRequest) -> tuple[list[Delta], Finished]:
    """All deltas and the one ``Finished``; fails if the stream breaks that shape."""
    events = list(get_backend(kind).stream(request))
    deltas = [e for e in events if isinstance(e, Delta)]
    finished = [e for e in events if isinstance(e, Finished)]
    assert len(finished) == 1 and events[-1] is finished[0], events
    return deltas, finished[0]


def drain_thinking(kind: str, request: GenerationRequest) -> tuple[str, str, Finished]:
    """The reasoning text, the answer text and the ``Finished`` of one stream.

    Fails unless every reasoning delta comes before the first answer delta, as the
    providers stream them."""
    events = list(get_backend(kind).stream(request))
    kinds = [type(e) for e in events]
    assert kinds[-1] is Finished and kinds.count(Finished) == 1, events
    first_answer = kinds.index(Delta) if Delta in kinds else len(kinds)
    assert Reasoning not in kinds[first_answer:], events
    reasoning = "".join(e.text for e in events if isinstance(e, Reasoning))
    answer = "".join(e.text for e in events if isinstance(e, Delta))
    finished = events[-1]
    assert isinstance(finished, Finished)
    return reasoning, answer, finished


def answer_tokens(deltas: list[Delta]) -> list[str]:
    """The answer's tokens as the fake servers count them (one per word), however many
    deltas carried them."""
    return "".join(d.text for d in deltas).split()
