"""Periodic housekeeping of the battle flow: what no worker or voter will ever finish.

* A completion whose task message was lost (broker flushed, worker killed past the
  redelivery window, in-process pool lost on a restart) would stay pending or streaming
  forever; once well past the generation deadline it is failed, so its battle settles
  and live viewers stop waiting.
* A battle nobody voted on is abandoned a while after its last turn: its rows stay, it
  can no longer be voted on or continued.

Both claim rows with a conditional ``UPDATE``: a worker that finishes (or a redelivered
run that restarts) at the same moment wins, and a finished completion is never touched.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from battles.generation import announce_failure
from battles.models import Battle, BattleStatus, Completion, CompletionStatus

logger = logging.getLogger(__name__)

# Battles that still wait for something (a vote, or answers) and can be abandoned.
_OPEN_BATTLE = (BattleStatus.GENERATING, BattleStatus.READY, BattleStatus.FAILED)


@dataclass(frozen=True)
class HousekeepingReport:
    failed_completions: int
    abandoned_battles: int


def run_housekeeping(now: datetime | None = None) -> HousekeepingReport:
    """Fail stuck completions, then abandon stale battles (which may include their battles)."""
    now = now or timezone.now()
    return HousekeepingReport(
        failed_completions=fail_stuck_completions(now),
        abandoned_battles=abandon_stale_battles(now),
    )


def stuck_limit() -> float:
    """Seconds after its (re)start by which any live run has finished a completion."""
    return float(settings.ARENA_GENERATION_TIMEOUT + settings.ARENA_STUCK_MARGIN)


def fail_stuck_completions(now: datetime | None = None) -> int:
    """Fail every pending/streaming completion far past its deadline; how many were failed.

    Not counted against the circuit breaker: a lost task says nothing about the backend.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stuck_limit())
    reason = (
        f"no worker finished this generation within {stuck_limit():g}s "
        "(its task was lost or its worker died)"
    )
    failed = 0
    for completion_id in stuck_completion_ids(cutoff):
        if _fail_if_stuck(completion_id, cutoff, now, reason):
            logger.warning("completion %s was stuck: %s", completion_id, reason)
            failed += 1
    return failed


def stuck_completion_ids(cutoff: datetime) -> list[UUID]:
    """Unfinished completions whose latest run started (or that were queued) before cutoff."""
    return list(
        Completion.objects.filter(_stuck_before(cutoff))
        .order_by("queued_at")
        .values_list("pk", flat=True)
    )


def _stuck_before(cutoff: datetime) -> Q:
    # A run restarted by a redelivered task refreshes started_at, and with it its deadline.
    started_before = Q(started_at__lt=cutoff) | Q(started_at=None, queued_at__lt=cutoff)
    unfinished = Q(status__in=(CompletionStatus.PENDING, CompletionStatus.STREAMING))
    return unfinished & started_before


def _fail_if_stuck(completion_id: UUID, cutoff: datetime, now: datetime, reason: str) -> bool:
    # The condition again, in the UPDATE itself: a run that finished or restarted since
    # the selection no longer matches, and keeps its result.
    claimed = Completion.objects.filter(_stuck_before(cutoff), pk=completion_id).update(
        status=CompletionStatus.FAILED, error=reason, finished_at=now
    )
    if not claimed:
        return False
    announce_failure(completion_id)
    return True


def abandon_stale_battles(now: datetime | None = None) -> int:
    """Abandon unvoted battles whose last turn is older than ``ARENA_ABANDON_AFTER``.

    One ``UPDATE``; its ``updated_at`` condition loses to a vote or a follow-up turn
    written at the same moment (both touch the row), so neither is ever overridden.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ARENA_ABANDON_AFTER)
    abandoned = (
        Battle.objects.filter(status__in=_OPEN_BATTLE, updated_at__lt=cutoff)
        .exclude(turns__created_at__gte=cutoff)
        .update(status=BattleStatus.ABANDONED, updated_at=now)
    )
    if abandoned:
        logger.info("abandoned %d battles with no activity since %s", abandoned, cutoff)
    return abandoned
