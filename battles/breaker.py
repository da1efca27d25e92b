"""A per-contender circuit breaker.

Every finished completion reports here. Consecutive failures are counted on the
``Contender`` row (reset by any success); at ``ARENA_BREAKER_FAILURES`` in a row the
contender goes to ``outage`` and the sampler stops drawing it.

Resetting, for operators: in the admin, set the contender's status back to ``active``
(or run ``reset_breaker(contender_id)`` from ``manage.py shell``; ``reset_breaker_action``
is an admin action ready to be added to the contender admin). ``reset_breaker`` also
clears the counter; setting only the status leaves the breaker half-open: one more
failure trips it again at once, one success clears the counter.
"""

import logging

from django.conf import settings
from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest

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


@admin.action(description="Reset circuit breaker (outage → active)")
def reset_breaker_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Contender]
) -> None:
    for contender_id in queryset.values_list("pk", flat=True):
        reset_breaker(contender_id)
