"""The live stream of a battle: both sides' tokens over one server-sent event stream.

Routed as ``GET /api/battles/{id}/events`` (``battles.api``). Events are labelled only
``a`` and ``b``; the composite event id lets a reconnecting browser resume exactly.
"""

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from arena.db import release_connection
from battles import actions
from battles.channel import START, ChannelUnavailable, Entry, get_channel, stream_key
from battles.models import Completion, CompletionStatus
from battles.voters import aget_existing_voter

logger = logging.getLogger(__name__)

SIDES = ("a", "b")
# Pause before asking an unreachable token channel again (the page keeps its keepalives).
CHANNEL_RETRY_SECONDS = 1.0
# A side whose end the client already has; part of the composite event id.
ENDED = "end"
_STREAM_ID = re.compile(r"^\d+-\d+$")


def parse_last_event_id(value: str, turn_index: int) -> dict[str, str]:
    """Cursors from a composite id ``"<turn>:<a cursor>,<b cursor>"``; unknown -> start."""
    fresh = {side: START for side in SIDES}
    turn, _, cursors = value.partition(":")
    parts = cursors.split(",")
    if turn != str(turn_index) or len(parts) != 2:
        return fresh
    if not all(p == ENDED or _STREAM_ID.match(p) for p in parts):
        return fresh
    return dict(zip(SIDES, parts, strict=True))


def _event(event: str, data: dict[str, str], turn_index: int, cursors: dict[str, str]) -> str:
    event_id = f"{turn_index}:{cursors['a']},{cursors['b']}"
    return f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data)}\n\n"


class BattleEventStream:
    """The SSE body for the latest turn: stream entries, or the database once a side ended.

    Workers publish ``delta``/``thinking``/``reset``/``end`` entries per completion; only
    a ``delta`` carries text (``thinking`` says that a side reasons, never what). A side
    that had already finished when we look (its stream may have expired) is sent from the
    database as ``reset`` + its whole answer + ``end``, never its reasoning; the reset
    makes a replay after a reconnect idempotent, so the client never shows text twice.

    A stream may stay silent for minutes (a reasoning model thinking): every heartbeat
    it sends a keepalive comment and asks the database whether a side ended without an
    end entry. It holds no database connection in between, and rides out a token channel
    outage the same way -- keepalives, and the database for the ends.
    """

    def __init__(
        self, turn_index: int, completions: dict[str, Completion], cursors: dict[str, str]
    ):
        self.turn_index = turn_index
        self.completions = completions
        # A side without a completion (a direct chat has only a) counts as ended.
        self.cursors = {side: cursors[side] if side in completions else ENDED for side in SIDES}
        self.keys = {stream_key(c.id): side for side, c in completions.items()}
        self.open = {side for side in SIDES if self.cursors[side] != ENDED}

    async def __aiter__(self) -> AsyncIterator[str]:
        channel = get_channel()
        heartbeat_ms = int(settings.ARENA_SSE_HEARTBEAT * 1000)
        yield "retry: 1000\n\n"  # reconnect quickly after a dropped connection
        for side in sorted(self.open):
            if self.completions[side].is_finished:
                for chunk in self._from_database(side, self.completions[side]):
                    yield chunk
        while self.open:
            cursors = {stream_key(self.completions[s].id): self.cursors[s] for s in self.open}
            try:
                entries = await channel.read(cursors, block_ms=heartbeat_ms)
            except ChannelUnavailable as exc:
                logger.warning("token channel unavailable for a live stream: %s", exc)
                await asyncio.sleep(CHANNEL_RETRY_SECONDS)
                entries = []
            if not entries:
                yield ": keepalive\n\n"
                # An end that never came (dead worker, expired stream): ask the database.
                for chunk in await self._finished_in_database():
                    yield chunk
                continue
            # One write for everything this read brought, deltas of a side joined.
            chunks: list[str] = []
            for key, entry in _coalesced(entries):
                side = self.keys[key]
                if side not in self.open:
                    continue
                if entry.kind == "end":
                    self.open.discard(side)
                    self.cursors[side] = ENDED
                    chunks.append(self._emit("end", {"side": side, "status": entry.text}))
                else:
                    self.cursors[side] = entry.id
                    data = (
                        {"side": side, "text": entry.text}
                        if entry.kind == "delta"
                        else {"side": side}
                    )
                    chunks.append(self._emit(entry.kind, data))
            if chunks:
                yield "".join(chunks)
        yield self._emit("done", {})

    def _emit(self, event: str, data: dict[str, str]) -> str:
        return _event(event, data, self.turn_index, self.cursors)

    def _from_database(self, side: str, completion: Completion) -> list[str]:
        chunks = [self._emit("reset", {"side": side})]
        if completion.text:
            chunks.append(self._emit("delta", {"side": side, "text": completion.text}))
        self.open.discard(side)
        self.cursors[side] = ENDED
        chunks.append(self._emit("end", {"side": side, "status": completion.status}))
        return chunks

    async def _finished_in_database(self) -> list[str]:
        ids = [self.completions[side].id for side in sorted(self.open)]
        finished = await sync_to_async(_finished_completions)(ids)
        chunks: list[str] = []
        for side in sorted(self.open):
            completion = finished.get(self.completions[side].id)
            if completion is None:
                continue
            # The end entry may be published just after the row is saved: last look.
            if await _unread_entries(stream_key(completion.id), self.cursors[side]):
                continue
            chunks.extend(self._from_database(side, completion))
        return chunks


