"""GET /api/battles/{id}/events: both sides live over one SSE stream, resumable.

The stream-path tests publish to the real token channel (in-process, or Redis when
``REDIS_URL`` is set) exactly as a worker does, so each step is deterministic.
"""

import uuid
from typing import Any

import httpx
import pytest
from django.test import override_settings
from django.utils import timezone

from arena.models import Contender
from battles.channel import get_channel, stream_key
from battles.models import Battle, Completion, CompletionStatus, Turn
from tests.battles.sse_helpers import Event, parse_events, read_stream, replay
from tests.fixtures.server import ArenaServer
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def _battle(client: VoterClient) -> tuple[str, dict[str, Completion]]:
    """The rows start_battle writes, without its on-commit enqueue: the test runs the sides."""
    first, second = Contender.objects.order_by("codename")[:2]
    battle = Battle.objects.create(voter=client.voter, contender_a=first, contender_b=second)
    turn = Turn.objects.create(battle=battle, index=0, prompt="Tell me about owls")
    completions = {
        side: Completion.objects.create(turn=turn, side=side, contender=battle.contender(side))
        for side in "ab"
    }
    return str(battle.id), completions


def _stream_state(completion: Completion, status: str, text: str = "") -> None:
    completion.status = status
    completion.text = text
    completion.save()


def _publish(completion: Completion, kind: Any, text: str = "") -> None:
    get_channel().publish(stream_key(completion.id), kind, text)


def _url(battle_id: str) -> str:
    return f"/api/battles/{battle_id}/events"


def _deltas(events: list[Event]) -> int:
    return sum(1 for e in events if e.event == "delta")


