"""Faults on production parts, one test each: uvicorn and a Celery worker (with beat) on
real PostgreSQL and Redis, contenders on a real OpenAI-protocol server.

Whatever breaks, a voter is promised (``FaultStack.check_promises``): no 5xx answer (503
only while the database is down), no crashed response, every accepted vote stored, no
battle left generating past the housekeeping margin; and the page's event stream always
ends — with exactly the stored text for every answer that finished.
"""

import time
from typing import Any

import pytest

from battles.models import BattleStatus, CompletionStatus
from tests.battles.sse_helpers import LiveStream
from tests.fixtures.faults import FaultStack

pytestmark = [pytest.mark.postgres]


def _assert_stream_matches_database(stream: LiveStream, stack: FaultStack, battle_id: str) -> None:
    """The stream ended; a finished answer shows its stored text, a failed one its reason."""
    assert stream.done, f"{stream.describe()}\n{stack.log('web')[-3000:]}"
    for side, completion in stack.completions(battle_id).items():
        assert completion.status in (CompletionStatus.DONE, CompletionStatus.FAILED)
        assert stream.ends.get(side) == completion.status, stream.describe()
        if completion.status == CompletionStatus.DONE:
            assert stream.shown[side] == completion.text
        else:
            assert completion.error, "a failed completion keeps its reason"


def _assert_battle_works(stack: FaultStack, timeout: float = 30) -> None:
    """A fresh voter can start a battle, watch both answers and vote."""
    stack.assert_running()
    client = stack.client()
    battle_id = client.new_battle("Name two lakes.")
    stream = client.watch(battle_id, timeout=timeout)
    assert stream.ends == {"a": "done", "b": "done"}, stream.describe()
    _assert_stream_matches_database(stream, stack, battle_id)
    vote = client.vote(battle_id, "b")
    assert vote.status_code == 200, vote.text


def test_redis_restart_mid_stream_ends_every_stream(
    fault_stack: FaultStack, openai_server: Any
) -> None:
    # given a battle ready for its vote, and two answers streaming through the stack's Redis
    fault_stack.add_contenders(openai_server.base_url, "slow-0.1", "slow-0.1")
    fault_stack.start()
    client = fault_stack.client()
    ready = client.new_battle("Name a sea.")
    assert client.watch(ready, timeout=30).done
    battle_id = client.new_battle()
    stream = client.follow(battle_id, timeout=fault_stack.stuck_limit() + 10)
    assert stream.wait_for(lambda s: len(s.deltas) >= 4, timeout=20), stream.describe()

    # when Redis goes down mid-answer (and comes back empty: queue, streams, cache lost)
    fault_stack.redis.stop()
    # then a vote still counts meanwhile: it needs PostgreSQL only
    during = client.vote(ready, "b")
    assert during.status_code == 200, during.text
    fault_stack.redis.start()

    # then the page's stream still ends, in bounded time, with no text shown twice
    stream.join()
    assert not stream.timed_out, stream.describe()
    _assert_stream_matches_database(stream, fault_stack, battle_id)
    battle = fault_stack.wait_settled(battle_id, timeout=fault_stack.stuck_limit())
    vote = client.vote(battle_id, "a")
    expected = 200 if battle.status == BattleStatus.READY else 409
    assert vote.status_code == expected, (battle.status, vote.text)
    # and battles work again once Redis is back
    _assert_battle_works(fault_stack)
    fault_stack.check_promises()


# Every API request while the database is down must answer a clean 503.
# Requests that need the database (a returning session is read from Redis, so
# GET /api/session alone may still succeed while PostgreSQL is down).
_PROBES = [
    ("GET", "/api/battles/{battle}"),
    ("POST", "/api/battles"),
    ("POST", "/api/battles/{battle}/vote"),
    ("GET", "/api/leaderboard"),
]


