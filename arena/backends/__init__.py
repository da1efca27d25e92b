"""Model backends: one small module per wire protocol behind ``base.Backend``.

The worker asks ``build_request`` for everything one answer needs (the API key is read
from the environment only now, at call time, and never stored) and ``get_backend`` for
the protocol that streams it.
"""

import os
import re
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings

from arena.backends.base import (
    Backend,
    BackendError,
    Delta,
    Finished,
    GenerationRequest,
    Message,
    Reasoning,
    StreamEvent,
)

if TYPE_CHECKING:
    from arena.models import Contender

__all__ = [
    "Backend",
    "BackendError",
    "Delta",
    "Finished",
    "GenerationRequest",
    "Message",
    "Reasoning",
    "StreamEvent",
    "build_request",
    "get_backend",
]

_Num = TypeVar("_Num", int, float)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def get_backend(kind: str) -> Backend:
    """The backend for a ``Contender.backend`` kind: ``openai``, ``anthropic`` or ``demo``."""
    # Imported lazily so the demo mode never pays for loading the provider SDKs.
    if kind == "openai":
        from arena.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend()
    if kind == "anthropic":
        from arena.backends.anthropic_messages import AnthropicMessagesBackend

        return AnthropicMessagesBackend()
    if kind == "demo":
        from arena.backends.demo import DemoBackend

        return DemoBackend()
    raise BackendError(f"unknown backend kind {kind!r}", transient=False)


def build_request(contender: "Contender", messages: list[Message]) -> GenerationRequest:
    """Everything one answer of ``contender`` to ``messages`` needs, key included.

    The key is looked up in ``os.environ[contender.api_key_env]`` now, so rotating a key
    needs no database change; a missing variable is a permanent error, not a retry.
    """
    api_key = ""
    if contender.api_key_env:
        if not _ENV_NAME.match(contender.api_key_env):
            raise BackendError("API key variable name is not a valid name", transient=False)
        api_key = os.environ.get(contender.api_key_env, "")
        if not api_key:
            raise BackendError(
                f"API key variable {contender.api_key_env} is not set", transient=False
            )
    params: dict[str, Any] = dict(contender.params or {})
    return GenerationRequest(
        messages=list(messages),
        provider_model=contender.provider_model,
        base_url=contender.base_url,
        api_key=api_key,
        system_prompt=str(params.get("system_prompt") or ""),
        temperature=_optional(params.get("temperature"), float),
        max_tokens=_optional(params.get("max_tokens"), int),
        top_p=_optional(params.get("top_p"), float),
        thinking_budget=_optional(params.get("thinking_budget"), int),
        first_token_timeout=settings.ARENA_FIRST_TOKEN_TIMEOUT,
        idle_timeout=settings.ARENA_IDLE_TIMEOUT,
    )


def _optional(value: object, kind: type[_Num]) -> _Num | None:
    if value is None or value == "":
        return None
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        raise BackendError(f"invalid generation parameter {value!r}", transient=False)
    try:
        return kind(value)
    except ValueError as exc:
        raise BackendError(f"invalid generation parameter {value!r}", transient=False) from exc
