"""On a follow-up turn each side sees the earlier prompts and only its own answers."""

from typing import Any

import pytest
from django.test import override_settings

from arena.models import BackendKind
from battles.actions import add_turn
from battles.generation import run_generation
from battles.models import Completion, CompletionStatus
from tests.battles.generation_helpers import (
    completion_of,
    make_contender,
    new_battle,
    openai_contenders,
)

pytestmark = pytest.mark.django_db


def _messages(server: Any) -> list[list[tuple[str, str]]]:
    return [[(m["role"], m["content"]) for m in r.body["messages"]] for r in server.requests]


def test_follow_up_sends_each_side_its_own_history(openai_server: Any) -> None:
    openai_contenders(openai_server.base_url, "ok", "ok")
    battle = new_battle("First question?")
    for codename in ("left-one", "right-one"):
        run_generation(completion_of(battle, codename).id)
    # Make the two first answers tell apart, as two real models would.
    Completion.objects.filter(contender__codename="left-one").update(text="LEFT says hi")
    Completion.objects.filter(contender__codename="right-one").update(text="RIGHT says yo")
    openai_server.reset()

    add_turn(battle_id=battle.id, voter=battle.voter, prompt="Second question?")
    run_generation(completion_of(battle, "left-one", turn=1).id)
    run_generation(completion_of(battle, "right-one", turn=1).id)

    left, right = sorted(
        _messages(openai_server), key=lambda msgs: "LEFT" not in msgs[1][1]
    )
    assert left == [
        ("user", "First question?"), ("assistant", "LEFT says hi"), ("user", "Second question?")
    ]
    assert right == [
        ("user", "First question?"), ("assistant", "RIGHT says yo"), ("user", "Second question?")
    ]
    answer = completion_of(battle, "left-one", turn=1)
    assert answer.status == CompletionStatus.DONE
    assert answer.text.startswith("Answer to user turn 2 of 3 messages")


@override_settings(ARENA_DEMO_TOKEN_DELAY=0)
def test_system_prompt_and_params_come_from_the_contender(anthropic_server: Any) -> None:
    make_contender(
        "claude-like", backend=BackendKind.ANTHROPIC, base_url=anthropic_server.base_url,
        provider_model="ok", params={"system_prompt": "Be brief", "max_tokens": 200},
    )
    make_contender("other-demo")
    battle = new_battle("Hello there")

    run_generation(completion_of(battle, "claude-like").id)

    body = anthropic_server.requests[-1].body
    assert body["system"] == "Be brief" and body["max_tokens"] == 200
    assert body["messages"] == [{"role": "user", "content": "Hello there"}]
    answer = completion_of(battle, "claude-like")
    assert answer.status == CompletionStatus.DONE and "System: Be brief" in answer.text
