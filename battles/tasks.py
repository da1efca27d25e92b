"""Celery tasks of the battles app. Tasks take ids and call one domain function."""

from uuid import UUID

from celery import shared_task

from battles.breaker import probe_breakers
from battles.generation import run_generation
from battles.housekeeping import run_housekeeping
from battles.labeller import label_battle


# acks_late: a worker killed mid-stream leaves the message unacknowledged, so it is
# redelivered; run_generation restarts such a generation without duplicating text.
@shared_task(name="battles.generate_completion_task", acks_late=True, ignore_result=True)
def generate_completion_task(completion_id: str) -> None:
    run_generation(UUID(completion_id))


# Scheduled by CELERY_BEAT_SCHEDULE (expires: a backlog of them is pointless); the
# embedded mode runs it from arena.embedded.run_due_periodic_tasks.
@shared_task(name="battles.housekeeping_task", ignore_result=True)
def housekeeping_task() -> dict[str, int]:
    report = run_housekeeping()
    return {
        "failed_completions": report.failed_completions,
        "abandoned_battles": report.abandoned_battles,
    }


# The optional LLM labeller (ARENA_LABELLER_JUDGE), after the vote; idempotent, so a
# redelivered message only re-applies the cached judgement.
@shared_task(name="battles.label_battle_task", acks_late=True, ignore_result=True)
def label_battle_task(battle_id: str) -> None:
    label_battle(UUID(battle_id))
# Scheduled like housekeeping: half-open circuit breakers get their one probe request.
@shared_task(name="battles.probe_breakers_task", ignore_result=True)
def probe_breakers_task() -> dict[str, int]:
    return probe_breakers()
