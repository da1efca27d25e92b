"""Reading the battle event stream in tests, the way a browser's EventSource does.

``read_stream`` drives the ASGI view in-process (Django's ``AsyncClient``); ``LiveStream``
reads a real server over HTTP (uvicorn subprocess stacks), reconnecting like a browser.
"""

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient


@dataclass
class Event:
    event: str = "message"
    data: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class Stream:
    status: int
    headers: dict[str, str]
    events: list[Event]
    comments: list[str]
    raw: str
    body: bytes = b""


def parse_events(block: str) -> list[Event]:
    """The event in one SSE block (blank-line separated), if it has one."""
    events: list[Event] = []
    _parse(block, events, [])
    return events


def _parse(block: str, events: list[Event], comments: list[str]) -> None:
    event = Event()
    has_fields = False
    for line in block.split("\n"):
        if line.startswith(":"):
            comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event.event, has_fields = value, True
        elif name == "data":
            event.data, has_fields = json.loads(value), True
        elif name == "id":
            event.id = value
    if has_fields:
        events.append(event)


async def _read(
    cookies: Any, url: str, last_event_id: str, stop: Callable[[list[Event]], bool] | None
) -> Stream:
    client = AsyncClient()
    client.cookies = cookies
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    response = await client.get(url, headers=headers)
    resp_headers = {k.lower(): v for k, v in response.items()}
    if not response.streaming:
        return Stream(response.status_code, resp_headers, [], [], "", response.content)
    events: list[Event] = []
    comments: list[str] = []
    raw = buffer = ""
    iterator = response.streaming_content.__aiter__()
    try:
        async for chunk in iterator:
            text = chunk.decode()
            raw += text
            buffer += text
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                _parse(block, events, comments)
            # The callback may touch the database: run it as sync code.
            if stop is not None and await sync_to_async(stop)(events):
                break
    finally:
        await iterator.aclose()
    return Stream(response.status_code, resp_headers, events, comments, raw)


def read_stream(
    cookies: Any,
    url: str,
    *,
    last_event_id: str = "",
    stop: Callable[[list[Event]], bool] | None = None,
    timeout: float = 30,
) -> Stream:
    """Connect, read events until the server closes (or ``stop`` says so), disconnect."""

    async def bounded() -> Stream:
        return await asyncio.wait_for(_read(cookies, url, last_event_id, stop), timeout)

    # async_to_sync runs the view's database work back on this thread, inside the test's
    # transaction, as Django does for a request.
    return async_to_sync(bounded)()


def replay(events: list[Event]) -> dict[str, str]:
    """The text each side shows after applying the events, as arena.js does."""
    shown = {"a": "", "b": ""}
    for event in events:
        if event.event == "reset":
            shown[event.data["side"]] = ""
        elif event.event == "delta":
            shown[event.data["side"]] += event.data["text"]
    return shown


# --- A real server over HTTP (subprocess stacks) -------------------------------------------


@dataclass
class Connection:
    """One HTTP connection of a ``LiveStream``: its status and how it ended."""

    status: int | None = None
    # "done", "closed" (EOF without done), "dropped: <error>", "refused" (non-200),
    # "timeout" (the hard deadline hit it), "failed: <error>" (could not connect).
    outcome: str = ""
    body: str = ""