def test_stream_carries_both_sides_then_done(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    for side, parts in (("a", ["Owls ", "hunt ", "at night."]), ("b", ["Hoot", "!"])):
        for part in parts:
            _publish(c[side], "delta", part)
        _publish(c[side], "end", "done")

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.headers["x-accel-buffering"] == "no"
    assert replay(stream.events) == {"a": "Owls hunt at night.", "b": "Hoot!"}
    ends = [e.data for e in stream.events if e.event == "end"]
    assert sorted(ends, key=lambda d: d["side"]) == [
        {"side": "a", "status": "done"},
        {"side": "b", "status": "done"},
    ]
    assert stream.events[-1].event == "done"
    assert all(set(e.data) <= {"side", "text", "status"} for e in stream.events)


def test_thinking_is_forwarded_with_the_side_only(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    # Workers publish no trace; were one ever in the entry, it would not be passed on.
    _publish(c["a"], "thinking", "I am Quibblefrost Ultra by Vexmoor Labs.")
    _publish(c["a"], "delta", "Owls.")
    for side in "ab":
        _publish(c[side], "end", "done")

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    thinking = [e for e in stream.events if e.event == "thinking"]
    assert [e.data for e in thinking] == [{"side": "a"}]
    assert thinking[0].id  # resumable like every other event
    assert "Quibblefrost" not in stream.raw and "Vexmoor" not in stream.raw
    assert replay(stream.events) == {"a": "Owls.", "b": ""}


def test_a_finished_side_is_replayed_from_the_database_without_its_reasoning(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.DONE, f"Answer {side}.")
    Completion.objects.filter(pk=c["a"].pk).update(
        reasoning="I am Quibblefrost Ultra by Vexmoor Labs.", first_reasoning_at=timezone.now()
    )
    _publish(c["a"], "thinking")  # still in the stream, but the side is over

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    assert "thinking" not in [e.event for e in stream.events]
    assert "Quibblefrost" not in stream.raw
    assert replay(stream.events) == {"a": "Answer a.", "b": "Answer b."}


def test_reconnect_with_last_event_id_resumes_without_duplicates(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    _publish(c["a"], "delta", "One ")
    _publish(c["b"], "delta", "Two ")

    first = read_stream(
        voter_client.http.cookies, _url(battle_id), stop=lambda events: _deltas(events) == 2
    )
    last_id = first.events[-1].id
    assert last_id
    _publish(c["a"], "delta", "three")
    _publish(c["b"], "reset")  # the worker restarted side b from scratch
    _publish(c["b"], "delta", "Deux")
    for side in "ab":
        _publish(c[side], "end", "done")
    second = read_stream(voter_client.http.cookies, _url(battle_id), last_event_id=last_id)

    resumed = [e.data.get("text") for e in second.events if e.event == "delta"]
    assert sorted(resumed) == ["Deux", "three"]
    shown = replay(first.events + second.events)
    assert shown == {"a": "One three", "b": "Deux"}
    assert second.events[-1].event == "done"


def test_late_viewer_gets_final_text_from_the_database(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, _ = _battle(voter_client)
    generate(battle_id)
    for completion in Completion.objects.filter(turn__battle_id=battle_id):
        # As if the stream had expired long ago.
        get_channel().delete(stream_key(completion.id))

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    final = {c.side: c.text for c in Completion.objects.filter(turn__battle_id=battle_id)}
    assert all(final.values())
    assert replay(stream.events) == final
    assert stream.events[-1].event == "done"


def test_real_generation_streams_text_equal_to_the_database(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, _ = _battle(voter_client)
    generate(battle_id)
    # A viewer that connected while it streamed: the database still said "streaming".
    Completion.objects.filter(turn__battle_id=battle_id).update(status=CompletionStatus.STREAMING)

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    final = {x.side: x.text for x in Completion.objects.filter(turn__battle_id=battle_id)}
    # Served from the token streams (a catch-up joins each side's deltas into one), not
    # from the database, which would start each side with a reset.
    assert "reset" not in {e.event for e in stream.events}
    assert _deltas(stream.events) == 2
    assert replay(stream.events) == final
    assert stream.events[-1].event == "done"


def test_replay_from_the_database_after_a_partial_read_is_not_duplicated(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    _publish(c["a"], "delta", "Half ")
    first = read_stream(voter_client.http.cookies, _url(battle_id), stop=lambda e: _deltas(e) == 1)
    # Both finish and their streams expire before the viewer reconnects.
    _stream_state(c["a"], CompletionStatus.DONE, "Half and whole.")
    _stream_state(c["b"], CompletionStatus.DONE, "Other side.")
    for side in "ab":
        get_channel().delete(stream_key(c[side].id))

    second = read_stream(
        voter_client.http.cookies, _url(battle_id), last_event_id=first.events[-1].id or ""
    )

    assert replay(first.events + second.events) == {"a": "Half and whole.", "b": "Other side."}


def test_a_side_already_ended_is_not_sent_again(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    _publish(c["a"], "delta", "Done already.")
    _publish(c["a"], "end", "done")
    first = read_stream(
        voter_client.http.cookies,
        _url(battle_id),
        stop=lambda events: any(e.event == "end" for e in events),
    )
    _publish(c["b"], "delta", "Late")
    _publish(c["b"], "end", "done")

    second = read_stream(
        voter_client.http.cookies, _url(battle_id), last_event_id=first.events[-1].id or ""
    )

    assert [e.data["side"] for e in second.events if "side" in e.data] == ["b", "b"]
    assert replay(first.events + second.events) == {"a": "Done already.", "b": "Late"}


@override_settings(ARENA_SSE_HEARTBEAT=0.05)
def test_keepalive_and_a_side_that_failed_without_an_end_entry(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    _stream_state(c["a"], CompletionStatus.DONE, "Fine answer.")
    # Side b's worker died: the row says failed, its stream never got an end entry.
    _stream_state(c["b"], CompletionStatus.STREAMING)
    _publish(c["b"], "delta", "partial")
    seen: list[Event] = []

    def fail_b_after_first_delta(events: list[Event]) -> bool:
        if len(events) > len(seen):
            seen[:] = events
            if any(e.event == "delta" and e.data["side"] == "b" for e in events):
                _stream_state(c["b"], CompletionStatus.FAILED, "partial")
        return False

    stream = read_stream(voter_client.http.cookies, _url(battle_id), stop=fail_b_after_first_delta)

    assert "keepalive" in stream.comments
    assert {"side": "b", "status": "failed"} in [e.data for e in stream.events]
    assert replay(stream.events) == {"a": "Fine answer.", "b": "partial"}
    assert stream.events[-1].event == "done"


def test_only_the_battles_own_voter_may_listen(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, _ = _battle(voter_client)
    stranger = VoterClient()
    stranger.start_session()

    refused = read_stream(stranger.http.cookies, _url(battle_id))
    no_session = read_stream({}, _url(battle_id))
    missing = read_stream(voter_client.http.cookies, _url(str(uuid.uuid4())))

    assert refused.status == 403 and b"detail" in refused.body
    assert no_session.status == 403
    assert missing.status == 404


def test_live_stream_under_uvicorn_matches_the_final_text(arena_server: ArenaServer) -> None:
    """The real ASGI app: answers generated while the stream is read, token by token."""
    with httpx.Client(base_url=arena_server.base_url, timeout=30) as http:
        token = http.get("/api/session").json()["csrf_token"]
        created = http.post(
            "/api/battles", json={"prompt": "Why is the sky blue?"}, headers={"X-CSRFToken": token}
        )
        assert created.status_code == 201, created.text
        battle_id = created.json()["id"]
        events: list[Event] = []
        with http.stream("GET", f"/api/battles/{battle_id}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            buffer = ""
            for text in response.iter_text():
                buffer += text
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    events += parse_events(block)
        final = http.get(f"/api/battles/{battle_id}").json()

    assert events[-1].event == "done"
    assert _deltas(events) > 10
    assert replay(events) == {side: final["turns"][0][side]["text"] for side in "ab"}
    assert final["status"] == "ready"


def test_a_viewer_that_falls_behind_gets_each_sides_backlog_as_one_delta(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id, c = _battle(voter_client)
    for side in "ab":
        _stream_state(c[side], CompletionStatus.STREAMING)
    for part in ("One ", "two ", "three"):
        _publish(c["a"], "delta", part)
    _publish(c["a"], "reset")  # deltas are never joined across a reset
    _publish(c["a"], "delta", "Again")
    for side in "ab":
        _publish(c[side], "end", "done")

    stream = read_stream(voter_client.http.cookies, _url(battle_id))

    assert [(e.event, e.data.get("text")) for e in stream.events if e.data.get("side") == "a"] == [
        ("delta", "One two three"), ("reset", None), ("delta", "Again"), ("end", None),
    ]
    # The joined delta carries the id of its last entry, so a reconnect resumes after it.
    assert replay(stream.events)["a"] == "Again"
