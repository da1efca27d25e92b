"""One concurrency level, measured: voters, connection poller, CPU and log accounting,
and afterwards the votes and the TTFT legs as the database recorded them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from .load import LoadConfig, Tally, run_voters
from .probes import (
    ConnectionPoller,
    CpuClock,
    Profiler,
    counters_since,
    db_query,
    load_average,
    log_errors_since,
    server_counters,
    ttft_breakdown,
    votes_in_db,
    wait_quiet,
)
from .stack import Stack, listen_overflows
from .stats import p50_p95_ms, quantile


@dataclass
class LevelResult:
    level: int
    duration_s: float = 0.0
    sessions_failed: int = 0
    battles_started: int = 0
    battles_completed: int = 0
    failures: int = 0
    failures_by_kind: dict[str, int] = field(default_factory=dict)
    failure_examples: dict[str, str] = field(default_factory=dict)
    errors_5xx: int = 0
    dropped_streams: int = 0
    requests: int = 0
    arena_ttft_ms: dict[str, float | None] = field(default_factory=dict)
    direct_ttft_ms: dict[str, float | None] = field(default_factory=dict)
    added_ttft_ms: dict[str, float | None] = field(default_factory=dict)
    # Where the arena's TTFT goes, from the completions' timestamps (first side of each
    # battle): POST -> row queued, queued -> worker claim, claim -> first token stored,
    # first token -> client.
    ttft_breakdown_ms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    ttft_samples: int = 0
    direct_samples: int = 0
    paired_samples: int = 0
    direct_failures: dict[str, int] = field(default_factory=dict)
    battle_seconds: dict[str, float | None] = field(default_factory=dict)
    votes_accepted: int = 0
    votes_in_db: int = 0
    lost_votes: int = 0
    peak_pg_connections: int = 0
    peak_pg_by_app: dict[str, int] = field(default_factory=dict)
    mean_pg_by_state: dict[str, float] = field(default_factory=dict)
    # During the level and its tail: new PostgreSQL sessions of the arena database, new
    # connections accepted by Redis, rows read by sequential scans (server_counters).
    counters: dict[str, int] = field(default_factory=dict)
    # Connections any server on this machine dropped because its accept queue was full
    # (machine-wide counter: other people's servers count too).
    listen_overflows: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    load_avg: list[float] = field(default_factory=list)
    still_generating_after: int = 0
    contenders_after: dict[str, str] = field(default_factory=dict)
    log_errors: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    profile: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def run_level(
    level: int,
    config: LoadConfig,
    stack: Stack,
    dsn: str,
    quiet_timeout: float,
    profile_dir: Path | None = None,
) -> LevelResult:
    """One level: voters, connection poller, CPU and log accounting, vote check in the DB."""
    result = LevelResult(level=level)
    counters0 = server_counters(dsn, config.redis_url)
    overflows0 = listen_overflows()
    log_marks = {name: stack.log_size(name) for name in ("web", "worker", "fake")}
    poller = ConnectionPoller(dsn)
    cpu = CpuClock(stack)
    cpu.start()
    poller.start()
    tally = Tally()
    profiler = Profiler(profile_dir, stack, f"level{level}")
    try:
        with profiler:
            result.duration_s = round(asyncio.run(run_voters(level, config, tally)), 2)
    finally:
        poller.finish()
    result.profile = profiler.hottest()
    result.cpu_s = cpu.stop()
    result.listen_overflows = listen_overflows() - overflows0
    result.load_avg = load_average()
    result.sessions_failed = tally.sessions_failed
    result.battles_started = tally.started
    result.battles_completed = tally.completed
    result.failures = sum(tally.failures.values())
    result.failures_by_kind = dict(tally.failures.most_common())
    result.failure_examples = tally.examples
    result.errors_5xx = tally.errors_5xx
    result.dropped_streams = tally.dropped
    result.requests = tally.requests
    result.ttft_samples = len(tally.arena_ttft)
    result.direct_samples = len(tally.direct_ttft)
    result.paired_samples = len(tally.pairs)
    result.arena_ttft_ms = p50_p95_ms(tally.arena_ttft)
    result.direct_ttft_ms = p50_p95_ms(tally.direct_ttft)
    result.added_ttft_ms = p50_p95_ms([a - d for a, d in tally.pairs])
    for q, key in ((0.5, "p50"), (0.95, "p95")):
        value = quantile(tally.battle_seconds, q)
        result.battle_seconds[key] = None if value is None else round(value, 2)
    result.ttft_breakdown_ms = ttft_breakdown(dsn, tally.timeline)
    result.direct_failures = dict(tally.direct_failures)
    result.votes_accepted = len(tally.accepted)
    result.peak_pg_connections = poller.peak_total
    result.peak_pg_by_app = dict(poller.peak_by_app)
    result.mean_pg_by_state = poller.mean_by_state()
    result.still_generating_after = wait_quiet(dsn, quiet_timeout)
    time.sleep(1)  # statistics reach pg_stat_database within a second
    result.counters = counters_since(dsn, config.redis_url, counters0)
    result.votes_in_db = votes_in_db(dsn, tally.accepted)
    result.lost_votes = result.votes_accepted - result.votes_in_db
    result.contenders_after = dict(
        db_query(dsn, "SELECT codename, status FROM arena_contender ORDER BY codename")
    )
    result.log_errors = log_errors_since(stack, log_marks)
    return result
