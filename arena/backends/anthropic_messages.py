"""Anthropic's Messages API, streamed with the official ``anthropic`` SDK.

Raw stream events are read (not the SDK's accumulating helper) so that a stream
without ``message_stop`` is caught as a failure instead of a short answer. With a
``thinking_budget`` the model thinks first (extended thinking): its ``thinking_delta``
text is read as ``Reasoning``, its ``signature_delta`` (for replaying the thinking to the
API, which we never do) is skipped.
"""

from collections.abc import Generator, Iterator
from functools import lru_cache
from typing import Any

import anthropic

from arena.backends.base import (
    BackendError,
    Delta,
    Finished,
    GenerationRequest,
    Reasoning,
    StreamEvent,
)
from arena.backends.streaming import (
    Chunk,
    guarded_stream,
    http_timeouts,
    malformed_as_error,
    status_error,
    transport_error,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
# The Messages API requires max_tokens; this is the answer length when none is set.
DEFAULT_MAX_TOKENS = 1024
NO_KEY = "no-key"


class AnthropicMessagesBackend:
    def stream(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        return guarded_stream(lambda: _chunks(request), request, _map_error)


@lru_cache(maxsize=64)
def _client(
    base_url: str, api_key: str, timeouts: tuple[tuple[str, float], ...]
) -> anthropic.Anthropic:
    # Clients are thread-safe and pool connections: one per endpoint and key, reused.
    return anthropic.Anthropic(
        base_url=base_url,
        api_key=api_key,
        max_retries=0,
        timeout=anthropic.Timeout(**dict(timeouts)),
    )


def _arguments(request: GenerationRequest) -> dict[str, Any]:
    answer_tokens = request.max_tokens or DEFAULT_MAX_TOKENS
    arguments: dict[str, Any] = {
        "model": request.provider_model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "max_tokens": answer_tokens,
        "stream": True,
    }
    if request.system_prompt:
        arguments["system"] = request.system_prompt
    if request.thinking_budget:
        budget = request.thinking_budget
        arguments["thinking"] = {"type": "enabled", "budget_tokens": budget}
        # Thinking counts towards max_tokens, which must exceed the budget: the contender's
        # max_tokens stays the answer's own length, on top of the thinking.
        arguments["max_tokens"] = budget + answer_tokens
    # Sampling knobs go in the body as such: newer SDKs no longer take them as arguments.
    sampling = {"temperature": request.temperature, "top_p": request.top_p}
    if extra := {k: v for k, v in sampling.items() if v is not None}:
        arguments["extra_body"] = extra
    return arguments


def _chunks(request: GenerationRequest) -> Generator[Chunk, None, None]:
    timeouts = tuple(sorted(http_timeouts(request).items()))
    client = _client(request.base_url or DEFAULT_BASE_URL, request.api_key or NO_KEY, timeouts)
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    stopped = False
    with client.messages.create(**_arguments(request)) as stream, malformed_as_error():
        for event in stream:
            kind = event.type
            if kind == "message_start":
                input_tokens = event.message.usage.input_tokens
            elif kind == "content_block_delta" and event.delta.type == "text_delta":
                yield Delta(event.delta.text)
                continue
            elif kind == "content_block_delta" and event.delta.type == "thinking_delta":
                yield Reasoning(event.delta.thinking)
                continue
            elif kind == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                output_tokens = getattr(event.usage, "output_tokens", output_tokens)
            elif kind == "message_stop":
                stopped = True
            yield None
    if not stopped:
        raise BackendError("stream ended without a finish", transient=True)
    yield Finished(
        stop_reason or "end_turn", input_tokens=input_tokens, output_tokens=output_tokens
    )


def _map_error(exc: Exception) -> BackendError:
    if isinstance(exc, anthropic.APITimeoutError):
        return BackendError("timed out waiting for the provider", transient=True)
    if isinstance(exc, anthropic.APIConnectionError):
        return BackendError(f"connection error: {exc.__cause__ or exc}", transient=True)
    if isinstance(exc, anthropic.APIStatusError):
        message = _message(exc.body) or exc.message
        if exc.status_code < 400:
            # An ``error`` event inside an open stream (e.g. overloaded).
            return BackendError(f"provider error in stream: {message}", transient=True)
        return status_error(exc.status_code, message)
    if error := transport_error(exc):
        return error
    return BackendError(f"unexpected {type(exc).__name__}: {exc}", transient=False)


def _message(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return f"{error.get('type', 'error')}: {error['message']}"
    return ""