def _coalesced(entries: list[tuple[str, Entry]]) -> list[tuple[str, Entry]]:
    """``entries`` with each run of deltas on one stream joined into one (the last id):
    a viewer that fell behind catches up in one event instead of hundreds."""
    joined: list[tuple[str, Entry]] = []
    for key, entry in entries:
        if joined and entry.kind == "delta":
            last_key, last = joined[-1]
            if last_key == key and last.kind == "delta":
                joined[-1] = (key, Entry(id=entry.id, kind="delta", text=last.text + entry.text))
                continue
        joined.append((key, entry))
    return joined


def _finished_completions(ids: list[UUID]) -> dict[UUID, Completion]:
    """The finished ones among ``ids``, read on a connection given back at once."""
    try:
        rows = Completion.objects.filter(
            id__in=ids, status__in=(CompletionStatus.DONE, CompletionStatus.FAILED)
        )
        return {completion.id: completion for completion in rows}
    finally:
        release_connection()


async def _unread_entries(key: str, cursor: str) -> list[tuple[str, Entry]]:
    try:
        return await get_channel().read({key: cursor}, block_ms=0)
    except ChannelUnavailable:
        return []  # nothing more will come through it: the database has the answer


def _latest_turn(battle_id: UUID, voter: str) -> tuple[int, dict[str, Completion]] | None:
    """The latest turn's index and completions by side; the connection is given back
    before the stream starts, which may last minutes."""
    try:
        battle = actions.get_battle(battle_id=battle_id, voter=voter)
        turns = list(battle.turns.all())
        if not turns:
            return None
        turn = max(turns, key=lambda t: t.index)
        return turn.index, {c.side: c for c in turn.completions.all()}
    finally:
        release_connection()


async def battle_events(request: HttpRequest, battle_id: UUID) -> HttpResponseBase:
    """``text/event-stream`` of the latest turn (routed as ``/api/battles/{id}/events``)."""
    voter = await aget_existing_voter(request)
    latest = await sync_to_async(_latest_turn)(battle_id, voter)
    if latest is None:
        return HttpResponse(status=204)
    turn_index, completions = latest
    cursors = parse_last_event_id(request.headers.get("Last-Event-ID", ""), turn_index)
    response = StreamingHttpResponse(
        BattleEventStream(turn_index, completions, cursors).__aiter__(),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
