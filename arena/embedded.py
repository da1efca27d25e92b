"""The embedded mode's task runtime: Celery tasks on a thread pool in the web process.

Production (``ARENA_INPROCESS_TASKS`` false) sends tasks to Celery workers on Redis.
Embedded, the *same* Celery tasks run eagerly on a bounded thread pool here, so there is
one code path to maintain. There is no Celery beat either: ``run_due_periodic_tasks``
runs the beat schedule's tasks on the same pool.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_inflight: set[Future[None]] = set()


def submit_task(task_name: str, *args: str) -> None:
    """Run the Celery task ``task_name`` with ``args`` on the in-process pool."""
    future = _pool().submit(_run_task, task_name, *args)
    with _lock:
        _inflight.add(future)
    future.add_done_callback(_forget)


def run_due_periodic_tasks() -> None:
    """Start each ``CELERY_BEAT_SCHEDULE`` task whose interval has passed.

    Called on traffic (a generation enqueued, a vote, a leaderboard view) rather than by
    a timer thread: no thread to start in the right process only (not in management
    commands or tests), and an idle arena has nothing new to tidy. ``cache.add``
    (set-if-absent, expiring after the interval) lets one caller per interval through.
    The tasks start once the caller's transaction commits, so they see what it wrote
    (at once outside a transaction). Production has a real beat: there this is a no-op.
    """
    if settings.ARENA_INPROCESS_TASKS:
        transaction.on_commit(_start_due_periodic_tasks)


def _start_due_periodic_tasks() -> None:
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    for name, entry in schedule.items():
        interval = max(1, round(float(entry["schedule"])))
        if cache.add(f"arena:embedded-beat:{name}", 1, timeout=interval):
            submit_task(str(entry["task"]))


def wait_for_inprocess_tasks(timeout: float = 30.0) -> bool:
    """Block until every in-process task has finished; False on timeout (for tests)."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            pending = set(_inflight)
        remaining = deadline - time.monotonic()
        if not pending:
            return True
        if remaining <= 0:
            return False
        wait(pending, timeout=remaining)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.ARENA_INPROCESS_WORKERS, thread_name_prefix="arena-task"
            )
        return _executor


def _forget(future: Future[None]) -> None:
    with _lock:
        _inflight.discard(future)


def _run_task(task_name: str, *args: str) -> None:
    from arena.celery import app

    try:
        # The worker imports every app's tasks module at start; this process may not have.
        app.loader.import_default_modules()
        app.tasks[task_name].apply(args=args, throw=True)
    except Exception:
        logger.exception("in-process task %s%r crashed", task_name, args)
    finally:
        # Pool threads live on between runs; a connection kept open by an idle thread
        # would outlive its usefulness (and block dropping a test database).
        connections.close_all()
