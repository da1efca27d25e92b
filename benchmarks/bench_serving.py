"""Load-test the production stack: many simultaneous voters, end to end, on 127.0.0.1.

    .venv/bin/python benchmarks/bench_serving.py [--levels 1,50,200,500] [--duration 20]
        [--scenario slow-0.05] [--max-tokens 30] [--silent-first SECONDS]
        [--vote-voters 50] [--votes-per-voter 20] [--json PATH] [--services private|shared]

Starts a private PostgreSQL (``max_connections`` 100) and a private Redis on free ports,
the fake OpenAI-compatible server, one uvicorn process (``arena.asgi:application``) and
one Celery worker (threads pool) as separate processes; migrates the database and adds
two ``openai`` contenders pointed at the fake. Then, per concurrency level, that many
virtual voters (one ``httpx.AsyncClient``, i.e. one cookie jar, each) start at the same
moment and loop for ``--duration`` seconds: ``GET /api/session`` once, then per battle
``POST /api/battles``, ``GET /api/battles/{id}/events`` (SSE) until ``done``, ``POST
/api/battles/{id}/vote``. Beside each battle of the first ``--direct-voters`` voters a
probe calls the fake backend directly with the same request, at the same moment, so the
arena's time to first token can be compared with the backend's own under the same load.
A separate phase times votes: ``--vote-voters`` voters, each owning ready battles, vote
as fast as they are answered. Prints a table (and the targets) and ``--json PATH``.

Everything is bounded: battles per voter, seconds per battle, seconds per level; every
process is killed on exit, Ctrl-C included. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "Name three rivers."
OUTCOMES = ("a", "b", "tie", "bothbad")
# What the lead compares against.
TARGETS = {
    "failures": 0,
    "errors_5xx": 0,
    "lost_votes": 0,
    "added_ttft_p50_ms_at_1": 20.0,
    "votes_per_s_at_50": 300.0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Services: private PostgreSQL + Redis, or the shared ones --------------------------


class Services(Protocol):
    """Where the stack keeps its data: one database URL, one Redis URL."""

    label: str
    # The app's (web, worker, migrate) and the benchmark's own (checks, polling).
    database_url: str
    admin_url: str
    redis_url: str
    max_connections: int

    def process_groups(self) -> dict[str, int]:
        """Process groups whose CPU time is ours to count (none for shared servers)."""
        ...

    def stop(self) -> None: ...


class PrivateServices:
    """PostgreSQL and Redis of our own on free ports (``tests/fixtures/services.py``)."""

    def __init__(self, max_connections: int) -> None:
        from tests.fixtures.services import PrivatePostgres, PrivateRedis

        self.pg = PrivatePostgres(max_connections=max_connections).start()
        self.redis = PrivateRedis().start()
        # The app logs in as an ordinary role, as deployed; the superuser's reserved
        # connections stay free for the benchmark's own probes.
        self.pg.execute("CREATE ROLE arena LOGIN")
        self.pg.execute('CREATE DATABASE "arena" OWNER arena')
        self.database_url = f"postgres://arena@127.0.0.1:{self.pg.port}/arena"
        self.admin_url = self.pg.url("arena")
        self.redis_url = self.redis.url(0)
        self.max_connections = max_connections
        reserved = self.pg.execute("SHOW superuser_reserved_connections")[0][0]
        self.label = (
            f"private PostgreSQL 127.0.0.1:{self.pg.port} (max_connections "
            f"{max_connections}, {reserved} reserved for superusers; the app logs in as "
            f"role arena), private Redis 127.0.0.1:{self.redis.port}"
        )

    def process_groups(self) -> dict[str, int]:
        # Backends are children of the postmaster, in its process group.
        groups = {"pg": self.pg.process, "redis": self.redis.process}
        return {name: proc.pid for name, proc in groups.items() if proc is not None}

    def stop(self) -> None:
        for service in (self.redis, self.pg):
            with contextlib.suppress(Exception):
                service.close()


class SharedServices:
    """The shared servers (never restarted): database ``arena_bench``, Redis db 10."""

    def __init__(self) -> None:
        import redis

        base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
        admin = psycopg2.connect(f"{base}/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'arena_bench'")
            if cur.fetchone() is None:
                cur.execute('CREATE DATABASE "arena_bench"')
            cur.execute("SHOW max_connections")
            self.max_connections = int(cur.fetchone()[0])
        admin.close()
        self.database_url = self.admin_url = f"{base}/arena_bench"
        self.redis_url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
        redis.Redis.from_url(self.redis_url).flushdb()
        self.label = (
            f"SHARED PostgreSQL (database arena_bench, max_connections "
            f"{self.max_connections}, shared with others), shared Redis {self.redis_url}"
        )

    def process_groups(self) -> dict[str, int]:
        return {}

    def stop(self) -> None:
        pass


def make_services(kind: str, max_connections: int) -> Services:
    if kind == "shared":
        return SharedServices()
    return PrivateServices(max_connections)


# --- Processes ---------------------------------------------------------------------------


def group_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, threads included) of process ``root``, its process
    group, and every descendant: live ones' own time, and the time of the children they
    already reaped (PostgreSQL backends start sessions of their own and come and go)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, int, int]] = {}  # pid -> (ppid, pgrp, ticks incl. reaped)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        used = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        stats[int(name)] = (int(fields[1]), int(fields[2]), used)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    ours = {pid for pid, (_, pgrp, _) in stats.items() if pgrp == root}
    todo = [root, *ours]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child not in ours:
                ours.add(child)
                todo.append(child)
    ours.add(root)
    return sum(stats[pid][2] for pid in ours if pid in stats) / ticks


def listen_overflows() -> int:
    """The machine's count of connections refused by a full accept queue (all servers)."""
    lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines()]
    for keys, values in zip(lines[::2], lines[1::2], strict=False):
        if keys and keys[0] == "TcpExt:" and "ListenOverflows" in keys:
            return int(values[keys.index("ListenOverflows")])
    return 0


