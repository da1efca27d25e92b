"""Generation against the fake OpenAI server: retries, failures and their reasons, timeouts."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from battles.generation import run_generation
from battles.models import Battle, BattleStatus, Completion, CompletionStatus
from tests.battles.generation_helpers import (
    completion_of,
    new_battle,
    openai_contenders,
    shown_text,
    stream_entries,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_retries")]


@pytest.fixture
def quick_retries() -> Iterator[None]:
    with override_settings(ARENA_RETRY_BACKOFF=0.01, ARENA_GENERATION_RETRIES=3):
        yield


def _generate(openai_server: Any, scenario: str) -> Completion:
    openai_contenders(openai_server.base_url, scenario)
    battle = new_battle()
    completion = completion_of(battle, "left-one")
    run_generation(completion.id)
    completion.refresh_from_db()
    return completion


def _requests_for(server: Any, model: str) -> int:
    return sum(1 for r in server.requests if (r.body or {}).get("model") == model)


def test_ok_answer_from_openai_protocol(openai_server: Any) -> None:
    completion = _generate(openai_server, "ok")

    assert completion.status == CompletionStatus.DONE
    assert completion.text == "Answer to user turn 1 of 1 messages: you said 'Name three rivers.'."
    assert shown_text(stream_entries(completion)) == completion.text
    assert completion.finish_reason == "stop"
    assert completion.output_tokens == len(completion.text.split())


def test_flaky_backend_is_retried_until_it_answers(openai_server: Any) -> None:
    completion = _generate(openai_server, "flaky-2")

    assert completion.status == CompletionStatus.DONE
    assert completion.attempts == 3
    assert _requests_for(openai_server, "flaky-2") == 3
    # Failed attempts produced no text, so viewers saw one clean answer.
    assert shown_text(stream_entries(completion)) == completion.text


@pytest.mark.parametrize(("scenario", "status"), [("http429", "429"), ("http500", "500")])
def test_transient_errors_fail_after_the_retries_run_out(
    openai_server: Any, scenario: str, status: str
) -> None:
    completion = _generate(openai_server, scenario)

    assert completion.status == CompletionStatus.FAILED
    assert status in completion.error
    assert completion.attempts == 4
    assert _requests_for(openai_server, scenario) == 4
    entries = stream_entries(completion)
    assert [(e.kind, e.text) for e in entries] == [("end", "failed")]
    assert Battle.objects.get(pk=completion.turn.battle_id).status == BattleStatus.FAILED


def test_permanent_error_is_not_retried(openai_server: Any) -> None:
    completion = _generate(openai_server, "http400")

    assert completion.status == CompletionStatus.FAILED
    assert "400" in completion.error
    assert completion.attempts == 1


def test_stream_cut_after_tokens_fails_without_retry(openai_server: Any) -> None:
    completion = _generate(openai_server, "cut")

    entries = stream_entries(completion)
    assert completion.status == CompletionStatus.FAILED
    assert completion.error == "stream ended without a finish"
    assert completion.attempts == 1
    assert any(e.kind == "delta" for e in entries) and entries[-1].text == "failed"
    # The partial text is not an answer: nothing is stored as text.
    assert completion.text == "" and completion.first_token_at is not None


def test_malformed_stream_fails(openai_server: Any) -> None:
    completion = _generate(openai_server, "malformed")

    assert completion.status == CompletionStatus.FAILED
    assert "malformed" in completion.error
    assert completion.attempts == 1


@override_settings(
    ARENA_FIRST_TOKEN_TIMEOUT=0.3, ARENA_IDLE_TIMEOUT=0.3, ARENA_GENERATION_TIMEOUT=1.0
)
def test_hanging_backend_times_out(openai_server: Any) -> None:
    completion = _generate(openai_server, "hang")

    assert completion.status == CompletionStatus.FAILED
    assert completion.error.startswith("timed out after 1s")
    assert completion.finished_at is not None
    # Retried while time was left, then given up at the overall limit.
    assert 1 < completion.attempts <= 4


@override_settings(ARENA_FIRST_TOKEN_TIMEOUT=5, ARENA_IDLE_TIMEOUT=0.3)
def test_stalled_stream_fails_on_idle_timeout(openai_server: Any) -> None:
    completion = _generate(openai_server, "stall")

    assert completion.status == CompletionStatus.FAILED
    assert "timed out" in completion.error
    assert completion.attempts == 1
