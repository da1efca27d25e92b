"""A contender's lifecycle: every status change and reveal goes through here, and is logged.

add → (test connection) → active, blind → reveal → retire, with pauses and breaker
outages on the way. Each step writes one ``ContenderTransition`` (who, when, from → to,
note) in the same transaction as the change itself, so the log can never disagree with
the row. ``change_status`` is the one function that changes ``Contender.status``: the
admin, the commands, the registry and the circuit breaker all call it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from arena.models import Contender, ContenderStatus, ContenderTransition, TransitionEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Actor = AbstractBaseUser | AnonymousUser | None


def _actor_id(by: Actor) -> int | None:
    return by.pk if by is not None and getattr(by, "is_authenticated", False) else None


def log(
    contender: Contender,
    event: str,
    *,
    from_status: str = "",
    to_status: str = "",
    by: Actor = None,
    via: str = "",
    note: str = "",
) -> ContenderTransition:
    """Append one step to ``contender``'s history."""
    return ContenderTransition.objects.create(
        contender=contender,
        event=event,
        from_status=from_status,
        to_status=to_status,
        actor_id=_actor_id(by),
        via=via,
        note=note,
    )


def log_added(contender: Contender, *, by: Actor = None, via: str = "") -> None:
    shown = "revealed" if contender.is_revealed else "blind"
    log(
        contender, TransitionEvent.ADDED, to_status=contender.status, by=by, via=via,
        note=f"added {shown}",
    )  # fmt: skip


def change_status(
    contender: Contender | int,
    to: str,
    *,
    by: Actor = None,
    via: str = "",
    note: str = "",
    only_if: Q | None = None,
) -> bool:
    """Move a contender to status ``to`` and log it; False when nothing changed.

    ``only_if`` is a condition the row must still meet under its lock (the breaker
    opens only an ``active`` contender with enough failures): of two workers racing, one
    changes it and logs it, the other sees the new status and does nothing. Entering
    ``active`` clears the breaker; ``outage`` starts its cool-down; ``retired`` records
    the date (cleared if it ever comes back).
    """
    target = ContenderStatus(to)
    pk = contender if isinstance(contender, int) else contender.pk
    with transaction.atomic():
        rows = Contender.objects.select_for_update().filter(pk=pk)
        if only_if is not None:
            rows = rows.filter(only_if)
        row = rows.first()
        if row is None or row.status == target:
            return False
        before = row.status
        row.status = target
        now = timezone.now()
        if target == ContenderStatus.ACTIVE:
            row.consecutive_failures = 0
            row.breaker_opened_at = None
        if target == ContenderStatus.OUTAGE:
            row.breaker_opened_at = now
        row.retired_at = now if target == ContenderStatus.RETIRED else None
        row.save(
            update_fields=["status", "consecutive_failures", "breaker_opened_at", "retired_at"]
        )
        log(
            row, TransitionEvent.STATUS, from_status=before, to_status=target, by=by, via=via,
            note=note,
        )  # fmt: skip
    if isinstance(contender, Contender):
        contender.status = row.status
        contender.retired_at = row.retired_at
        contender.consecutive_failures = row.consecutive_failures
        contender.breaker_opened_at = row.breaker_opened_at
    return True


def reveal(
    contender: Contender,
    public_name: str,
    organisation: str | None = None,
    *,
    by: Actor = None,
    via: str = "",
) -> None:
    """Lift the codename (the caller holds the row lock); logged, with the votes so far
    (the provisional mark counts from there). A second reveal renames, and keeps the
    first reveal's time and count."""
    first = not contender.is_revealed
    contender.reveal(public_name, organisation)
    if first:
        contender.votes_at_reveal = counted_votes(contender.pk)
        contender.save(update_fields=["votes_at_reveal"])
    log(
        contender, TransitionEvent.REVEALED, from_status=contender.status,
        to_status=contender.status, by=by, via=via,
        note=f"public name {contender.public_name!r}" + ("" if first else " (renamed)"),
    )  # fmt: skip


def counted_votes(contender_id: int) -> int:
    """Votes of this contender that count for the ratings (either side)."""
    from battles.models import Vote  # battles builds on the registry, not the other way

    return (
        Vote.objects.filter(counted=True)
        .filter(Q(contender_a_id=contender_id) | Q(contender_b_id=contender_id))
        .count()
    )