class Stack:
    """The fake provider, web and worker processes, each in its own process group."""

    def __init__(self, log_dir: Path, web_workers: int = 1) -> None:
        self.log_dir = log_dir
        self.web_workers = web_workers
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Other process groups to count CPU for (the private database and Redis).
        self.extra_groups: dict[str, int] = {}

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def start_fake(self, env: dict[str, str]) -> str:
        port = free_port()
        self.spawn(
            "fake", [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(port)], env
        )
        self.wait_http("fake", f"http://127.0.0.1:{port}/v1/models")
        return f"http://127.0.0.1:{port}/v1"

    def start_web(self, env: dict[str, str]) -> str:
        port = free_port()
        self.spawn(
            "web",
            [sys.executable, "-m", "uvicorn", "arena.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--lifespan", "off", "--no-access-log",
             "--workers", str(self.web_workers)],
            env,
        )
        self.wait_http("web", f"http://127.0.0.1:{port}/api/session")
        return f"http://127.0.0.1:{port}"

    def start_worker(self, env: dict[str, str], concurrency: int, loglevel: str) -> None:
        self.spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "arena", "worker", "--pool", "threads",
             "--concurrency", str(concurrency), "--prefetch-multiplier", "1",
             "--without-gossip", "--without-mingle", "--loglevel", loglevel,
             "-n", f"bench-{os.getpid()}@%h"],
            env,
        )
        self.wait_log("worker", "ready.")

    def cpu_seconds(self) -> dict[str, float]:
        groups = {name: p.pid for name, p in self.processes.items()} | self.extra_groups
        return {name: group_cpu_seconds(pgid) for name, pgid in groups.items()}

    def check_alive(self, name: str) -> None:
        proc = self.processes[name]
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_size(self, name: str) -> int:
        path = self.log_dir / f"{name}.log"
        return path.stat().st_size if path.exists() else 0

    def wait_http(self, name: str, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.TransportError:
                self.check_alive(name)
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer {url} in {timeout}s:\n{self.log(name)[-3000:]}")

    def wait_log(self, name: str, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log(name):
                return
            self.check_alive(name)
            time.sleep(0.2)
        raise RuntimeError(f"{name} not ready in {timeout}s:\n{self.log(name)[-3000:]}")

    def stop_all(self) -> None:
        """SIGTERM each group, SIGKILL what is left after a few seconds (idempotent)."""
        for proc in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 8
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.1))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        self.processes.clear()


