"""The votes phase: voters each own ready battles, then vote on all of them at once."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

from .load import (
    OUTCOMES,
    LoadConfig,
    Tally,
    create_battle,
    exception_kind,
    open_session,
    voter_client,
)
from .probes import (
    ConnectionPoller,
    CpuClock,
    Profiler,
    counters_since,
    db_query,
    load_average,
    log_errors_since,
    server_counters,
    votes_in_db,
)
from .stack import Stack
from .stats import p50_p95_ms

READY_SECONDS_PER_BATTLE = 0.05


@dataclass
class VoteResult:
    voters: int
    battles_prepared: int = 0
    prepare_failures: dict[str, int] = field(default_factory=dict)
    not_ready: int = 0
    not_ready_by_status: dict[str, int] = field(default_factory=dict)
    votes_attempted: int = 0
    votes_accepted: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    failure_examples: dict[str, str] = field(default_factory=dict)
    errors_5xx: int = 0
    seconds: float = 0.0
    votes_per_s: float = 0.0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    votes_in_db: int = 0
    lost_votes: int = 0
    peak_pg_connections: int = 0
    peak_pg_by_app: dict[str, int] = field(default_factory=dict)
    mean_pg_by_state: dict[str, float] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    load_avg: list[float] = field(default_factory=list)
    log_errors: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    profile: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


async def prepare_vote_battles(
    config: LoadConfig, voters: int, per_voter: int, tally: Tally
) -> list[tuple[httpx.AsyncClient, list[str]]]:
    """Sessions, and ``per_voter`` battles each (not awaited: the DB says when ready)."""
    owned: list[tuple[httpx.AsyncClient, list[str]]] = []

    async def prepare(client: httpx.AsyncClient) -> None:
        ids: list[str] = []
        owned.append((client, ids))
        if not await open_session(client, tally):
            return
        for _ in range(per_voter):
            try:
                created = await create_battle(client)
            except Exception as exc:
                tally.fail(f"create: {exception_kind(exc)}", repr(exc))
                continue
            if tally.response("create", created, 201):
                ids.append(created.json()["id"])

    clients = [voter_client(config) for _ in range(voters)]
    await asyncio.wait_for(
        asyncio.gather(*(prepare(c) for c in clients), return_exceptions=True),
        config.level_timeout,
    )
    return owned


def _light_client(client: httpx.AsyncClient) -> aiohttp.ClientSession:
    """The voter's session (cookies, CSRF header) on aiohttp, which spends a fraction of
    httpx's CPU per request: on one machine, load generator and server share the cores,
    and the client's CPU would be counted against the server's throughput."""
    return aiohttp.ClientSession(
        base_url=str(client.base_url),
        headers={"X-CSRFToken": client.headers["X-CSRFToken"]},
        cookies=dict(client.cookies),
        connector=aiohttp.TCPConnector(limit=2),
        timeout=aiohttp.ClientTimeout(total=30.0, connect=10.0),
    )


async def cast_votes(
    owned: list[tuple[httpx.AsyncClient, list[str]]], tally: Tally, timeout: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def vote_all(session: aiohttp.ClientSession, ids: list[str]) -> None:
        for battle_id in ids:
            t0 = time.perf_counter()
            try:
                async with session.post(
                    f"/api/battles/{battle_id}/vote", json={"outcome": random.choice(OUTCOMES)}
                ) as response:
                    status, text = response.status, await response.text()
            except Exception as exc:
                tally.fail(f"vote: {exception_kind(exc)}", repr(exc))
                continue
            if tally.status("vote", status, text, 200):
                latencies.append(time.perf_counter() - t0)
                tally.accepted.append(battle_id)

    voters = [(_light_client(client), ids) for client, ids in owned if ids]
    t0 = time.perf_counter()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(vote_all(s, ids) for s, ids in voters), return_exceptions=True),
            timeout,
        )
    except TimeoutError:
        tally.fail(f"vote phase timeout ({timeout:g}s)")
    elapsed = time.perf_counter() - t0
    for session, _ in voters:
        await session.close()
    for client, _ in owned:
        await client.aclose()
    return elapsed, latencies


def wait_ready(dsn: str, ids: list[str], timeout: float) -> dict[str, str]:
    """Battle id -> status once none is ``generating`` any more (or at ``timeout``)."""
    deadline = time.monotonic() + timeout
    settled: dict[str, str] = {}
    while ids and time.monotonic() < deadline:
        settled = dict(
            db_query(
                dsn,
                "SELECT id::text, status FROM battles_battle WHERE id = ANY(%s::uuid[])",
                [ids],
            )
        )
        if "generating" not in settled.values():
            break
        time.sleep(0.5)
    return settled


def run_vote_phase(
    config: LoadConfig,
    stack: Stack,
    dsn: str,
    voters: int,
    per_voter: int,
    ready_timeout: float,
    profile_dir: Path | None = None,
) -> VoteResult:
    """Voters each own ``per_voter`` ready battles, then vote on all of them at once."""
    result = VoteResult(voters=voters)
    # Ready battles quickly: instant answers for the preparation, then the usual again.
    db_query(
        dsn,
        "UPDATE arena_contender SET provider_model = 'ok', status = 'active', "
        "consecutive_failures = 0",
    )
    prep = Tally()
    loop = asyncio.new_event_loop()
    try:
        owned = loop.run_until_complete(prepare_vote_battles(config, voters, per_voter, prep))
        ids = [battle_id for _, battle_ids in owned for battle_id in battle_ids]
        result.battles_prepared = len(ids)
        result.prepare_failures = dict(prep.failures)
        # Thousands of battles take the worker a while even with instant answers (about
        # 10 ms of its CPU each); a vote phase that starts while it still generates
        # shares the cores with it and votes on fewer battles.
        settled = wait_ready(dsn, ids, max(ready_timeout, READY_SECONDS_PER_BATTLE * len(ids)))
        # Only ready battles are voted on; the others are preparation failures.
        result.not_ready = sum(1 for i in ids if settled.get(i) != "ready")
        if result.not_ready:
            result.not_ready_by_status = dict(
                Counter(settled.get(i, "missing") for i in ids if settled.get(i) != "ready")
            )
        owned = [
            (c, [i for i in battle_ids if settled.get(i) == "ready"]) for c, battle_ids in owned
        ]
        log_marks = {name: stack.log_size(name) for name in ("web", "worker")}
        counters0 = server_counters(dsn, config.redis_url)
        poller = ConnectionPoller(dsn)
        cpu = CpuClock(stack)
        cpu.start()
        poller.start()
        tally = Tally()
        profiler = Profiler(profile_dir, stack, "votes")
        try:
            with profiler:
                elapsed, latencies = loop.run_until_complete(
                    cast_votes(owned, tally, config.level_timeout)
                )
        finally:
            poller.finish()
        result.profile = profiler.hottest()
        result.cpu_s = cpu.stop()
        time.sleep(1)  # statistics reach pg_stat_database within a second
        result.counters = counters_since(dsn, config.redis_url, counters0)
    finally:
        loop.close()
        db_query(dsn, "UPDATE arena_contender SET provider_model = %s", [config.model])
    result.load_avg = load_average()
    result.votes_attempted = sum(len(battle_ids) for _, battle_ids in owned)
    result.votes_accepted = len(tally.accepted)
    result.failures = dict(tally.failures.most_common())
    result.failure_examples = tally.examples
    result.errors_5xx = tally.errors_5xx
    result.seconds = round(elapsed, 3)
    result.votes_per_s = round(result.votes_accepted / elapsed, 1) if elapsed else 0.0
    result.latency_ms = p50_p95_ms(latencies)
    result.votes_in_db = votes_in_db(dsn, tally.accepted)
    result.lost_votes = result.votes_accepted - result.votes_in_db
    result.peak_pg_connections = poller.peak_total
    result.peak_pg_by_app = dict(poller.peak_by_app)
    result.mean_pg_by_state = poller.mean_by_state()
    result.log_errors = log_errors_since(stack, log_marks)
    return result
