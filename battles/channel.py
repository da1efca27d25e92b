"""The live token channel: one append-only stream per completion.

Workers ``publish`` entries synchronously; the SSE view ``read``s them asynchronously,
blocking until something new arrives. Entry ids increase within a stream, so a reader
that remembers the last id it saw resumes exactly (the SSE ``Last-Event-ID``).

Production uses Redis Streams (``XADD`` with a length cap and an expiry, ``XREAD
BLOCK``); the embedded mode uses an in-process implementation with the same semantics.
The final text always comes from the database, never from the stream.
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

EntryKind = Literal["delta", "thinking", "reset", "end"]
START = "0-0"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: EntryKind
    # Delta text for "delta"; the final status ("done"/"failed") for "end".
    text: str = ""


def stream_key(completion_id: object) -> str:
    return f"arena:tokens:{completion_id}"


class TokenChannel(Protocol):
    def publish(self, key: str, kind: EntryKind, text: str = "") -> str: ...

    async def read(
        self, cursors: dict[str, str], block_ms: int
    ) -> list[tuple[str, Entry]]:
        """Entries after each key's cursor, waiting up to ``block_ms`` for the first one."""
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

    def publish(self, key: str, kind: EntryKind, text: str = "") -> str:
        with self._lock:
            self._seq += 1
            entry = Entry(id=f"{self._seq}-0", kind=kind, text=text)
            self._streams.setdefault(key, []).append(entry)
            cap = settings.ARENA_STREAM_MAXLEN
            if len(self._streams[key]) > cap:
                del self._streams[key][:-cap]
        return entry.id

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


class RedisChannel:
    """Redis Streams: ``XADD`` capped and expiring, ``XREAD BLOCK`` from an async client."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._sync = redis.Redis.from_url(url, decode_responses=True)
        # One async client per event loop: redis.asyncio connections are loop-bound.
        self._async: dict[int, redis.asyncio.Redis] = {}

    def publish(self, key: str, kind: EntryKind, text: str = "") -> str:
        pipe = self._sync.pipeline()
        pipe.xadd(
            key, {"kind": kind, "text": text}, maxlen=settings.ARENA_STREAM_MAXLEN,
            approximate=True,
        )
        pipe.expire(key, settings.ARENA_STREAM_TTL)
        entry_id, _ = pipe.execute()
        return str(entry_id)

    def _client(self) -> redis.asyncio.Redis:
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._async:
            self._async[loop_id] = redis.asyncio.Redis.from_url(self._url, decode_responses=True)
        return self._async[loop_id]

    async def read(self, cursors: dict[str, str], block_ms: int) -> list[tuple[str, Entry]]:
        streams: dict[Any, Any] = dict(cursors)
        # With decode_responses: [[key, [(entry_id, {"kind": ..., "text": ...}), ...]], ...]
        reply = await self._client().xread(streams, block=max(block_ms, 1))
        response = cast("list[Any]", reply or [])
        return [
            (key, Entry(id=entry_id, kind=fields["kind"], text=fields.get("text", "")))
            for key, entries in response
            for entry_id, fields in entries
        ]

    def delete(self, key: str) -> None:
        self._sync.delete(key)


@cache
def get_channel() -> TokenChannel:
    if settings.ARENA_CHANNEL == "redis":
        return RedisChannel(settings.REDIS_URL)
    return MemoryChannel()
