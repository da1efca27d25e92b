"""Generation with reasoning models: the trace is stored apart, viewers learn only 'thinking'."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from arena.backends import BackendError, Delta, Finished, GenerationRequest, Reasoning
from arena.backends.base import StreamEvent
from arena.models import BackendKind
from battles import generation
from battles.generation import run_generation
from battles.models import Completion, CompletionStatus
from battles.style import style_features
from tests.battles.generation_helpers import (
    completion_of,
    make_contender,
    new_battle,
    openai_contenders,
    shown_text,
    stream_entries,
)
from tests.fakes.base import trace

pytestmark = pytest.mark.django_db


def _generate(codename: str) -> Completion:
    battle = new_battle()
    completion = completion_of(battle, codename)
    run_generation(completion.id)
    completion.refresh_from_db()
    return completion


def _assert_thought_apart(completion: Completion, model: str) -> None:
    entries = stream_entries(completion)
    kinds = [e.kind for e in entries]
    # The trace is stored whole, beside an answer that does not contain it.
    assert completion.status == CompletionStatus.DONE
    assert completion.reasoning == "".join(trace(model))
    assert completion.text.startswith("Answer to user turn 1")
    assert model not in completion.text
    # Viewers were told once, before the answer, that the side thinks; never what.
    assert kinds.count("thinking") == 1
    assert kinds.index("thinking") < kinds.index("delta")
    assert all(e.text == "" for e in entries if e.kind == "thinking")
    assert shown_text(entries) == completion.text
    assert not any(model in e.text for e in entries)
    # Both clocks: first reasoning, then the first answer token; thinking time between.
    assert completion.started_at is not None and completion.finished_at is not None
    assert completion.first_reasoning_at is not None and completion.first_token_at is not None
    assert completion.started_at <= completion.first_reasoning_at <= completion.first_token_at
    assert completion.first_token_at <= completion.finished_at
    assert completion.thinking_time == completion.first_token_at - completion.first_reasoning_at
    # Style features describe the answer only (the trace has a header and bold text).
    style = style_features(completion.text)
    assert (completion.length_chars, completion.header_count, completion.bold_count) == (
        len(completion.text), style.header_count, style.bold_count,
    )
    assert completion.header_count == completion.bold_count == 0


@pytest.mark.parametrize("scenario", ["reasoning", "reasoning-field"])
def test_openai_compatible_reasoning_is_stored_apart(openai_server: Any, scenario: str) -> None:
    model = f"{scenario}-vexmoor-qf"
    openai_contenders(openai_server.base_url, model)

    completion = _generate("left-one")

    _assert_thought_apart(completion, model)


def test_anthropic_thinking_is_stored_apart(anthropic_server: Any) -> None:
    make_contender(
        "claude-like", backend=BackendKind.ANTHROPIC, base_url=anthropic_server.base_url,
        provider_model="thinking", params={"thinking_budget": 1024},
    )  # fmt: skip
    make_contender("other-demo")

    completion = _generate("claude-like")

    assert anthropic_server.requests[-1].body["thinking"]["budget_tokens"] == 1024
    _assert_thought_apart(completion, "thinking")


def test_an_answer_without_thinking_has_no_trace_and_no_thinking_entry(
    openai_server: Any,
) -> None:
    openai_contenders(openai_server.base_url, "ok")

    completion = _generate("left-one")

    assert completion.status == CompletionStatus.DONE
    assert completion.reasoning == ""
    assert completion.first_reasoning_at is None and completion.thinking_time is None
    assert "thinking" not in [e.kind for e in stream_entries(completion)]


Script = list[StreamEvent | BackendError]


class _ScriptedBackend:
    """Plays one scripted stream per attempt; an exception in a script is raised there."""

    def __init__(self, *attempts: Script) -> None:
        self.attempts = list(attempts)

    def stream(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        for item in self.attempts.pop(0):
            if isinstance(item, BackendError):
                raise item
            yield item


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Install a scripted backend for every contender: ``scripted(attempt1, attempt2)``."""

    def install(*attempts: Script) -> None:
        backend = _ScriptedBackend(*attempts)
        monkeypatch.setattr(generation, "get_backend", lambda kind: backend)

    make_contender("left-one")
    make_contender("right-one")
    with override_settings(ARENA_RETRY_BACKOFF=0.01):
        yield install


def test_thinking_without_an_answer_is_an_empty_answer(scripted: Callable[..., None]) -> None:
    scripted([Reasoning("Hmm, "), Reasoning("hard one."), Finished("length")])

    completion = _generate("left-one")

    assert completion.status == CompletionStatus.FAILED
    assert completion.error == "empty answer (finish reason 'length')"
    assert completion.reasoning == "" and completion.text == ""


def test_a_retry_after_thinking_keeps_one_thinking_entry_and_the_new_trace(
    scripted: Callable[..., None],
) -> None:
    # given an attempt that thinks and then fails transiently, before any answer token
    scripted(
        [Reasoning("First try. "), BackendError("HTTP 503: busy", transient=True)],
        [Reasoning("Second try. "), Delta("**Hello** there."), Finished("stop")],
    )

    completion = _generate("left-one")

    # then the answer and the trace are the successful attempt's; viewers heard once
    assert completion.status == CompletionStatus.DONE and completion.attempts == 2
    assert (completion.text, completion.reasoning) == ("**Hello** there.", "Second try. ")
    assert completion.bold_count == 1
    assert [e.kind for e in stream_entries(completion)] == ["thinking", "delta", "end"]