class LiveStream:
    """An ``EventSource`` against a running server, read in a background thread.

    It follows the browser's rules: a dropped or closed connection is reopened after
    the server's ``retry`` delay, sending ``Last-Event-ID``; a non-200 answer closes it
    for good, and so does ``done`` (as arena.js closes it). ``timeout`` bounds the whole
    reading, however the server behaves, so a hanging stream fails a test instead of
    hanging it. ``events`` and ``comments`` fill up live: a test can act mid-stream::

        stream = LiveStream(f"{base}/api/battles/{id}/events", cookies=client.cookies)
        stream.start().wait_for(lambda s: len(s.deltas) >= 3, timeout=10)
        ...  # break something
        stream.join()
        assert stream.done and stream.shown == {...}
    """

    def __init__(
        self, url: str, *, cookies: Any = None, timeout: float = 60.0, reconnect: bool = True,
        max_connections: int = 100,
    ) -> None:
        self.url = url
        self.cookies = cookies
        self.timeout = timeout
        self.reconnect = reconnect
        self.max_connections = max_connections
        self.events: list[Event] = []
        # (seconds since start, comment text), e.g. the server's keep-alives.
        self.comments: list[tuple[float, str]] = []
        # (seconds since start, event) for every event, for timing checks.
        self.timeline: list[tuple[float, Event]] = []
        self.connections: list[Connection] = []
        self.done = False
        self.timed_out = False
        self.last_event_id = ""
        self.retry_ms = 3000  # the browser default until the server says otherwise
        self.started_at = 0.0
        self.elapsed = 0.0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True, name="live-sse")

    # -- control ---------------------------------------------------------------------------
    def start(self) -> "LiveStream":
        self.started_at = time.monotonic()
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> "LiveStream":
        """Wait until the stream is over (``done``, refused, or the hard timeout)."""
        limit = self.timeout + 10 if timeout is None else timeout
        self._thread.join(limit)
        if self._thread.is_alive():
            raise AssertionError(f"SSE reader still running after {limit}s: {self.url}")
        return self

    def wait_for(self, predicate: Callable[["LiveStream"], bool], timeout: float) -> bool:
        """Block until ``predicate(self)`` holds (True) or ``timeout`` passes / reading
        ended (whatever the predicate says then)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return predicate(self)
                self._changed.wait(min(left, 0.2))
        return True

    # -- what the page shows ---------------------------------------------------------------
    @property
    def shown(self) -> dict[str, str]:
        return replay(self.events)

    @property
    def deltas(self) -> list[Event]:
        return [e for e in self.events if e.event == "delta"]

    @property
    def ends(self) -> dict[str, str]:
        """Each side's last ``end`` status."""
        return {e.data["side"]: e.data["status"] for e in self.events if e.event == "end"}

    @property
    def keepalives(self) -> list[float]:
        return [at for at, text in self.comments if text == "keepalive"]

    @property
    def statuses(self) -> list[int | None]:
        return [c.status for c in self.connections]

    def describe(self) -> str:
        outcomes = [f"{c.status}:{c.outcome}" for c in self.connections]
        return (
            f"done={self.done} timed_out={self.timed_out} after {self.elapsed:.1f}s, "
            f"connections={outcomes}, ends={self.ends}, "
            f"shown={ {s: len(t) for s, t in self.shown.items()} } chars"
        )

    # -- reading ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._bounded())
        finally:
            self.elapsed = time.monotonic() - self.started_at
            with self._changed:
                self._changed.notify_all()

    async def _bounded(self) -> None:
        try:
            await asyncio.wait_for(self._read_all(), self.timeout)
        except TimeoutError:
            self.timed_out = True
            if self.connections and not self.connections[-1].outcome:
                self.connections[-1].outcome = "timeout"

    async def _read_all(self) -> None:
        timeout = httpx.Timeout(10.0, read=None)  # an EventSource waits on silence forever
        async with httpx.AsyncClient(cookies=self.cookies, timeout=timeout) as client:
            while len(self.connections) < self.max_connections:
                connection = Connection()
                self.connections.append(connection)
                await self._read_one(client, connection)
                if self.done or connection.outcome == "refused" or not self.reconnect:
                    return
                await asyncio.sleep(self.retry_ms / 1000)

    async def _read_one(self, client: httpx.AsyncClient, connection: Connection) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        try:
            async with client.stream("GET", self.url, headers=headers) as response:
                connection.status = response.status_code
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200 or not content_type.startswith(
                    "text/event-stream"
                ):
                    connection.body = (await response.aread()).decode(errors="replace")[:2000]
                    connection.outcome = "refused"
                    return
                buffer = ""
                async for text in response.aiter_text():
                    buffer += text.replace("\r\n", "\n")
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        self._block(block)
                    if self.done:
                        connection.outcome = "done"
                        return
                connection.outcome = "closed"
        except httpx.HTTPError as exc:
            state = "dropped" if connection.status is not None else "failed"
            connection.outcome = f"{state}: {type(exc).__name__}: {exc}"
        except ValueError as exc:  # an event whose data is not JSON: no browser retries
            connection.outcome = f"refused: bad event: {exc}"
            self.reconnect = False

    def _block(self, block: str) -> None:
        at = time.monotonic() - self.started_at
        events: list[Event] = []
        comments: list[str] = []
        _parse(block, events, comments)
        for line in block.split("\n"):
            if line.startswith("retry:") and line[6:].strip().isdigit():
                self.retry_ms = int(line[6:].strip())
        with self._changed:
            self.comments += [(at, c) for c in comments]
            for event in events:
                if event.id is not None:
                    self.last_event_id = event.id
                self.events.append(event)
                self.timeline.append((at, event))
                if event.event == "done":
                    self.done = True
            self._changed.notify_all()
