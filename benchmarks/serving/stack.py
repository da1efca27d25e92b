"""The processes under test: the fake provider, web (uvicorn) and worker (Celery).

Each runs in its own process group, so its CPU time (threads and children included) can
be counted, and it can be stopped as a whole. Logs go to ``<log_dir>/<name>.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def app_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the app's processes: production settings, limits raised (every
    client is 127.0.0.1)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "arena-bench-serving",
        "DEBUG": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "ARENA_BATTLES_PER_HOUR_PER_VOTER": "1000000",
        "ARENA_BATTLES_PER_HOUR_PER_IP": "100000000",
        "ARENA_VOTES_PER_DAY_PER_VOTER": "1000000",
        "ARENA_VOTES_PER_DAY_PER_IP": "100000000",
        # The load generator is a script, not a person: no proof of work per battle.
        "ARENA_HUMAN_CHECK": "off",
        "PYTHONUNBUFFERED": "1",
    }


def with_app_name(url: str, name: str) -> str:
    """The database URL with ``application_name`` set, so pg_stat_activity tells who is who."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def run_manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")


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
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
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
            [
                sys.executable,
                "-m",
                "uvicorn",
                "arena.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--no-access-log",
                # Longer than a voter's pauses: a connection the server closes just as the
                # client reuses it is a failed request (the keep-alive race).
                "--timeout-keep-alive",
                "75",
                "--workers",
                str(self.web_workers),
            ],
            env,
        )
        self.wait_http("web", f"http://127.0.0.1:{port}/api/session")
        return f"http://127.0.0.1:{port}"

    def start_worker(self, env: dict[str, str], concurrency: int, loglevel: str) -> None:
        self.spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "arena",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--prefetch-multiplier",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                loglevel,
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            env,
        )
        self.wait_log("worker", "ready.")

    def cpu_seconds(self) -> dict[str, float]:
        groups = {name: p.pid for name, p in self.processes.items()} | self.extra_groups
        return {name: group_cpu_seconds(pgid) for name, pgid in groups.items()}

    def wait_idle(self, *, busy_share: float = 0.05, timeout: float = 60.0) -> float:
        """Wait until the stack uses under ``busy_share`` of a core for a whole second
        (a web process loads its language models after it starts); seconds waited."""
        t0 = time.monotonic()
        before = sum(self.cpu_seconds().values())
        while time.monotonic() - t0 < timeout:
            time.sleep(1.0)
            now = sum(self.cpu_seconds().values())
            if now - before < busy_share:
                break
            before = now
        return time.monotonic() - t0

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

    def log_since(self, name: str, mark: int) -> str:
        """What ``name`` logged after byte ``mark`` (see ``log_size``)."""
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        with path.open("rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace")

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
