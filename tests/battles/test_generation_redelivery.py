"""A task redelivered after its worker died mid-stream restarts cleanly: reset, no duplicates."""

import threading
import time
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from battles import generation
from battles.channel import get_channel, stream_key
from battles.generation import run_generation
from battles.models import Battle, BattleStatus, Completion, CompletionStatus
from tests.battles.generation_helpers import (
    bare_battle,
    completion_of,
    new_battle,
    openai_contenders,
    shown_text,
    stream_entries,
)

pytestmark = pytest.mark.django_db


def _die_mid_stream(completion: Completion) -> None:
    """Leave the rows and the stream as a worker killed after two tokens leaves them."""
    Completion.objects.filter(pk=completion.pk).update(
        status=CompletionStatus.STREAMING, started_at=timezone.now(),
        first_token_at=timezone.now(), attempts=1,
    )
    for token in ("Answer ", "to "):
        get_channel().publish(stream_key(completion.id), "delta", token)


def test_redelivered_task_resets_the_stream_and_finishes_once(openai_server: Any) -> None:
    openai_contenders(openai_server.base_url, "ok", "ok")
    battle = new_battle()
    completion = completion_of(battle, "left-one")
    _die_mid_stream(completion)

    run_generation(completion.id)

    completion.refresh_from_db()
    entries = stream_entries(completion)
    kinds = [e.kind for e in entries]
    assert kinds[:3] == ["delta", "delta", "reset"]
    assert kinds.count("reset") == 1 and kinds.count("end") == 1
    assert completion.status == CompletionStatus.DONE
    assert completion.attempts == 2
    # A viewer replaying everything shows exactly the stored answer, once.
    assert shown_text(entries) == completion.text
    assert completion.text.count("Answer to") == 1


def test_redelivery_of_both_sides_makes_the_battle_ready(openai_server: Any) -> None:
    openai_contenders(openai_server.base_url, "ok", "ok")
    battle = new_battle()
    for codename in ("left-one", "right-one"):
        completion = completion_of(battle, codename)
        _die_mid_stream(completion)
        run_generation(completion.id)

    assert Battle.objects.get(pk=battle.pk).status == BattleStatus.READY


@pytest.mark.django_db(transaction=True)
def test_a_run_that_lost_its_claim_stops_publishing(
    openai_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generation, "CLAIM_CHECK_SECONDS", 0.1)
    battle = bare_battle(*openai_contenders(openai_server.base_url, "slow-0.05", "ok"))
    completion = completion_of(battle, "left-one")
    old_run = threading.Thread(target=_run_and_close, args=(completion.id,))
    old_run.start()
    deadline = time.monotonic() + 10
    while not Completion.objects.filter(pk=completion.pk).exclude(first_token_at=None).exists():
        assert time.monotonic() < deadline, "the first run never streamed"
        time.sleep(0.02)

    # A redelivered task claims the completion while the first run is still alive.
    Completion.objects.filter(pk=completion.pk).update(started_at=timezone.now())
    old_run.join(10)
    published = len(stream_entries(completion))
    time.sleep(0.3)

    completion.refresh_from_db()
    assert not old_run.is_alive()
    assert completion.status == CompletionStatus.STREAMING and completion.text == ""
    entries = stream_entries(completion)
    assert len(entries) == published and "end" not in [e.kind for e in entries]
    # It stopped well before the end of its 30-odd token answer.
    assert len(entries) < 20


def _run_and_close(completion_id: Any) -> None:
    try:
        run_generation(completion_id)
    finally:
        connections.close_all()
