"""The one streaming interface every backend protocol implements.

A backend turns a conversation into a stream of text deltas -- answer text (``Delta``) and,
from reasoning models, their thinking (``Reasoning``), kept apart -- that ends with exactly
one ``Finished``. Anything else -- an HTTP error, a timeout, a stream that stops without a
proper finish -- is raised as ``BackendError``; ``transient`` says whether retrying the
same request (before any token was produced) may help.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a backend needs for one answer; built from a ``Contender`` by the worker."""

    messages: list[Message]
    provider_model: str = ""
    base_url: str = ""
    api_key: str = ""
    system_prompt: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    # Tokens an Anthropic model may think before it answers (extended thinking); None: off.
    # OpenAI-compatible reasoning models need no switch: their reasoning is read anyway.
    thinking_budget: int | None = None
    # Seconds to wait for the connection and the first token, then between two chunks.
    first_token_timeout: float = 60.0
    idle_timeout: float = 60.0


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Reasoning:
    """A piece of a reasoning model's thinking: stored beside the answer, never part of it."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The backend's own end of answer, with its reason and token counts when known."""

    reason: str
    input_tokens: int | None = None
    output_tokens: int | None = None


StreamEvent = Delta | Reasoning | Finished


class BackendError(Exception):
    """A generation that did not finish properly; ``reason`` is for operators' logs."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Backend(Protocol):
    def stream(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        """Yield ``Delta`` (and ``Reasoning``) events, then exactly one ``Finished``; raise
        ``BackendError``."""
        ...
