"""Handing generation tasks to whoever runs them.

Production (``ARENA_INPROCESS_TASKS`` false): Celery on Redis, separate worker processes.
Embedded: the *same* Celery task, run eagerly on a bounded thread pool in this process,
so there is one code path to maintain.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from uuid import UUID

from django.conf import settings
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
    future = _pool().submit(_run_inprocess, str(completion_id))
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


def _run_inprocess(completion_id: str) -> None:
    from battles.tasks import generate_completion_task

    try:
        generate_completion_task.apply(args=(completion_id,), throw=True)
    except Exception:
        logger.exception("in-process generation of completion %s crashed", completion_id)
    finally:
        # Pool threads live on between runs; a connection kept open by an idle thread
        # would outlive its usefulness (and block dropping a test database).
        connections.close_all()


def wait_for_inprocess_tasks(timeout: float = 30.0) -> bool:
    """Block until every in-process generation has finished; False on timeout (for tests)."""
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