def test_postgres_restart_mid_battle_answers_503_then_recovers(
    fault_stack_private_pg: FaultStack, openai_server: Any
) -> None:
    stack = fault_stack_private_pg
    assert stack.postgres is not None
    stack.configure(ARENA_GENERATION_TIMEOUT=8, ARENA_STUCK_MARGIN=2)
    stack.add_contenders(openai_server.base_url, "slow-0.1", "slow-0.1")
    stack.start()
    client = stack.client()
    # given a battle already voted on, and one whose answers are streaming
    voted = client.new_battle("Name a sea.")
    assert client.watch(voted, timeout=30).done
    assert client.vote(voted, "a").status_code == 200
    streaming = client.new_battle()
    viewer = client.follow(streaming, timeout=stack.stuck_limit() + 15)
    assert viewer.wait_for(lambda s: len(s.deltas) >= 4, timeout=20), viewer.describe()

    # when PostgreSQL goes down for a few seconds
    stack.postgres.stop()
    down_at = time.monotonic()
    answers = {}
    for method, path in _PROBES:
        url = path.format(battle=streaming)
        body = {"prompt": "Are you there?"} if path == "/api/battles" else {"outcome": "a"}
        response = client.get(url) if method == "GET" else client.post(url, body)
        answers[f"{method} {path}"] = response
    time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))
    stack.postgres.start()

    # then every request that needed it meanwhile got a clean 503 in JSON, no traceback
    for probe, response in answers.items():
        assert response.status_code == 503, (probe, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("application/json"), probe
        assert response.json().get("detail"), probe
    # and the battle that was streaming settles: done, or failed with its reason
    stack.wait_settled(streaming, timeout=stack.stuck_limit() + 5)
    viewer.join()
    assert not viewer.timed_out, viewer.describe()
    assert viewer.done or viewer.statuses[-1] == 503, viewer.describe()
    reloaded = client.watch(streaming, timeout=20)
    _assert_stream_matches_database(reloaded, stack, streaming)
    # and the same processes serve new battles and votes; the earlier vote is kept
    _assert_battle_works(stack)
    assert all(p.poll() is None for p in stack.stack.processes.values()), "a process died"
    stack.check_promises(allowed={503})


def test_hanging_backend_fails_within_the_deadline(
    fault_stack: FaultStack, openai_server: Any
) -> None:
    # given one contender whose server never answers
    fault_stack.configure(ARENA_FIRST_TOKEN_TIMEOUT=2, ARENA_GENERATION_TIMEOUT=5)
    fault_stack.add_contenders(openai_server.base_url, "hang", "ok")
    fault_stack.start()
    client = fault_stack.client()

    # when a voter starts a battle and watches it
    battle_id = client.new_battle()
    stream = client.watch(battle_id, timeout=fault_stack.stuck_limit() + 5)

    # then the hanging side fails with a timeout, within the generation deadline
    hung = fault_stack.completions(battle_id)[fault_stack.scenario_sides(battle_id)["hang"]]
    battle = fault_stack.battle(battle_id)
    assert hung.status == CompletionStatus.FAILED and "timed out" in hung.error, hung.error
    assert hung.finished_at is not None
    took = (hung.finished_at - battle.created_at).total_seconds()
    assert took <= 5 + 3, f"failed after {took:.1f}s, deadline 5s"
    assert battle.status == BattleStatus.FAILED
    # and the stream ended, and the battle cannot be voted on
    _assert_stream_matches_database(stream, fault_stack, battle_id)
    vote = client.vote(battle_id, "a")
    assert vote.status_code == 409 and vote.json()["detail"], vote.text
    fault_stack.check_promises()


def test_cut_stream_fails_with_its_reason(fault_stack: FaultStack, openai_server: Any) -> None:
    # given one contender whose stream ends mid-answer without a finish
    fault_stack.add_contenders(openai_server.base_url, "cut", "ok")
    fault_stack.start()
    client = fault_stack.client()

    battle_id = client.new_battle()
    stream = client.watch(battle_id, timeout=30)

    cut = fault_stack.completions(battle_id)[fault_stack.scenario_sides(battle_id)["cut"]]
    assert cut.status == CompletionStatus.FAILED, cut.status
    assert "without a finish" in cut.error, cut.error
    assert fault_stack.battle(battle_id).status == BattleStatus.FAILED
    _assert_stream_matches_database(stream, fault_stack, battle_id)
    assert client.vote(battle_id, "a").status_code == 409
    fault_stack.check_promises()


def test_one_megabyte_answer_streams_whole(fault_stack: FaultStack, openai_server: Any) -> None:
    # given one contender answering 1 MB
    fault_stack.add_contenders(openai_server.base_url, "big-1024", "ok")
    fault_stack.start()
    client = fault_stack.client()

    battle_id = client.new_battle()
    stream = client.watch(battle_id, timeout=60)

    side = fault_stack.scenario_sides(battle_id)["big-1024"]
    big = fault_stack.completions(battle_id)[side]
    assert big.status == CompletionStatus.DONE, big.error
    assert len(big.text) == 1024 * 1024
    assert stream.ends == {"a": "done", "b": "done"}, stream.describe()
    _assert_stream_matches_database(stream, fault_stack, battle_id)
    assert client.vote(battle_id, "tie").status_code == 200
    fault_stack.check_promises()
