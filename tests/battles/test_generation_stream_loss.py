"""A token stream lost mid-answer (Redis restarted: it keeps nothing) is sent again whole,
so a viewer still ends with exactly the stored answer."""

from typing import Any

import pytest

from battles.channel import get_channel, stream_key
from battles.generation import run_generation
from battles.models import CompletionStatus
from battles.publisher import StreamPublisher
from tests.battles.generation_helpers import (
    completion_of,
    new_battle,
    openai_contenders,
    shown_text,
    stream_entries,
)

pytestmark = pytest.mark.django_db


def test_a_stream_lost_mid_answer_is_resent_from_the_start(
    openai_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai_contenders(openai_server.base_url, "slow-0.001")
    battle = new_battle()
    completion = completion_of(battle, "left-one")
    key = stream_key(completion.id)
    delta = StreamPublisher.delta
    published = 0

    def delta_then_lose_the_stream(self: StreamPublisher, text: str) -> None:
        nonlocal published
        delta(self, text)
        published += 1
        if published == 3:
            get_channel().delete(key)  # as a restarted Redis has it: no such stream

    monkeypatch.setattr(StreamPublisher, "delta", delta_then_lose_the_stream)

    run_generation(completion.id)

    completion.refresh_from_db()
    entries = stream_entries(completion)
    assert completion.status == CompletionStatus.DONE
    assert [e.kind for e in entries].count("reset") == 1
    # What remained of the stream alone would miss the first three tokens.
    assert shown_text(entries) == completion.text
    assert entries[-1].kind == "end"


def test_an_intact_stream_is_never_resent(openai_server: Any) -> None:
    openai_contenders(openai_server.base_url, "slow-0.001")
    battle = new_battle()
    completion = completion_of(battle, "left-one")

    run_generation(completion.id)

    completion.refresh_from_db()
    entries = stream_entries(completion)
    assert "reset" not in [e.kind for e in entries]
    assert shown_text(entries) == completion.text
