"""The benchmark's own look at the stack: PostgreSQL and Redis counters, votes and
timestamps in the database, CPU time, error lines in the logs, py-spy profiles.

Its database queries run on connections of its own (``bench-*`` application names),
opened early and kept, so they are not refused once the app has filled ``max_connections``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg2

from .stack import Stack
from .stats import p50_p95_ms

# --- Database ---------------------------------------------------------------------------

_persistent: dict[tuple[str, str], Any] = {}


def persistent_connection(dsn: str, name: str, *, fresh: bool = False) -> Any:
    """One connection per (dsn, name), opened early and kept, so the benchmark's own
    queries are not refused once the app has filled ``max_connections``."""
    key = (dsn, name)
    if fresh or key not in _persistent:
        old = _persistent.pop(key, None)
        if old is not None:
            with contextlib.suppress(psycopg2.Error):
                old.close()
        conn = psycopg2.connect(dsn, connect_timeout=5, application_name=name)
        conn.autocommit = True
        _persistent[key] = conn
    return _persistent[key]


def close_persistent() -> None:
    for conn in _persistent.values():
        with contextlib.suppress(psycopg2.Error):
            conn.close()
    _persistent.clear()


class ConnectionPoller(threading.Thread):
    """Client backends of our database every ``interval`` s, by application_name (the
    benchmark's own ``bench-*`` connections not counted), on a kept connection."""

    def __init__(self, dsn: str, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.dsn, self.interval = dsn, interval
        self.peak_total = 0
        self.peak_by_app: Counter[str] = Counter()
        # Summed over samples, per state (active, idle, idle in transaction): divided by
        # the sample count, how many connections were in that state on average.
        self.state_sums: Counter[str] = Counter()
        self.samples = 0
        self.errors = 0
        self._halt = threading.Event()
        persistent_connection(dsn, "bench-poller")

    def run(self) -> None:
        sql = (
            "SELECT coalesce(application_name, ''), coalesce(state, ''), count(*) "
            "FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND datname = current_database() "
            "AND coalesce(application_name, '') NOT LIKE 'bench-%%' GROUP BY 1, 2"
        )
        fresh = False
        while not self._halt.is_set():
            try:
                with persistent_connection(self.dsn, "bench-poller", fresh=fresh).cursor() as cur:
                    cur.execute(sql)
                    rows = cur.fetchall()
            except psycopg2.Error:
                self.errors += 1
                fresh = True
            else:
                fresh = False
                self.samples += 1
                self.peak_total = max(self.peak_total, sum(n for _, _, n in rows))
                by_app: Counter[str] = Counter()
                for app, state, n in rows:
                    by_app[app] += n
                    self.state_sums[state] += n
                for app, n in by_app.items():
                    self.peak_by_app[app] = max(self.peak_by_app[app], n)
            self._halt.wait(self.interval)

    def finish(self) -> None:
        self._halt.set()
        self.join(5)

    def mean_by_state(self) -> dict[str, float]:
        return (
            {state: round(n / self.samples, 1) for state, n in self.state_sums.items()}
            if self.samples
            else {}
        )


def db_query(dsn: str, sql: str, params: Any = None, retry_for: float = 30.0) -> list[Any]:
    """Run one statement on the kept ``bench-check`` connection (reconnecting, for up to
    ``retry_for`` seconds, when it was lost)."""
    deadline = time.monotonic() + retry_for
    fresh = False
    while True:
        try:
            with persistent_connection(dsn, "bench-check", fresh=fresh).cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if time.monotonic() > deadline:
                raise
            fresh = True
            time.sleep(0.5)


def server_counters(dsn: str, redis_url: str) -> dict[str, int]:
    """Counters that only grow: PostgreSQL sessions of our database ever opened (apart
    from the benchmark's kept ones), Redis connections received (server-wide), and rows
    our database's tables gave to sequential scans (a hot statement that scans a whole
    table shows up here, however fast the table still is)."""
    import redis

    sessions, seq_rows = db_query(
        dsn,
        "SELECT (SELECT sessions FROM pg_stat_database WHERE datname = current_database()), "
        "(SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_user_tables)",
    )[0]
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        stats: dict[str, Any] = client.info("stats")  # type: ignore[assignment]
        received = stats["total_connections_received"]
    finally:
        client.close()
    return {"pg": int(sessions), "redis": int(received), "seq_rows": int(seq_rows)}


def counters_since(dsn: str, redis_url: str, before: dict[str, int]) -> dict[str, int]:
    """How much each ``server_counters`` counter grew since ``before``."""
    now = server_counters(dsn, redis_url)
    return {k: now[k] - before[k] for k in now}


def votes_in_db(dsn: str, battle_ids: list[str]) -> int:
    if not battle_ids:
        return 0
    rows = db_query(
        dsn, "SELECT count(*) FROM battles_vote WHERE battle_id = ANY(%s::uuid[])", [battle_ids]
    )
    return int(rows[0][0])


def ttft_breakdown(
    dsn: str, timeline: list[tuple[str, float, float]]
) -> dict[str, dict[str, float | None]]:
    """p50/p95 of each leg of the time to first token (same machine, same wall clock)."""
    if not timeline:
        return {}
    rows = db_query(
        dsn,
        "SELECT t.battle_id::text, extract(epoch FROM min(c.queued_at)), "
        "extract(epoch FROM min(c.started_at)), extract(epoch FROM min(c.first_token_at)) "
        "FROM battles_completion c JOIN battles_turn t ON t.id = c.turn_id "
        "WHERE t.battle_id = ANY(%s::uuid[]) GROUP BY 1",
        [[battle_id for battle_id, _, _ in timeline]],
    )
    stamps = {row[0]: row[1:] for row in rows}
    legs: dict[str, list[float]] = {
        "post_to_queued": [],
        "queued_to_claimed": [],
        "claimed_to_first_token": [],
        "first_token_to_client": [],
    }
    for battle_id, posted, first in timeline:
        queued, started, token = stamps.get(battle_id, (None, None, None))
        if queued is None or started is None or token is None:
            continue
        queued, started, token = float(queued), float(started), float(token)
        legs["post_to_queued"].append(queued - posted)
        legs["queued_to_claimed"].append(started - queued)
        legs["claimed_to_first_token"].append(token - started)
        legs["first_token_to_client"].append(first - token)
    return {leg: p50_p95_ms(values) for leg, values in legs.items()}


def wait_quiet(dsn: str, timeout: float) -> int:
    """Wait until no completion is pending or streaming; how many still are at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        busy = int(
            db_query(
                dsn,
                "SELECT count(*) FROM battles_completion WHERE status IN ('pending','streaming')",
            )[0][0]
        )
        if busy == 0 or time.monotonic() > deadline:
            return busy
        time.sleep(0.5)


def reactivate_contenders(dsn: str) -> None:
    """Contenders back to ``active`` (a failing level may have tripped their breaker)."""
    db_query(dsn, "UPDATE arena_contender SET status = 'active', consecutive_failures = 0")


# --- CPU ----------------------------------------------------------------------------------


def load_average() -> list[float]:
    """The 1/5/15-minute load average, rounded to 0.01."""
    return [round(x, 2) for x in os.getloadavg()]


class CpuClock:
    """CPU seconds used between ``start`` and ``stop`` by each process group of the stack,
    and by the benchmark itself (``client``)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self._groups0: dict[str, float] = {}
        self._own0 = os.times()

    def start(self) -> None:
        self._groups0 = self.stack.cpu_seconds()
        self._own0 = os.times()

    def stop(self) -> dict[str, float]:
        groups1 = self.stack.cpu_seconds()
        own1 = os.times()
        used = {
            name: round(groups1.get(name, 0) - self._groups0.get(name, 0), 2)
            for name in self._groups0
        }
        used["client"] = round((own1.user + own1.system) - (self._own0.user + self._own0.system), 2)
        return used


# --- Logs ---------------------------------------------------------------------------------

_EXC = re.compile(
    r"\b((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Timeout|Exhausted))\b:?\s*(.*)"
)


def error_signatures(text: str, top: int = 10) -> list[tuple[str, int]]:
    """The most frequent ``SomeError: message`` lines (message cut, numbers blanked)."""
    seen: Counter[str] = Counter()
    for line in text.splitlines():
        match = _EXC.search(line)
        if match and not line.lstrip().startswith("File "):
            message = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>", match.group(2))
            message = re.sub(r"\d+", "N", message)[:90]
            seen[f"{match.group(1)}: {message}".rstrip(": ")] += 1
    return seen.most_common(top)


def log_errors_since(stack: Stack, marks: dict[str, int]) -> dict[str, list[tuple[str, int]]]:
    """Per process with any, the most frequent error lines it logged after its mark."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name, mark in marks.items():
        signatures = error_signatures(stack.log_since(name, mark))
        if signatures:
            out[name] = signatures
    return out


# --- Profiles (optional: py-spy) ---------------------------------------------------------


class Profiler:
    """``py-spy record`` on the web and worker processes while a phase runs (``--profile``):
    collapsed stacks per process and phase, and the hottest frames for the report."""

    def __init__(self, out_dir: Path | None, stack: Stack, phase: str) -> None:
        self.out_dir, self.stack, self.phase = out_dir, stack, phase
        self.recorders: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def __enter__(self) -> Profiler:
        if self.out_dir is None:
            return self
        spy = Path(sys.executable).with_name("py-spy")
        for name in ("web", "worker"):
            out = self.out_dir / f"{self.phase}-{name}.txt"
            self.recorders[name] = (
                subprocess.Popen(
                    [
                        str(spy),
                        "record",
                        "--nonblocking",
                        "--subprocesses",
                        "--gil",
                        "--format",
                        "raw",
                        "--rate",
                        "50",
                        "-o",
                        str(out),
                        "-p",
                        str(self.stack.processes[name].pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                ),
                out,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc, _ in self.recorders.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
        for proc, _ in self.recorders.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def hottest(self, top: int = 6) -> dict[str, list[tuple[str, float]]]:
        """Per process (its children included), as a share of the samples of the thread
        holding the GIL, i.e. of Python CPU time: the leaf functions ("self"), and the
        project's own functions and any ``connect`` on the stack."""
        out: dict[str, list[tuple[str, float]]] = {}
        for name, (_, path) in self.recorders.items():
            if not path.exists():
                continue
            leaf: Counter[str] = Counter()
            inclusive: Counter[str] = Counter()
            total = 0
            for line in path.read_text(errors="replace").splitlines():
                stacks, _, count = line.rpartition(" ")
                if not count.isdigit() or not stacks:
                    continue
                n = int(count)
                total += n
                frames = [re.sub(r":\d+\)$", ")", f) for f in stacks.split(";")]
                leaf[f"self {frames[-1]}"] += n
                for frame in set(frames):
                    where = frame[frame.rfind("(") + 1 :]
                    if where.startswith(("arena/", "battles/", "ratings/")) or (
                        "connect" in frame.split(" ")[0].lower()
                    ):
                        inclusive[frame] += n
            if total:
                ranked = leaf.most_common(top) + inclusive.most_common(top)
                out[name] = [(f, round(100 * n / total, 1)) for f, n in ranked]
        return out
