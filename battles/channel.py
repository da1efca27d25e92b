"""The live token channel: one append-only stream per completion.

Workers ``publish`` entries synchronously; the SSE view ``read``s them asynchronously,
blocking until something new arrives. Entry ids increase within a stream, so a reader
that remembers the last id it saw resumes exactly (the SSE ``Last-Event-ID``).

Production uses Redis Streams (``XADD`` with a length cap and an expiry, ``XREAD
BLOCK``); the embedded mode uses an in-process implementation with the same semantics.
The final text always comes from the database, never from the stream.

Redis may restart under a live stream (it keeps nothing on disk): both sides then get
``ChannelUnavailable`` instead of a crash, and ``publish`` returns the stream's length so
a publisher can tell that the entries before the restart are gone (see
``battles.generation``).
"""

import asyncio
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Protocol, cast

import redis
import redis.asyncio
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

EntryKind = Literal["delta", "thinking", "reset", "end"]
START = "0-0"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: EntryKind
    # Delta text for "delta"; the final status ("done"/"failed") for "end".
    text: str = ""


class ChannelUnavailable(Exception):
    """The token channel cannot be reached right now (Redis down or restarting)."""


def stream_key(completion_id: object) -> str:
    return f"arena:tokens:{completion_id}"


class TokenChannel(Protocol):
    def publish(self, key: str, kind: EntryKind, text: str = "") -> int:
        """Append an entry; the stream's length after it. Raises ``ChannelUnavailable``."""
        ...

    async def read(
        self, cursors: dict[str, str], block_ms: int
    ) -> list[tuple[str, Entry]]:
        """Entries after each key's cursor, waiting up to ``block_ms`` for the first one.

        Raises ``ChannelUnavailable`` when the channel cannot be reached.
        """
        ...

    def delete(self, key: str) -> None: ...


def _id_after(a: str, b: str) -> bool:
    ams, aseq = (int(x) for x in a.split("-"))
    bms, bseq = (int(x) for x in b.split("-"))
    return (ams, aseq) > (bms, bseq)


class MemoryChannel:
    """In-process streams for the embedded mode (one web process runs everything)."""

    def __init__(self) -> None:
        self._streams: dict[str, list[Entry]] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._changed: asyncio.Event | None = None

    def publish(self, key: str, kind: EntryKind, text: str = "") -> int:
        with self._lock:
            self._seq += 1
            stream = self._streams.setdefault(key, [])
            stream.append(Entry(id=f"{self._seq}-0", kind=kind, text=text))
            cap = settings.ARENA_STREAM_MAXLEN
            if len(stream) > cap:
                del stream[:-cap]
            return len(stream)

    def _collect(self, cursors: dict[str, str]) -> list[tuple[str, Entry]]:
        with self._lock:
            return [
                (key, entry)
                for key, cursor in cursors.items()
                for entry in self._streams.get(key, [])
                if _id_after(entry.id, cursor)
            ]

    async def read(self, cursors: dict[str, str], block_ms: int) -> list[tuple[str, Entry]]:
        deadline = time.monotonic() + block_ms / 1000
        while True:
            found = self._collect(cursors)
            if found or time.monotonic() >= deadline:
                return found
            # Publishers run on worker threads; a short poll keeps this loop-agnostic.
            await asyncio.sleep(0.02)

    def delete(self, key: str) -> None:
        with self._lock:
            self._streams.pop(key, None)


# Seconds the socket of a blocking read may stay silent beyond the block itself: a
# reasoning model can keep a stream silent for minutes, and only a read that outlives
# its block is a dead connection.
_READ_TIMEOUT_MARGIN = 10.0
_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisChannel:
    """Redis Streams: ``XADD`` capped and expiring, ``XREAD BLOCK`` from an async client.

    redis-py gives every client a 5 s socket timeout by default; a blocking read gets one
    longer than its block instead (``max_block_ms``), with health checks on idle
    connections, so silence is never mistaken for a dead server.
    """

    def __init__(self, url: str, *, max_block_ms: int) -> None:
        self._url = url
        self.max_block_ms = max_block_ms
        self._sync = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5.0,
            socket_connect_timeout=2.0,
            health_check_interval=30,
            # Ride out a blip; a real outage is the caller's to handle, quickly.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 2),
        )
        # One async client per event loop: redis.asyncio connections are loop-bound.
        self._async: dict[int, redis.asyncio.Redis] = {}

    def publish(self, key: str, kind: EntryKind, text: str = "") -> int:
        # One round trip, no MULTI/EXEC: only this run writes to its stream.
        pipe = self._sync.pipeline(transaction=False)
        pipe.xadd(
            key, {"kind": kind, "text": text}, maxlen=settings.ARENA_STREAM_MAXLEN,
            approximate=True,
        )
        pipe.expire(key, settings.ARENA_STREAM_TTL)
        pipe.xlen(key)
        try:
            _, _, length = pipe.execute()
        except _REDIS_ERRORS as exc:
            raise ChannelUnavailable(str(exc)) from exc
        return int(length)

    def _client(self) -> redis.asyncio.Redis:
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._async:
            self._async[loop_id] = redis.asyncio.Redis.from_url(
                self._url,
                decode_responses=True,
                socket_timeout=self.max_block_ms / 1000 + _READ_TIMEOUT_MARGIN,
                socket_connect_timeout=2.0,
                health_check_interval=30,
            )
        return self._async[loop_id]

    async def read(self, cursors: dict[str, str], block_ms: int) -> list[tuple[str, Entry]]:
        streams: dict[Any, Any] = dict(cursors)
        block = min(max(block_ms, 1), self.max_block_ms)
        try:
            # With decode_responses: [[key, [(entry_id, {"kind": ..., "text": ...}), ...]]]
            reply = await self._client().xread(streams, block=block)
        except _REDIS_ERRORS as exc:
            raise ChannelUnavailable(str(exc)) from exc
        response = cast("list[Any]", reply or [])
        return [
            (key, Entry(id=entry_id, kind=fields["kind"], text=fields.get("text", "")))
            for key, entries in response
            for entry_id, fields in entries
        ]

    def delete(self, key: str) -> None:
        try:
            self._sync.delete(key)
        except _REDIS_ERRORS as exc:
            raise ChannelUnavailable(str(exc)) from exc


@cache
def get_channel() -> TokenChannel:
    if settings.ARENA_CHANNEL == "redis":
        return RedisChannel(
            settings.REDIS_URL, max_block_ms=int(settings.ARENA_SSE_HEARTBEAT * 1000)
        )
    return MemoryChannel()
