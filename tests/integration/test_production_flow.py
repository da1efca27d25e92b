"""The whole battle on production parts: uvicorn + Celery worker processes, PostgreSQL,
Redis Streams, and a real OpenAI-protocol server standing in for the providers."""

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from battles.channel import stream_key
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Vote
from tests.fixtures.production import Stack

pytestmark = [pytest.mark.postgres]


def _add_contenders(base_url: str, scenario: str) -> None:
    call_command(
        "add_contender", "chocolate", "--backend", "openai", "--base-url", base_url,
        "--provider-model", scenario, "--public-name", "Hazelnut Large",
        "--organisation", "Nutco",
    )
    call_command(
        "add_contender", "vanilla", "--backend", "openai", "--base-url", base_url,
        "--provider-model", scenario,
    )


def _session(client: httpx.Client) -> None:
    token = client.get("/api/session").json()["csrf_token"]
    client.headers["X-CSRFToken"] = token


def _read_events(client: httpx.Client, battle_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with client.stream("GET", f"/api/battles/{battle_id}/events", timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                yield event, json.loads(line.split(":", 1)[1])


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_battle_streams_votes_and_reveals_on_production_parts(
    production_stack: Stack, openai_server: Any
) -> None:
    # given two OpenAI-compatible contenders, a web process and a worker process
    _add_contenders(openai_server.base_url, "ok")
    production_stack.start_worker()
    production_stack.start_web()

    with httpx.Client(base_url=production_stack.base_url, timeout=30) as client:
        _session(client)
        # when a voter starts a battle and follows it live
        created = client.post("/api/battles", json={"prompt": "Name three rivers."})
        assert created.status_code == 201, created.text
        battle_id = created.json()["id"]
        streamed = {"a": "", "b": ""}
        ended = set()
        for event, data in _read_events(client, battle_id):
            if event == "delta":
                streamed[data["side"]] += data["text"]
            elif event == "end":
                ended.add((data["side"], data["status"]))
        state = client.get(f"/api/battles/{battle_id}").json()
        vote = client.post(f"/api/battles/{battle_id}/vote", json={"outcome": "a"})

    # then both answers streamed in full, equal to what PostgreSQL holds
    assert ended == {("a", "done"), ("b", "done")}
    assert state["status"] == "ready"
    for side in ("a", "b"):
        stored = Completion.objects.get(turn__battle_id=battle_id, turn__index=0, side=side)
        assert stored.status == CompletionStatus.DONE
        assert stored.text and streamed[side] == stored.text == state["turns"][0][side]["text"]
        assert stored.first_token_at is not None and stored.finished_at is not None
    # and the vote landed in PostgreSQL and revealed the right names
    assert vote.status_code == 200, vote.text
    battle = Battle.objects.select_related("contender_a", "contender_b").get(id=battle_id)
    assert battle.status == BattleStatus.VOTED
    assert Vote.objects.get(battle=battle).outcome == "a"
    expected = {"chocolate": "Hazelnut Large", "vanilla": "vanilla"}
    assert vote.json()["a"]["name"] == expected[battle.contender_a.codename]
    assert vote.json()["b"]["name"] == expected[battle.contender_b.codename]
    # and the live tokens went through Redis Streams
    r = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    completion = Completion.objects.get(turn__battle_id=battle_id, side="a")
    assert r.xlen(stream_key(completion.id)) > 1


def test_killed_worker_task_is_redelivered_without_duplicated_text(
    production_stack: Stack, openai_server: Any
) -> None:
    # given slow answers and a worker that dies mid-stream
    _add_contenders(openai_server.base_url, "slow")
    production_stack.start_worker("first")
    production_stack.start_web()
    with httpx.Client(base_url=production_stack.base_url, timeout=30) as client:
        _session(client)
        battle_id = client.post("/api/battles", json={"prompt": "Count slowly."}).json()["id"]
        _wait(
            lambda: Completion.objects.filter(
                turn__battle_id=battle_id, status=CompletionStatus.STREAMING
            ).exclude(first_token_at=None).count() == 2,
            30, "both sides streaming",
        )
        time.sleep(0.5)
        production_stack.kill("first")

        # when another worker starts once the tasks are past the visibility timeout (a
        # worker takes such unacknowledged tasks back when it starts)
        time.sleep(float(production_stack.env["ARENA_VISIBILITY_TIMEOUT"]))
        production_stack.start_worker("second")
        try:
            _wait(
                lambda: Completion.objects.filter(
                    turn__battle_id=battle_id, status=CompletionStatus.DONE
                ).count() == 2,
                90, "redelivered generations to finish",
            )
        except AssertionError as exc:
            states = list(
                Completion.objects.filter(turn__battle_id=battle_id).values(
                    "side", "status", "error", "attempts"
                )
            )
            raise AssertionError(
                f"{exc}: {states}\n{production_stack.log('second')[-3000:]}"
            ) from None

        # then a viewer replaying the stream ends with exactly the stored text
        shown = {"a": "", "b": ""}
        resets = 0
        for event, data in _read_events(client, battle_id):
            if event == "delta":
                shown[data["side"]] += data["text"]
            elif event == "reset":
                shown[data["side"]] = ""
                resets += 1
    assert resets >= 1
    for side in ("a", "b"):
        stored = Completion.objects.get(turn__battle_id=battle_id, side=side)
        assert shown[side] == stored.text
        assert stored.attempts >= 2