def run_manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def with_app_name(url: str, name: str) -> str:
    """The database URL with ``application_name`` set, so pg_stat_activity tells who is who."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


# --- Database probes ---------------------------------------------------------------------


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
        return {
            state: round(n / self.samples, 1) for state, n in self.state_sums.items()
        } if self.samples else {}


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


def connections_opened(dsn: str, redis_url: str) -> dict[str, int]:
    """Counters of connections ever opened: PostgreSQL sessions of our database (apart
    from the benchmark's kept ones), and Redis connections received (server-wide)."""
    import redis

    sessions = db_query(
        dsn, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )[0][0]
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        received = client.info("stats")["total_connections_received"]
    finally:
        client.close()
    return {"pg": int(sessions), "redis": int(received)}


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
        "post_to_queued": [], "queued_to_claimed": [], "claimed_to_first_token": [],
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
    return {
        leg: {"p50": ms(quantile(values, 0.5)), "p95": ms(quantile(values, 0.95))}
        for leg, values in legs.items()
    }


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


# --- Log scanning --------------------------------------------------------------------------

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
                    [str(spy), "record", "--nonblocking", "--format", "raw", "--rate", "50",
                     "-o", str(out), "-p", str(self.stack.processes[name].pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        """Per process, as a share of the samples of busy threads: the leaf functions
        ("self"), and the project's own functions and any ``connect`` on the stack."""
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


# --- The load ------------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


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
    # Connections opened during the level and its tail: new PostgreSQL sessions of the
    # arena database, new connections accepted by Redis.
    opened: dict[str, int] = field(default_factory=dict)
    # Connections any server on this machine dropped because its accept queue was full
    # (machine-wide counter: other people's servers count too).
    listen_overflows: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    load_avg: list[float] = field(default_factory=list)
    still_generating_after: int = 0
    contenders_after: dict[str, str] = field(default_factory=dict)
    log_errors: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    profile: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


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
        self.requests += 1
        if response.status_code >= 500:
            self.errors_5xx += 1
        if response.status_code == expected:
            return True
        self.fail(f"{what} HTTP {response.status_code}", response.text)
        return False


def exception_kind(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"timeout ({type(exc).__name__})"
    return type(exc).__name__


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


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
    ``None`` for ``done`` when the stream was refused (already counted as a failure)."""
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
            created = await client.post("/api/battles", json={"prompt": PROMPT})
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
            voted = await client.post(
                f"/api/battles/{battle_id}/vote", json={"outcome": random.choice(OUTCOMES)}
            )
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


def run_level(
    level: int, config: LoadConfig, stack: Stack, dsn: str, quiet_timeout: float,
    profile_dir: Path | None = None,
) -> LevelResult:
    """One level: voters, connection poller, CPU and log accounting, vote check in the DB."""
    result = LevelResult(level=level)
    opened0 = connections_opened(dsn, config.redis_url)
    overflows0 = listen_overflows()
    log_marks = {name: stack.log_size(name) for name in ("web", "worker", "fake")}
    poller = ConnectionPoller(dsn)
    cpu0 = stack.cpu_seconds()
    own0 = os.times()
    poller.start()
    tally = Tally()
    profiler = Profiler(profile_dir, stack, f"level{level}")
    try:
        with profiler:
            result.duration_s = round(asyncio.run(run_voters(level, config, tally)), 2)
    finally:
        poller.finish()
    result.profile = profiler.hottest()
    cpu1 = stack.cpu_seconds()
    own1 = os.times()
    result.listen_overflows = listen_overflows() - overflows0
    result.load_avg = [round(x, 2) for x in os.getloadavg()]
    result.cpu_s = {name: round(cpu1.get(name, 0) - cpu0.get(name, 0), 2) for name in cpu0}
    result.cpu_s["client"] = round(
        (own1.user + own1.system) - (own0.user + own0.system), 2
    )
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
    direct = tally.direct_ttft
    added = [a - d for a, d in tally.pairs]
    for target, values in (
        (result.arena_ttft_ms, tally.arena_ttft),
        (result.direct_ttft_ms, direct),
        (result.added_ttft_ms, added),
    ):
        target.update(p50=ms(quantile(values, 0.5)), p95=ms(quantile(values, 0.95)))
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
    opened1 = connections_opened(dsn, config.redis_url)
    result.opened = {k: opened1[k] - opened0[k] for k in opened1}
    result.votes_in_db = votes_in_db(dsn, tally.accepted)
    result.lost_votes = result.votes_accepted - result.votes_in_db
    result.contenders_after = dict(
        db_query(dsn, "SELECT codename, status FROM arena_contender ORDER BY codename")
    )
    for name, mark in log_marks.items():
        path = stack.log_dir / f"{name}.log"
        if path.exists():
            with path.open("rb") as f:
                f.seek(mark)
                signatures = error_signatures(f.read().decode(errors="replace"))
            if signatures:
                result.log_errors[name] = signatures
    return result


# --- Votes phase --------------------------------------------------------------------------


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
    opened: dict[str, int] = field(default_factory=dict)
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
                created = await client.post("/api/battles", json={"prompt": PROMPT})
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


async def cast_votes(
    owned: list[tuple[httpx.AsyncClient, list[str]]], tally: Tally, timeout: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []

    async def vote_all(client: httpx.AsyncClient, ids: list[str]) -> None:
        for battle_id in ids:
            t0 = time.perf_counter()
            try:
                response = await client.post(
                    f"/api/battles/{battle_id}/vote", json={"outcome": random.choice(OUTCOMES)}
                )
            except Exception as exc:
                tally.fail(f"vote: {exception_kind(exc)}", repr(exc))
                continue
            if tally.response("vote", response, 200):
                latencies.append(time.perf_counter() - t0)
                tally.accepted.append(battle_id)

    t0 = time.perf_counter()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(vote_all(c, ids) for c, ids in owned), return_exceptions=True),
            timeout,
        )
    except TimeoutError:
        tally.fail(f"vote phase timeout ({timeout:g}s)")
    elapsed = time.perf_counter() - t0
    for client, _ in owned:
        await client.aclose()
    return elapsed, latencies


def run_vote_phase(
    config: LoadConfig, stack: Stack, dsn: str, voters: int, per_voter: int,
    ready_timeout: float, profile_dir: Path | None = None,
) -> VoteResult:
    """Voters each own ``per_voter`` ready battles, then vote on all of them at once."""
    result = VoteResult(voters=voters)
    # Ready battles quickly: instant answers for the preparation, then the usual again.
    db_query(dsn, "UPDATE arena_contender SET provider_model = 'ok', status = 'active', "
                  "consecutive_failures = 0")
    prep = Tally()
    loop = asyncio.new_event_loop()
    try:
        owned = loop.run_until_complete(prepare_vote_battles(config, voters, per_voter, prep))
        ids = [battle_id for _, battle_ids in owned for battle_id in battle_ids]
        result.battles_prepared = len(ids)
        result.prepare_failures = dict(prep.failures)
        deadline = time.monotonic() + ready_timeout
        settled: dict[str, str] = {}
        while ids and time.monotonic() < deadline:
            settled = dict(db_query(
                dsn, "SELECT id::text, status FROM battles_battle WHERE id = ANY(%s::uuid[])",
                [ids],
            ))
            if "generating" not in settled.values():
                break
            time.sleep(0.5)
        # Only ready battles are voted on; the others are preparation failures.
        result.not_ready = sum(1 for i in ids if settled.get(i) != "ready")
        if result.not_ready:
            result.not_ready_by_status = dict(Counter(settled.get(i, "missing") for i in ids
                                                      if settled.get(i) != "ready"))
        owned = [(c, [i for i in battle_ids if settled.get(i) == "ready"])
                 for c, battle_ids in owned]
        log_marks = {name: stack.log_size(name) for name in ("web", "worker")}
        opened0 = connections_opened(dsn, config.redis_url)
        poller = ConnectionPoller(dsn)
        cpu0 = stack.cpu_seconds()
        own0 = os.times()
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
        cpu1 = stack.cpu_seconds()
        own1 = os.times()
        time.sleep(1)  # statistics reach pg_stat_database within a second
        opened1 = connections_opened(dsn, config.redis_url)
        result.opened = {k: opened1[k] - opened0[k] for k in opened1}
    finally:
        loop.close()
        db_query(dsn, "UPDATE arena_contender SET provider_model = %s", [config.model])
    result.load_avg = [round(x, 2) for x in os.getloadavg()]
    result.cpu_s = {name: round(cpu1[name] - cpu0.get(name, 0), 2) for name in cpu1}
    result.cpu_s["client"] = round((own1.user + own1.system) - (own0.user + own0.system), 2)
    result.votes_attempted = sum(len(battle_ids) for _, battle_ids in owned)
    result.votes_accepted = len(tally.accepted)
    result.failures = dict(tally.failures.most_common())
    result.failure_examples = tally.examples
    result.errors_5xx = tally.errors_5xx
    result.seconds = round(elapsed, 3)
    result.votes_per_s = round(result.votes_accepted / elapsed, 1) if elapsed else 0.0
    result.latency_ms = {
        "p50": ms(quantile(latencies, 0.5)),
        "p95": ms(quantile(latencies, 0.95)),
    }
    result.votes_in_db = votes_in_db(dsn, tally.accepted)
    result.lost_votes = result.votes_accepted - result.votes_in_db
    result.peak_pg_connections = poller.peak_total
    result.peak_pg_by_app = dict(poller.peak_by_app)
    result.mean_pg_by_state = poller.mean_by_state()
    for name, mark in log_marks.items():
        with (stack.log_dir / f"{name}.log").open("rb") as f:
            f.seek(mark)
            signatures = error_signatures(f.read().decode(errors="replace"))
        if signatures:
            result.log_errors[name] = signatures
    return result


# --- Report ------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    # Numbers right-aligned, words left-aligned (by the first data row).
    numeric = [
        bool(rows) and isinstance(rows[0][i], int | float | None) for i in range(len(headers))
    ]
    lines = [
        "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdicts(levels: list[LevelResult], votes: VoteResult | None) -> list[tuple[str, str, str]]:
    """(target, measured, PASS/FAIL) for each target the lead compares against."""
    out = []
    for r in levels:
        measured = f"{r.failures} failures, {r.errors_5xx} 5xx, {r.lost_votes} lost votes"
        ok = r.failures == 0 and r.errors_5xx == 0 and r.lost_votes == 0 and r.battles_completed
        out.append((f"level {r.level}: 0 failures, 0 5xx, 0 lost votes", measured,
                    "PASS" if ok else "FAIL"))
    one = next((r for r in levels if r.level == 1), None)
    if one is not None:
        added = one.added_ttft_ms.get("p50")
        ok = added is not None and added <= TARGETS["added_ttft_p50_ms_at_1"]
        out.append(("added TTFT p50 at concurrency 1 <= 20 ms", f"{fmt(added)} ms",
                    "PASS" if ok else "FAIL"))
    if votes is not None:
        ok = (
            votes.votes_per_s >= TARGETS["votes_per_s_at_50"] and votes.lost_votes == 0
            and not votes.failures
        )
        label = f"votes/s with {votes.voters} concurrent voters >= 300"
        if votes.voters != 50:
            label += " (target is at 50)"
        out.append((label, f"{votes.votes_per_s:.0f}/s, {votes.lost_votes} lost",
                    "PASS" if ok else "FAIL"))
    return out


def profile_lines(profile: dict[str, list[tuple[str, float]]]) -> list[str]:
    lines = []
    for name, frames in profile.items():
        lines.append(f"    py-spy {name}: share of busy-thread samples (self = leaf function)")
        lines += [f"        {share:5.1f}%  {frame}" for frame, share in frames]
    return lines


def report(levels: list[LevelResult], votes: VoteResult | None) -> str:
    parts = []
    rows = []
    for r in levels:
        rows.append([
            r.level, r.battles_completed, r.failures, r.errors_5xx, r.dropped_streams,
            r.arena_ttft_ms.get("p50"), r.arena_ttft_ms.get("p95"),
            r.direct_ttft_ms.get("p50"), r.direct_ttft_ms.get("p95"),
            r.added_ttft_ms.get("p50"), r.added_ttft_ms.get("p95"),
            f"{r.votes_accepted}/{r.votes_in_db}",
            r.peak_pg_connections,
            r.cpu_s.get("web"), r.cpu_s.get("worker"), r.cpu_s.get("pg"), r.cpu_s.get("redis"),
            r.cpu_s.get("fake"), r.cpu_s.get("client"),
            " ".join(f"{x:.1f}" for x in r.load_avg),
        ])
    parts.append(table(
        ["voters", "battles", "fail", "5xx", "drop", "ttft p50", "p95", "direct p50", "p95",
         "added p50", "p95", "votes ok/db", "pg conns", "cpu web", "worker", "pg", "redis",
         "fake", "client", "load avg"],
        rows,
    ))
    parts.append("(times in ms; added = arena TTFT minus the direct call started beside it; "
                 "cpu in seconds during the level)")
    for r in levels:
        details = [
            f"level {r.level}: {r.duration_s:.1f}s, {r.battles_started} battles started, "
            f"{r.requests} requests, battle p50/p95 {fmt(r.battle_seconds.get('p50'))}/"
            f"{fmt(r.battle_seconds.get('p95'))}s, TTFT samples: arena {r.ttft_samples}, "
            f"direct {r.direct_samples}, paired {r.paired_samples}; pg peak by app "
            f"{r.peak_pg_by_app}, mean by state {r.mean_pg_by_state}, connections "
            f"opened: pg {r.opened.get('pg')}, redis {r.opened.get('redis')}, listen-queue "
            f"overflows (machine-wide) {r.listen_overflows}, "
            f"still generating after {r.still_generating_after}, contenders {r.contenders_after}"
        ]
        if r.ttft_breakdown_ms:
            details.append("    TTFT legs p50/p95 ms: " + ", ".join(
                f"{leg.replace('_', ' ')} {fmt(v['p50'])}/{fmt(v['p95'])}"
                for leg, v in r.ttft_breakdown_ms.items()
            ))
        for kind, count in r.failures_by_kind.items():
            example = r.failure_examples.get(kind, "")
            details.append(f"    {count:5d} x {kind}" + (f"  e.g. {example[:140]!r}"
                                                      if example else ""))
        if r.direct_failures:
            details.append(f"    direct-call failures: {r.direct_failures}")
        for name, signatures in r.log_errors.items():
            for signature, count in signatures:
                details.append(f"    {name}.log {count:5d} x {signature}")
        details += profile_lines(r.profile)
        parts.append("\n".join(details))
    if votes is not None:
        parts.append(table(
            ["vote voters", "prepared", "not ready", "accepted", "fail", "5xx", "seconds",
             "votes/s", "lat p50", "p95", "votes ok/db", "pg conns", "cpu web", "pg", "client",
             "load avg"],
            [[votes.voters, votes.battles_prepared, votes.not_ready, votes.votes_accepted,
              sum(votes.failures.values()), votes.errors_5xx, votes.seconds, votes.votes_per_s,
              votes.latency_ms.get("p50"), votes.latency_ms.get("p95"),
              f"{votes.votes_accepted}/{votes.votes_in_db}", votes.peak_pg_connections,
              votes.cpu_s.get("web"), votes.cpu_s.get("pg"), votes.cpu_s.get("client"),
              " ".join(f"{x:.1f}" for x in votes.load_avg)]],
        ))
        extra = [
            f"votes phase: {votes.votes_attempted} votes sent, pg peak by app "
            f"{votes.peak_pg_by_app}, mean by state {votes.mean_pg_by_state}, "
            f"connections opened: pg {votes.opened.get('pg')}, "
            f"redis {votes.opened.get('redis')}"
        ]
        if votes.prepare_failures:
            extra.append(f"    preparation failures: {votes.prepare_failures}")
        if votes.not_ready:
            extra.append(f"    battles not ready (not voted on): {votes.not_ready_by_status}")
        for kind, count in votes.failures.items():
            example = votes.failure_examples.get(kind, "")
            extra.append(f"    {count:5d} x {kind}" + (f"  e.g. {example[:140]!r}"
                                                     if example else ""))
        for name, signatures in votes.log_errors.items():
            for signature, count in signatures:
                extra.append(f"    {name}.log {count:5d} x {signature}")
        extra += profile_lines(votes.profile)
        parts.append("\n".join(extra))
    parts.append("Targets:\n" + table(
        ["target", "measured", ""], [list(v) for v in verdicts(levels, votes)]
    ))
    return "\n\n".join(parts)


# --- Main --------------------------------------------------------------------------------


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _prepare_process() -> None:
    """Open-file limit raised to the hard limit (children inherit it: hundreds of streams
    are a socket each, twice), and uvloop for the voters' event loop when installed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,50,200,500",
                        help="comma-separated numbers of simultaneous voters")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds per level during which voters start new battles")
    parser.add_argument("--max-battles-per-voter", type=int, default=100)
    parser.add_argument("--battle-timeout", type=float, default=120.0)
    parser.add_argument("--level-timeout", type=float, default=300.0)
    parser.add_argument("--scenario", default="slow-0.05",
                        help="fake backend scenario (its model id); default: ~30 tokens, "
                             "0.05 s apart (with --max-tokens 30)")
    parser.add_argument("--max-tokens", type=int, default=30,
                        help="contender max_tokens (0: none)")
    parser.add_argument("--silent-first", type=float, default=None, metavar="SECONDS",
                        help="reasoning-model run: the fake's think-SECONDS scenario "
                             "(silent that long before the first visible token)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="battles before the first level, not counted")
    parser.add_argument("--direct-voters", type=int, default=50,
                        help="voters whose battles each get a direct backend call beside them")
    parser.add_argument("--vote-voters", type=int, default=50)
    parser.add_argument("--votes-per-voter", type=int, default=20)
    parser.add_argument("--skip-votes", action="store_true", help="no separate votes phase")
    parser.add_argument("--worker-concurrency", type=int, default=0,
                        help="Celery threads (default: 2 per battle at the top level)")
    parser.add_argument("--worker-loglevel", default="INFO")
    parser.add_argument("--max-connections", type=int, default=100,
                        help="max_connections of the private PostgreSQL")
    parser.add_argument("--services", choices=["private", "shared"], default="private",
                        help="private PostgreSQL/Redis (default), or the shared ones "
                             "(database arena_bench, Redis db 10)")
    parser.add_argument("--quiet-timeout", type=float, default=60.0,
                        help="seconds to wait after a level for generations to finish")
    parser.add_argument("--log-dir", default=None,
                        help="where the processes' logs go (default: a new temporary folder)")
    parser.add_argument("--json", default=None, metavar="PATH")
    parser.add_argument("--web-workers", type=int, default=1,
                        help="uvicorn worker processes (each with its own connection pool)")
    parser.add_argument("--profile", default=None, metavar="DIR",
                        help="py-spy (pip install py-spy) the web and worker processes per "
                             "phase: collapsed stacks in DIR, hottest frames in the report")
    args = parser.parse_args()

    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    model = f"think-{args.silent_first:g}" if args.silent_first is not None else args.scenario
    concurrency = args.worker_concurrency or max(16, 2 * max(levels))
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="arena-bench-serving-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir is not None:
        if not Path(sys.executable).with_name("py-spy").exists():
            parser.error("--profile needs py-spy in the venv: .venv/bin/pip install py-spy")
        profile_dir.mkdir(parents=True, exist_ok=True)

    _prepare_process()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    stack = Stack(log_dir, web_workers=args.web_workers)
    services: Services | None = None

    def cleanup() -> None:
        stack.stop_all()
        close_persistent()
        if services is not None:
            services.stop()

    atexit.register(cleanup)
    try:
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              flush=True)
        services = make_services(args.services, args.max_connections)
        print(f"services: {services.label}", flush=True)
        stack.extra_groups = services.process_groups()
        env = {
            **os.environ,
            "DATABASE_URL": services.database_url,
            "REDIS_URL": services.redis_url,
            "SECRET_KEY": "arena-bench-serving",
            "DEBUG": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "ARENA_BATTLES_PER_HOUR_PER_VOTER": "1000000",
            "ARENA_BATTLES_PER_HOUR_PER_IP": "100000000",
            "PYTHONUNBUFFERED": "1",
        }
        fake_url = stack.start_fake(env)
        offered = {m["id"] for m in httpx.get(f"{fake_url}/models").json()["data"]}
        if model.split("-")[0] not in offered:
            raise SystemExit(
                f"the fake server has no {model.split('-')[0]!r} scenario (it offers "
                f"{sorted(offered)}); update tests/fakes first"
            )
        setup_env = {**env, "DATABASE_URL": with_app_name(services.database_url, "bench-setup")}
        run_manage(setup_env, "migrate", "--noinput")
        dsn = services.admin_url
        db_query(dsn, "TRUNCATE battles_vote, battles_battlecategory, battles_completion, "
                      "battles_turn, battles_battle, arena_contender, django_session CASCADE")
        for codename in ("bench-a", "bench-b"):
            extra = ["--max-tokens", str(args.max_tokens)] if args.max_tokens else []
            run_manage(setup_env, "add_contender", codename, "--backend", "openai",
                       "--base-url", fake_url, "--provider-model", model, *extra)
        stack.start_worker(
            {**env, "DATABASE_URL": with_app_name(services.database_url, "worker")},
            concurrency, args.worker_loglevel,
        )
        base_url = stack.start_web(
            {**env, "DATABASE_URL": with_app_name(services.database_url, "web")}
        )
        print(f"stack up: web {base_url}, worker --concurrency {concurrency}, fake {fake_url} "
              f"(scenario {model}, max_tokens {args.max_tokens or 'none'}); logs in {log_dir}",
              flush=True)
        config = LoadConfig(
            base_url=base_url, fake_url=fake_url, model=model,
            max_tokens=args.max_tokens or None, duration=args.duration,
            max_battles_per_voter=args.max_battles_per_voter,
            battle_timeout=args.battle_timeout, level_timeout=args.level_timeout,
            direct_voters=args.direct_voters, read_timeout=60.0, redis_url=services.redis_url,
        )
        if args.warmup:
            warm = warm_up(config, args.warmup)
            print(f"warm-up: {warm.completed}/{args.warmup} battles"
                  + (f", failures {dict(warm.failures)}" if warm.failures else ""), flush=True)
        results: list[LevelResult] = []
        for level in levels:
            db_query(dsn, "UPDATE arena_contender SET status = 'active', consecutive_failures = 0")
            print(f"\n== {level} simultaneous voters (load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}) ...", flush=True)
            result = run_level(level, config, stack, dsn, args.quiet_timeout, profile_dir)
            results.append(result)
            print(report([result], None).split("\n\nTargets:")[0], flush=True)
        votes = None
        if not args.skip_votes:
            db_query(dsn, "UPDATE arena_contender SET status = 'active', consecutive_failures = 0")
            print(f"\n== votes phase: {args.vote_voters} voters x {args.votes_per_voter} "
                  "ready battles ...", flush=True)
            votes = run_vote_phase(
                config, stack, dsn, args.vote_voters, args.votes_per_voter, args.quiet_timeout,
                profile_dir,
            )
        print("\n" + "=" * 100)
        print(f"bench_serving: scenario {model}, max_tokens {args.max_tokens or 'none'}, "
              f"worker concurrency {concurrency}, {services.label}")
        print(report(results, votes))
        if args.json:
            Path(args.json).write_text(json.dumps({
                "config": {**vars(args), "model": model, "worker_concurrency": concurrency,
                           "services": services.label, "log_dir": str(log_dir)},
                "targets": TARGETS,
                "levels": [asdict(r) for r in results],
                "votes": asdict(votes) if votes else None,
                "verdicts": verdicts(results, votes),
            }, indent=2))
            print(f"\nwrote {args.json}")
        print(f"process logs: {log_dir}")
        return 0
    except KeyboardInterrupt:
        print(f"\ninterrupted: stopping every process (logs in {log_dir})", file=sys.stderr)
        return 130
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
