"""Handing generation tasks to whoever runs them.

Production (``ARENA_INPROCESS_TASKS`` false): Celery on Redis, separate worker processes.
Embedded: the *same* Celery task, run eagerly on a bounded thread pool in this process,
so there is one code path to maintain. The embedded mode has no Celery beat either:
``run_due_periodic_tasks`` runs the beat schedule's tasks on the same pool.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import connections

from battles.generation import fail_unstarted

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_inflight: set[Future[None]] = set()


def enqueue_generation(completion_id: UUID | str) -> None:
    """Start generating one completion: a Celery message, or a job on the in-process pool."""
    from battles.tasks import generate_completion_task

    if not settings.ARENA_INPROCESS_TASKS:
        try:
            generate_completion_task.delay(str(completion_id))
        except Exception:
            # The rows are committed already: without a task the battle would wait forever.
            logger.exception("could not enqueue generation of completion %s", completion_id)
            fail_unstarted(UUID(str(completion_id)), "could not enqueue the generation task")
        return
    _submit(_run_generation_inprocess, str(completion_id))
    # No beat in this mode: new generations drive the periodic tasks.
    run_due_periodic_tasks()


def run_due_periodic_tasks() -> None:
    """Embedded mode: start each ``CELERY_BEAT_SCHEDULE`` task whose interval has passed.

    Called whenever a generation is enqueued, so traffic rather than a timer thread
    drives it: no thread to start in the right process only (not in management commands
    or tests), and an idle arena has nothing new to tidy. ``cache.add`` (set-if-absent,
    expiring after the interval) lets one caller per interval through. Production has a
    real beat: there this is a no-op.
    """
    if not settings.ARENA_INPROCESS_TASKS:
        return
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    for name, entry in schedule.items():
        interval = max(1, round(float(entry["schedule"])))
        if cache.add(f"arena:embedded-beat:{name}", 1, timeout=interval):
            _submit(_run_periodic_inprocess, str(entry["task"]))


def _submit(job: Callable[[str], None], arg: str) -> None:
    future = _pool().submit(job, arg)
    with _lock:
        _inflight.add(future)
    future.add_done_callback(_forget)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.ARENA_INPROCESS_WORKERS, thread_name_prefix="arena-gen"
            )
        return _executor


def _forget(future: Future[None]) -> None:
    with _lock:
        _inflight.discard(future)


def _run_generation_inprocess(completion_id: str) -> None:
    _run_task_inprocess("battles.generate_completion_task", completion_id)


def _run_periodic_inprocess(task_name: str) -> None:
    _run_task_inprocess(task_name)


def _run_task_inprocess(task_name: str, *args: str) -> None:
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
