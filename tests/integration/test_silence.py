"""Backends that go silent for longer than a Redis client's default socket timeout.

A reasoning model may think for a long time before its first visible token, and any model
may pause mid-answer. On production parts (uvicorn, a Celery worker, Redis Streams,
PostgreSQL) the live stream must ride out that silence: stay open with keep-alives, then
end with ``done`` and exactly the text the database holds.
"""

from itertools import pairwise
from typing import Any

import pytest

from battles.models import CompletionStatus
from tests.fixtures.faults import ASGI_CRASH, FaultStack

pytestmark = [pytest.mark.postgres]

# Longer than redis-py's default socket timeout (5 s) ...
SILENCE = 8
# ... and so is the SSE view's blocking read; a keep-alive still comes inside the silence.
HEARTBEAT = 6


def test_silent_backends_keep_the_stream_open_until_done(
    fault_stack: FaultStack, openai_server: Any
) -> None:
    # given one contender silent before its first token and one silent mid-answer
    fault_stack.configure(
        ARENA_SSE_HEARTBEAT=HEARTBEAT, ARENA_FIRST_TOKEN_TIMEOUT=30, ARENA_IDLE_TIMEOUT=30,
        ARENA_GENERATION_TIMEOUT=60,
    )
    fault_stack.add_contenders(openai_server.base_url, f"think-{SILENCE}", f"pause-{SILENCE}")
    fault_stack.start()
    client = fault_stack.client()

    # when a voter starts a battle and follows it live
    battle_id = client.new_battle("Think hard, then answer.")
    stream = client.watch(battle_id, timeout=SILENCE + 25)

    # then one connection carried the whole battle, kept alive through the silence
    assert stream.done, f"{stream.describe()}\n{fault_stack.log('web')[-4000:]}"
    assert len(stream.connections) == 1, stream.describe()
    assert stream.ends == {"a": "done", "b": "done"}, stream.describe()
    sides = fault_stack.scenario_sides(battle_id)
    thinker, pauser = sides[f"think-{SILENCE}"], sides[f"pause-{SILENCE}"]
    first_thought = next(
        at for at, e in stream.timeline if e.event == "delta" and e.data["side"] == thinker
    )
    assert first_thought >= SILENCE - 1.5, "the thinking contender answered too early"
    assert any(at < first_thought for at in stream.keepalives), stream.comments
    pauser_times = [
        at for at, e in stream.timeline if e.event == "delta" and e.data["side"] == pauser
    ]
    assert max(b - a for a, b in pairwise(pauser_times)) >= SILENCE - 1, "no pause mid-answer"
    # and what streamed is exactly what PostgreSQL holds
    completions = fault_stack.completions(battle_id)
    for side in ("a", "b"):
        assert completions[side].status == CompletionStatus.DONE, completions[side].error
        assert stream.shown[side] == completions[side].text
    assert "Counting:" in completions[pauser].text
    # and the battle can be voted on; no response crashed
    assert client.vote(battle_id, "tie").status_code == 200
    assert ASGI_CRASH not in fault_stack.log("web")
    fault_stack.check_promises()
