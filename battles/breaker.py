"""A per-contender circuit breaker with half-open recovery.

Every finished completion reports here. Consecutive failures are counted on the
``Contender`` row (reset by any success); at ``ARENA_BREAKER_FAILURES`` in a row the
breaker opens: the contender goes to ``outage`` (through the lifecycle, logged) and the
sampler stops drawing it.

Closed → open → half-open → closed (or open again):

* *open*: ``outage``, less than ``ARENA_BREAKER_COOLDOWN`` since it opened;
* *half-open*: the cool-down has passed; the periodic ``probe_breakers`` lets exactly
  one request through -- the connection test, never a voter's battle. Success closes the
  breaker (``active``, clean count); failure re-opens it for another cool-down.

Exactly one probe per cool-down, however many workers or in-process threads run the
periodic task: the probe is claimed by a conditional ``UPDATE`` that moves
``breaker_opened_at`` to now, atomic in PostgreSQL and in SQLite alike (the loser
updates no row). A probe whose worker dies is simply retried a cool-down later.

Operators can still close it at once: the admin's "Reset circuit breaker" action.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from arena import lifecycle
from arena.connection import try_connection
from arena.models import Contender, ContenderStatus, TransitionEvent

if TYPE_CHECKING:
    from arena.lifecycle import Actor

logger = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half-open"]


def record_success(contender_id: int) -> None:
    Contender.objects.filter(pk=contender_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def record_failure(contender_id: int) -> bool:
    """Count a failure; True when this failure opened the breaker."""
    Contender.objects.filter(pk=contender_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.ARENA_BREAKER_FAILURES
    tripped = Q(status=ContenderStatus.ACTIVE, consecutive_failures__gte=limit)
    if not Contender.objects.filter(tripped, pk=contender_id).exists():
        return False
    # Conditional under the row lock: of two workers failing at once, exactly one opens it.
    opened = lifecycle.change_status(
        contender_id, ContenderStatus.OUTAGE, via="breaker",
        note=f"{limit} consecutive failures", only_if=tripped,
    )  # fmt: skip
    if opened:
        logger.warning(
            "contender %s: %s consecutive failures, status set to outage", contender_id, limit
        )
    return opened


def reset_breaker(contender_id: int, *, by: Actor = None) -> None:
    """Put a contender in outage back into rotation with a clean count."""
    lifecycle.change_status(
        contender_id, ContenderStatus.ACTIVE, by=by, via="breaker reset",
        only_if=Q(status=ContenderStatus.OUTAGE),
    )  # fmt: skip
    Contender.objects.filter(pk=contender_id).update(consecutive_failures=0)


def breaker_state(contender: Contender, now: datetime | None = None) -> BreakerState:
    if contender.status != ContenderStatus.OUTAGE:
        return "closed"
    opened = contender.breaker_opened_at
    now = now or timezone.now()
    if opened is None or opened <= now - _cooldown():
        return "half-open"
    return "open"


def claim_probe(contender_id: int, now: datetime | None = None) -> bool:
    """Take the one probe of this cool-down; False when another caller took it."""
    now = now or timezone.now()
    return bool(
        Contender.objects.filter(_probe_due(now), pk=contender_id).update(breaker_opened_at=now)
    )


def probe(contender_id: int, now: datetime | None = None) -> bool | None:
    """The half-open probe: None when not due (or claimed elsewhere), else whether the
    backend answered (and the breaker closed)."""
    if not claim_probe(contender_id, now):
        return None
    contender = Contender.objects.get(pk=contender_id)
    result = try_connection(contender)
    if result.ok:
        closed = lifecycle.change_status(
            contender_id, ContenderStatus.ACTIVE, via="breaker probe", note=result.describe(),
            only_if=Q(status=ContenderStatus.OUTAGE),
        )  # fmt: skip
        logger.info("contender %s: probe succeeded, breaker closed", contender.codename)
        return closed
    lifecycle.log(
        contender, TransitionEvent.TESTED, from_status=contender.status,
        to_status=contender.status, via="breaker probe",
        note=result.describe() + "; breaker stays open",
    )  # fmt: skip
    logger.warning("contender %s: probe failed (%s)", contender.codename, result.error)
    return False


def probe_breakers(now: datetime | None = None) -> dict[str, int]:
    """Probe every half-open contender once; counts of those closed and re-opened."""
    now = now or timezone.now()
    due = Contender.objects.filter(_probe_due(now)).values_list("pk", flat=True)
    report = {"closed": 0, "reopened": 0}
    for contender_id in list(due):
        outcome = probe(contender_id, now)
        if outcome is True:
            report["closed"] += 1
        elif outcome is False:
            report["reopened"] += 1
    return report


def _cooldown() -> timedelta:
    return timedelta(seconds=settings.ARENA_BREAKER_COOLDOWN)


def _probe_due(now: datetime) -> Q:
    cooled = Q(breaker_opened_at__isnull=True) | Q(breaker_opened_at__lte=now - _cooldown())
    return Q(status=ContenderStatus.OUTAGE) & cooled
