"""OpenAI-compatible chat completions, streamed with the official ``openai`` SDK.

One protocol for OpenAI, xAI, vLLM, Ollama, llama.cpp server and OpenRouter: only the
base URL differs. The SDK's retries are off (the worker owns retries) and its read
timeout is a backstop behind our own deadlines. Reasoning models' thinking arrives in a
delta field the SDK does not declare (``reasoning_content`` or ``reasoning``); it is read
as ``Reasoning``, apart from the answer.
"""

from collections.abc import Generator, Iterator
from functools import lru_cache
from typing import Any

import openai

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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Where compatible servers put a reasoning model's thinking: DeepSeek, xAI and older vLLM
# say ``reasoning_content``; OpenRouter and newer vLLM say ``reasoning``.
REASONING_FIELDS = ("reasoning_content", "reasoning")
# Local servers (Ollama, llama.cpp) take no key, but the SDK insists on one.
NO_KEY = "no-key"


class OpenAICompatBackend:
    def stream(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        return guarded_stream(lambda: _chunks(request), request, _map_error)


@lru_cache(maxsize=64)
def _client(base_url: str, api_key: str, timeouts: tuple[tuple[str, float], ...]) -> openai.OpenAI:
    # Clients are thread-safe and pool connections: one per endpoint and key, reused.
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        max_retries=0,
        timeout=openai.Timeout(**dict(timeouts)),
    )


def _arguments(request: GenerationRequest) -> dict[str, Any]:
    messages: list[dict[str, str]] = []
    if request.system_prompt:
        messages.append({"role": "system", "content": request.system_prompt})
    messages += [{"role": m.role, "content": m.content} for m in request.messages]
    arguments: dict[str, Any] = {
        "model": request.provider_model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    optional = {
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "top_p": request.top_p,
    }
    arguments.update({k: v for k, v in optional.items() if v is not None})
    return arguments


def _open(client: openai.OpenAI, arguments: dict[str, Any]) -> Any:
    # Compatible servers differ in what they accept; adapt to the two usual refusals.
    while True:
        try:
            return client.chat.completions.create(**arguments)
        except openai.BadRequestError as exc:
            if not _adapt(arguments, str(exc)):
                raise


def _adapt(arguments: dict[str, Any], refusal: str) -> bool:
    """Change ``arguments`` after a 400 that names one of them; False when nothing fits."""
    if "stream_options" in refusal and "stream_options" in arguments:
        # Answers matter more than token counts.
        del arguments["stream_options"]
        return True
    if "max_completion_tokens" in refusal and "max_tokens" in arguments:
        # Newer OpenAI models renamed the limit.
        arguments["max_completion_tokens"] = arguments.pop("max_tokens")
        return True
    return False


def _chunks(request: GenerationRequest) -> Generator[Chunk, None, None]:
    timeouts = tuple(sorted(http_timeouts(request).items()))
    client = _client(request.base_url or DEFAULT_BASE_URL, request.api_key or NO_KEY, timeouts)
    finish_reason: str | None = None
    usage: Any = None
    with _open(client, _arguments(request)) as stream, malformed_as_error():
        for chunk in stream:
            usage = chunk.usage or usage
            text = thought = ""
            for choice in chunk.choices or []:
                if choice.index != 0:
                    continue
                if choice.delta:
                    text += choice.delta.content or ""
                    thought += _reasoning(choice.delta)
                finish_reason = choice.finish_reason or finish_reason
            if thought:
                yield Reasoning(thought)
            yield Delta(text) if text else None
    if finish_reason is None:
        raise BackendError("stream ended without a finish", transient=True)
    yield Finished(
        finish_reason,
        input_tokens=getattr(usage, "prompt_tokens", None),
        output_tokens=getattr(usage, "completion_tokens", None),
    )


def _reasoning(delta: Any) -> str:
    """The delta's thinking, from the first reasoning field that has text.

    Only one field: servers in transition send the same text under both names.
    """
    for name in REASONING_FIELDS:
        # Undeclared fields are kept by the SDK's models as attributes (pydantic extras).
        value = getattr(delta, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _map_error(exc: Exception) -> BackendError:
    if isinstance(exc, openai.APITimeoutError):
        return BackendError("timed out waiting for the provider", transient=True)
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(f"connection error: {exc.__cause__ or exc}", transient=True)
    if isinstance(exc, openai.APIStatusError):
        return status_error(exc.status_code, _message(exc.body) or exc.message)
    if isinstance(exc, openai.APIError):
        # An error object sent inside an open stream.
        return BackendError(f"provider error in stream: {exc.message}", transient=True)
    if error := transport_error(exc):
        return error
    return BackendError(f"unexpected {type(exc).__name__}: {exc}", transient=False)


def _message(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return ""
