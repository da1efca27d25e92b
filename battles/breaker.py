"""A per-contender circuit breaker.

Every finished completion reports here. Consecutive failures are counted on the
``Contender`` row (reset by any success); at ``ARENA_BREAKER_FAILURES`` in a row the
contender goes to ``outage`` and the sampler stops drawing it.

Resetting, for operators: the contender admin's "Reset circuit breaker" action
(``reset_breaker``) puts it back to ``active`` with a clean counter. Setting only the
status back to ``active`` leaves the breaker half-open: one more failure trips it again
at once, one success clears the counter.
"""

import logging

from django.conf import settings
from django.db.models import F

from arena.models import Contender, ContenderStatus

logger = logging.getLogger(__name__)


def record_success(contender_id: int) -> None:
    Contender.objects.filter(pk=contender_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def record_failure(contender_id: int) -> bool:
    """Count a failure; True when this failure opened the breaker."""
    Contender.objects.filter(pk=contender_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    # Conditional update: of two workers failing at once, exactly one opens it.
    opened = Contender.objects.filter(
        pk=contender_id,
        status=ContenderStatus.ACTIVE,
        consecutive_failures__gte=settings.ARENA_BREAKER_FAILURES,
    ).update(status=ContenderStatus.OUTAGE)
    if opened:
        logger.warning(
            "contender %s: %s consecutive failures, status set to outage",
            contender_id,
            settings.ARENA_BREAKER_FAILURES,
        )
    return bool(opened)


def reset_breaker(contender_id: int) -> None:
    """Put a contender in outage back into rotation with a clean count."""
    Contender.objects.filter(pk=contender_id, status=ContenderStatus.OUTAGE).update(
        status=ContenderStatus.ACTIVE
    )
    Contender.objects.filter(pk=contender_id).update(consecutive_failures=0)
