"""Reading the battle event stream in tests, the way a browser's EventSource does."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
