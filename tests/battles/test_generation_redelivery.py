"""A task redelivered after its worker died mid-stream restarts cleanly: reset, no duplicates."""

from typing import Any

import pytest
from django.utils import timezone

from battles.channel import get_channel, stream_key
from battles.generation import run_generation
from battles.models import Battle, BattleStatus, Completion, CompletionStatus
from tests.battles.generation_helpers import (
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
