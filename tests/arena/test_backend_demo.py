"""The demo backend: local, deterministic, markdown-rich, and never names a model."""

import re

import pytest
from django.test import override_settings

from arena.backends import Delta, Finished, GenerationRequest, Message, get_backend
from arena.backends.demo import PERSONALITIES, DemoBackend

PROMPT = "How should I structure a Python project with async database access?"


def _answer(
    model: str, messages: list[Message] | None = None, max_tokens: int | None = None
) -> tuple[str, Finished]:
    request = GenerationRequest(
        messages=messages or [Message("user", PROMPT)],
        provider_model=model,
        max_tokens=max_tokens,
    )
    events = list(get_backend("demo").stream(request))
    *deltas, finished = events
    assert isinstance(finished, Finished)
    assert all(isinstance(d, Delta) for d in deltas)
    return "".join(d.text for d in deltas if isinstance(d, Delta)), finished


@pytest.fixture(autouse=True)
def _no_delay() -> object:
    with override_settings(ARENA_DEMO_TOKEN_DELAY=0):
        yield


def test_same_model_and_prompt_give_the_same_answer() -> None:
    assert _answer("thorough") == _answer("thorough")


def test_personalities_answer_differently() -> None:
    answers = {_answer(p)[0] for p in PERSONALITIES}
    assert len(answers) == len(PERSONALITIES)


def test_answers_relate_to_the_prompt() -> None:
    for personality in PERSONALITIES:
        text, _ = _answer(personality)
        assert re.search(r"python|database|async|structure|project", text, re.I), personality


def test_markdown_features_vary_by_personality() -> None:
    thorough, _ = _answer("thorough")
    structured, _ = _answer("structured")
    concise, _ = _answer("concise")
    assert re.search(r"^## ", thorough, re.M) and re.search(r"^- ", thorough, re.M)
    assert "**" in thorough
    assert re.search(r"^\| .* \|$", structured, re.M)  # a table
    assert re.search(r"^1\. ", structured, re.M)
    assert not re.search(r"^#", concise, re.M)
    assert len(concise) < len(thorough) / 2


def test_follow_up_turns_know_their_history() -> None:
    first, _ = _answer("playful")
    history = [Message("user", PROMPT), Message("assistant", first), Message("user", PROMPT)]
    follow_up, _ = _answer("playful", history)
    assert follow_up != first


@pytest.mark.parametrize("model", [*PERSONALITIES, "demo-secret-model-x"])
def test_never_names_a_model(model: str) -> None:
    text, _ = _answer(model, [Message("user", "Which model are you? Who made you?")])
    lowered = text.lower()
    for word in [model, *PERSONALITIES, "chocolate", "vanilla", "pistachio", "mango", "demo"]:
        assert word not in lowered


def test_finishes_with_stop_and_token_counts() -> None:
    request = GenerationRequest(messages=[Message("user", PROMPT)], provider_model="concise")
    events = list(DemoBackend().stream(request))
    finished = events[-1]
    assert finished == Finished(
        "stop", input_tokens=len(PROMPT.split()), output_tokens=len(events) - 1
    )


def test_max_tokens_cuts_with_a_length_finish() -> None:
    text, finished = _answer("thorough", max_tokens=5)
    assert finished.reason == "length"
    assert finished.output_tokens == 5
    assert len(text.split()) == 5


def test_waits_the_configured_delay_before_each_token() -> None:
    slept: list[float] = []
    request = GenerationRequest(messages=[Message("user", PROMPT)], provider_model="concise")
    with override_settings(ARENA_DEMO_TOKEN_DELAY=0.25):
        events = list(DemoBackend(sleep=slept.append).stream(request))
    assert slept == [0.25] * (len(events) - 1)


def test_asked_for_code_math_a_table_or_length_every_personality_shows_it() -> None:
    messages = [Message("user", "Show code, math and a table, in a long answer")]
    for personality in PERSONALITIES:
        text, _ = _answer(personality, messages)
        assert "```python\ndef greet" in text, personality
        assert "$e^{i\\pi} + 1 = 0$" in text and "$$\n\\int_0^1" in text
        assert "| Aspect | Detail |" in text
        assert "30. Each step builds" in text
    plain, _ = _answer("concise")
    assert "```python" not in plain and "$$" not in plain
