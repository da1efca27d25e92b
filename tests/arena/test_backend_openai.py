"""The OpenAI-compatible backend against a real HTTP server speaking the protocol."""

from typing import Any

import pytest

from arena.backends import Message
from tests.arena.backend_helpers import answer_tokens, drain, drain_thinking, make_request
from tests.fakes.base import trace


def test_streams_the_answer_to_its_own_history_with_params(openai_server: Any) -> None:
    # given a server that requires a key, and a request with history and parameters
    openai_server.api_key = "test-key"
    request = make_request(
        openai_server, "ok", temperature=0.2, top_p=0.9, max_tokens=64, system_prompt="Be brief"
    )

    # when
    deltas, finished = drain("openai", request)

    # then the text is the server's answer to exactly this conversation (a caller that
    # keeps up gets it delta by delta, see test_streaming_coalescing)
    assert "".join(d.text for d in deltas) == (
        "Answer to user turn 2 of 3 messages: you said 'And another one?'. System: Be brief."
    )
    assert finished.reason == "stop"
    assert finished.output_tokens == len(answer_tokens(deltas))
    assert finished.input_tokens == 8
    # and the wire request carried the history, the system prompt and the parameters
    [sent] = openai_server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer test-key"
    body = sent.body
    assert body["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Name a river."},
        {"role": "assistant", "content": "The Danube."},
        {"role": "user", "content": "And another one?"},
    ]
    assert body["model"] == "ok"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.2, 0.9, 64)


def test_unset_params_are_not_sent(openai_server: Any) -> None:
    drain("openai", make_request(openai_server, "ok", messages=[Message("user", "Hi")]))

    [sent] = openai_server.requests
    assert not {"temperature", "top_p", "max_tokens"} & set(sent.body)
    assert sent.body["messages"] == [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("scenario", ["reasoning", "reasoning-field"])
def test_reasoning_is_read_apart_from_the_answer(openai_server: Any, scenario: str) -> None:
    # given a reasoning model that thinks in reasoning_content (DeepSeek, xAI, vLLM) or
    # in reasoning (OpenRouter) before it answers
    request = make_request(openai_server, f"{scenario}-deep-7b")

    # when
    reasoning, answer, finished = drain_thinking("openai", request)

    # then the thinking comes as Reasoning, whole and once, and never as answer text
    assert reasoning == "".join(trace(f"{scenario}-deep-7b"))
    assert answer == "Answer to user turn 2 of 3 messages: you said 'And another one?'."
    assert finished.reason == "stop"


def test_a_model_that_does_not_reason_yields_no_reasoning(openai_server: Any) -> None:
    reasoning, answer, _ = drain_thinking("openai", make_request(openai_server, "ok"))

    assert reasoning == ""
    assert answer.startswith("Answer to user turn 2")


def test_max_tokens_cut_is_a_length_finish(openai_server: Any) -> None:
    deltas, finished = drain("openai", make_request(openai_server, "ok", max_tokens=3))

    assert len(answer_tokens(deltas)) == 3
    assert finished.reason == "length"


def test_server_without_usage_support_still_answers(openai_server: Any) -> None:
    # given a compatible server that rejects stream_options with a 400
    deltas, finished = drain("openai", make_request(openai_server, "strict"))

    # then the backend asked again without it and got the answer, without token counts
    assert "".join(d.text for d in deltas).startswith("Answer to user turn 2")
    assert (finished.input_tokens, finished.output_tokens) == (None, None)
    first, second = openai_server.requests
    assert "stream_options" in first.body and "stream_options" not in second.body


def test_model_that_wants_max_completion_tokens_gets_it(openai_server: Any) -> None:
    deltas, finished = drain("openai", make_request(openai_server, "modern", max_tokens=3))

    assert len(answer_tokens(deltas)) == 3 and finished.reason == "length"
    first, second = openai_server.requests
    assert first.body["max_tokens"] == 3
    assert "max_tokens" not in second.body and second.body["max_completion_tokens"] == 3
