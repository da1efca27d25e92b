"""The load: simultaneous voters on one event loop, each with its own cookie jar.

A voter opens a session, then per battle ``POST /api/battles``, follows
``GET /api/battles/{id}/events`` (SSE) to ``done`` and votes; beside each battle of the
first ``direct_voters`` voters the same request goes straight to the fake backend, at
the same moment, so both see the same load. ``Tally`` counts what the voters saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

PROMPT = "Name three rivers."
# Each battle's prompt is its own, as in real traffic: one prompt for all would put every
# vote past the duplicate cap (and measure that instead).
_BATTLE_NUMBERS = itertools.count(1)
OUTCOMES = ("a", "b", "tie", "bothbad")


@dataclass
class LoadConfig:
    base_url: str
    fake_url: str
    model: str
    max_tokens: int | None
    duration: float
    max_battles_per_voter: int
    battle_timeout: float
    level_timeout: float
    direct_voters: int
    read_timeout: float
    redis_url: str


class Tally:
    """What the voters of one level saw (single event loop: no locks needed)."""

    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.errors_5xx = 0
        self.dropped = 0
        self.requests = 0
        self.started = 0
        self.completed = 0
        self.sessions_failed = 0
        self.arena_ttft: list[float] = []
        # (arena TTFT, TTFT of the direct call started beside that battle)
        self.pairs: list[tuple[float, float]] = []
        self.direct_ttft: list[float] = []
        self.direct_failures: Counter[str] = Counter()
        self.battle_seconds: list[float] = []
        self.accepted: list[str] = []
        # (battle id, wall clock just before its POST, wall clock at its first delta)
        self.timeline: list[tuple[str, float, float]] = []

    def fail(self, kind: str, example: str = "") -> None:
        self.failures[kind] += 1
        if example and kind not in self.examples:
            self.examples[kind] = example[:300]

    def response(self, what: str, response: httpx.Response, expected: int) -> bool:
        """Count the request; record a failure unless its status is ``expected``."""
        return self.status(what, response.status_code, response.text, expected)

    def status(self, what: str, status: int, text: str, expected: int) -> bool:
        self.requests += 1
        if status >= 500:
            self.errors_5xx += 1
        if status == expected:
            return True
        self.fail(f"{what} HTTP {status}", text)
        return False


def exception_kind(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"timeout ({type(exc).__name__})"
    return type(exc).__name__


def direct_body(config: LoadConfig) -> dict[str, Any]:
    """The request the worker sends the backend (see ``arena.backends.openai_compat``)."""
    body: dict[str, Any] = {
        "model": config.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if config.max_tokens:
        body["max_tokens"] = config.max_tokens
    return body


async def direct_probe(client: httpx.AsyncClient, config: LoadConfig, tally: Tally) -> float | None:
    """Seconds from just before the request to the first answer text, reading to the end."""
    t0 = time.perf_counter()
    first: float | None = None
    try:
        async with asyncio.timeout(config.battle_timeout):
            async with client.stream(
                "POST", f"{config.fake_url}/chat/completions", json=direct_body(config)
            ) as response:
                if response.status_code != 200:
                    tally.direct_failures[f"HTTP {response.status_code}"] += 1
                    return None
                async for line in response.aiter_lines():
                    if first is not None or not line.startswith("data: {"):
                        continue
                    chunk = json.loads(line[6:])
                    if any((c.get("delta") or {}).get("content") for c in chunk["choices"]):
                        first = time.perf_counter() - t0
    except Exception as exc:
        tally.direct_failures[exception_kind(exc)] += 1
        return None
    if first is None:
        tally.direct_failures["no answer text"] += 1
    else:
        tally.direct_ttft.append(first)
    return first


async def read_events(
    client: httpx.AsyncClient, battle_id: str, config: LoadConfig, tally: Tally, t0: float
) -> tuple[bool | None, float | None, dict[str, str]]:
    """Follow the SSE stream: (got ``done``, time to first delta, end status per side);
    ``None`` for ``done`` when the stream was refused (already counted as a failure).

    Only ``end`` payloads are decoded (``tests/battles/sse_helpers.py`` decodes every
    event, which would cost the client CPU under load)."""
    first: float | None = None
    ends: dict[str, str] = {}
    timeout = httpx.Timeout(10.0, read=config.read_timeout)
    async with client.stream(
        "GET", f"/api/battles/{battle_id}/events", timeout=timeout
    ) as response:
        if response.status_code != 200:
            await response.aread()
            tally.response("events", response, 200)
            return None, None, ends
        tally.requests += 1
        event, data = "", ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = line[5:].strip()
            elif line == "" and event:
                if event == "delta" and first is None:
                    first = time.perf_counter() - t0
                elif event == "end":
                    payload = json.loads(data)
                    ends[payload["side"]] = payload["status"]
                elif event == "done":
                    return True, first, ends
                event, data = "", ""
    return False, first, ends


async def create_battle(client: httpx.AsyncClient) -> httpx.Response:
    prompt = f"{PROMPT} (battle {next(_BATTLE_NUMBERS)})"
    return await client.post("/api/battles", json={"prompt": prompt})


async def vote(client: httpx.AsyncClient, battle_id: str) -> httpx.Response:
    """A random outcome for ``battle_id``."""
    return await client.post(
        f"/api/battles/{battle_id}/vote", json={"outcome": random.choice(OUTCOMES)}
    )


async def one_battle(
    client: httpx.AsyncClient, config: LoadConfig, tally: Tally, direct: httpx.AsyncClient | None
) -> None:
    tally.started += 1
    probe = asyncio.create_task(direct_probe(direct, config, tally)) if direct else None
    stage = "create"
    try:
        async with asyncio.timeout(config.battle_timeout):
            wall0 = time.time()
            t0 = time.perf_counter()
            created = await create_battle(client)
            if not tally.response("create", created, 201):
                return
            battle_id = created.json()["id"]
            stage = "events"
            try:
                done, first, ends = await read_events(client, battle_id, config, tally, t0)
            except (httpx.TransportError, httpx.StreamError) as exc:
                tally.dropped += 1
                tally.fail(f"stream dropped ({exception_kind(exc)})", repr(exc))
                return
            if done is None:
                return
            if not done:
                tally.dropped += 1
                tally.fail("stream ended without done")
                return
            if first is not None:
                tally.arena_ttft.append(first)
                tally.timeline.append((battle_id, wall0, wall0 + first))
                if probe is not None:
                    direct_first = await probe
                    probe = None
                    if direct_first is not None:
                        tally.pairs.append((first, direct_first))
            if set(ends.values()) != {"done"}:
                tally.fail("answer failed", json.dumps(ends))
                return
            stage = "vote"
            voted = await vote(client, battle_id)
            if not tally.response("vote", voted, 200):
                return
            tally.accepted.append(battle_id)
            tally.completed += 1
            tally.battle_seconds.append(time.perf_counter() - t0)
    except asyncio.CancelledError:
        tally.fail(f"{stage}: cancelled at the level timeout")
        raise
    except TimeoutError:
        tally.fail(f"{stage}: battle timeout ({config.battle_timeout:g}s)")
    except Exception as exc:
        tally.fail(f"{stage}: {exception_kind(exc)}", repr(exc))
    finally:
        if probe is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(probe, config.battle_timeout)


async def open_session(client: httpx.AsyncClient, tally: Tally) -> bool:
    try:
        response = await client.get("/api/session")
    except Exception as exc:
        tally.sessions_failed += 1
        tally.fail(f"session: {exception_kind(exc)}", repr(exc))
        return False
    if not tally.response("session", response, 200):
        tally.sessions_failed += 1
        return False
    client.headers["X-CSRFToken"] = response.json()["csrf_token"]
    return True


def voter_client(config: LoadConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=config.base_url,
        timeout=httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
    )


async def run_voters(level: int, config: LoadConfig, tally: Tally) -> float:
    """``level`` voters start together and loop battles for ``config.duration`` seconds."""
    go = asyncio.Event()
    ready = 0
    end_at = 0.0

    direct = httpx.AsyncClient(
        timeout=httpx.Timeout(30.0, connect=10.0, read=config.read_timeout),
        limits=httpx.Limits(max_connections=config.direct_voters + 10),
    )

    async def voter(index: int) -> None:
        nonlocal ready
        async with voter_client(config) as client:
            ok = await open_session(client, tally)
            ready += 1
            if ready == level:
                go.set()
            await go.wait()
            if not ok:
                return
            probe_client = direct if index < config.direct_voters else None
            for n in range(config.max_battles_per_voter):
                if n and time.perf_counter() >= end_at:
                    break
                await one_battle(client, config, tally, probe_client)

    tasks = [asyncio.create_task(voter(i)) for i in range(level)]
    await go.wait()
    t0 = time.perf_counter()
    end_at = t0 + config.duration
    try:
        async with asyncio.timeout(config.level_timeout):
            await asyncio.gather(*tasks, return_exceptions=True)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tally.fail(f"level timeout ({config.level_timeout:g}s)")
    finally:
        await direct.aclose()
    return time.perf_counter() - t0


def warm_up(config: LoadConfig, battles: int) -> Tally:
    """A few battles by one voter before measuring: imports, first connections, clients."""

    async def go() -> Tally:
        tally = Tally()
        async with voter_client(config) as client:
            if await open_session(client, tally):
                for _ in range(battles):
                    await one_battle(client, config, tally, None)
        return tally

    return asyncio.run(go())
