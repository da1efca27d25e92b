"""Handing generation tasks to whoever runs them: Celery workers, or the embedded runtime."""

import logging
from uuid import UUID

from django.conf import settings

from arena import embedded
from battles.generation import fail_unstarted

logger = logging.getLogger(__name__)


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
    embedded.submit_task(generate_completion_task.name, str(completion_id))
    # No beat in this mode: new generations drive the periodic tasks.
    embedded.run_due_periodic_tasks()


def enqueue_labelling(battle_id: UUID | str) -> None:
    """Have the LLM labeller judge a voted battle, when ``ARENA_LABELLER_JUDGE`` is set."""
    from battles.tasks import label_battle_task

    if not settings.ARENA_LABELLER_JUDGE:
        return
    if not settings.ARENA_INPROCESS_TASKS:
        try:
            label_battle_task.delay(str(battle_id))
        except Exception:
            # The vote stands with its heuristic labels; a lost label is not worth a 500.
            logger.exception("could not enqueue labelling of battle %s", battle_id)
        return
    embedded.submit_task(label_battle_task.name, str(battle_id))
