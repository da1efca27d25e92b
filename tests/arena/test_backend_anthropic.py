"""The Anthropic Messages backend against a real HTTP server speaking the protocol."""

from typing import Any

from tests.arena.backend_helpers import answer_tokens, drain, drain_thinking, make_request
from tests.fakes.base import trace


def test_streams_the_answer_to_its_own_history_with_params(anthropic_server: Any) -> None:
    # given a server that requires a key, and a request with history and parameters
    anthropic_server.api_key = "test-key"
    request = make_request(
        anthropic_server, "ok", temperature=0.3, top_p=0.8, max_tokens=50, system_prompt="Be kind"
    )

    # when
    deltas, finished = drain("anthropic", request)

    # then
    assert "".join(d.text for d in deltas) == (
        "Answer to user turn 2 of 3 messages: you said 'And another one?'. System: Be kind."
    )
    assert finished.reason == "end_turn"
    assert finished.output_tokens == len(answer_tokens(deltas))
    assert finished.input_tokens == 8
    [sent] = anthropic_server.requests
    assert sent.path.startswith("/v1/messages")
    # the classic header or, with recent SDKs, the same key as a Bearer token
    sent_key = sent.headers.get("x-api-key") or sent.headers["authorization"].removeprefix(
        "Bearer "
    )
    assert sent_key == "test-key"

    body = sent.body
    assert body["system"] == "Be kind"
    assert body["messages"] == [
        {"role": "user", "content": "Name a river."},
        {"role": "assistant", "content": "The Danube."},
        {"role": "user", "content": "And another one?"},
    ]
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.3, 0.8, 50)
    assert body["stream"] is True


def test_max_tokens_defaults_and_unset_params_are_not_sent(anthropic_server: Any) -> None:
    drain("anthropic", make_request(anthropic_server, "ok"))

    [sent] = anthropic_server.requests
    assert sent.body["max_tokens"] == 1024
    assert not {"temperature", "top_p", "system"} & set(sent.body)


def test_thinking_budget_enables_thinking_read_apart_from_the_answer(
    anthropic_server: Any,
) -> None:
    # given a contender with a thinking budget and an answer length
    request = make_request(anthropic_server, "thinking", thinking_budget=2048, max_tokens=300)

    # when (the fake refuses requests the real API refuses: budget, max_tokens, sampling)
    reasoning, answer, finished = drain_thinking("anthropic", request)

    # then thinking was requested, with the answer's own room on top of the budget
    [sent] = anthropic_server.requests
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent.body["max_tokens"] == 2048 + 300
    assert not {"temperature", "top_p"} & set(sent.body)
    # and the thinking deltas came as Reasoning, the signature was skipped
    assert reasoning == "".join(trace("thinking"))
    assert answer == "Answer to user turn 2 of 3 messages: you said 'And another one?'."
    assert finished.reason == "end_turn"


def test_without_a_budget_no_thinking_is_requested(anthropic_server: Any) -> None:
    reasoning, answer, _ = drain_thinking("anthropic", make_request(anthropic_server, "thinking"))

    [sent] = anthropic_server.requests
    assert "thinking" not in sent.body and sent.body["max_tokens"] == 1024
    assert reasoning == ""
    assert answer.startswith("Answer to user turn 2")


def test_max_tokens_cut_is_reported_as_such(anthropic_server: Any) -> None:
    deltas, finished = drain("anthropic", make_request(anthropic_server, "ok", max_tokens=4))

    assert len(answer_tokens(deltas)) == 4
    assert finished.reason == "max_tokens"
