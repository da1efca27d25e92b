"""Backend health per contender, from the completions themselves: time to the first answer
token and total time (p50/p95), error rate by reason, and the circuit breaker's state,
over a recent window (the operator page shows the last hour and the last day).

Counts and reasons are one ``GROUP BY``. Percentiles are ``percentile_cont`` in
PostgreSQL; SQLite (the embedded mode) has none, so there they come from one bounded
query of the window's most recent timings (``SQLITE_SAMPLE`` rows), computed in numpy.
Times are measured from ``started_at`` (the worker began the request), so they are the
backend's own latency, not time spent in our queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone

from arena.models import Contender
from battles.breaker import BreakerState, breaker_state
from battles.models import Completion, CompletionStatus

# Most recent finished completions read in SQLite to compute percentiles.
SQLITE_SAMPLE = 20_000
WINDOWS = {"last hour": timedelta(hours=1), "last day": timedelta(days=1)}


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, percentile: float, **extra: Any) -> None:
        super().__init__(expression, percentile=float(percentile), **extra)


@dataclass
class Timing:
    p50: float | None = None
    p95: float | None = None


@dataclass
class ContenderHealth:
    contender_id: int
    codename: str
    status: str
    breaker: BreakerState
    consecutive_failures: int
    finished: int = 0
    failed: int = 0
    first_token: Timing = field(default_factory=Timing)
    total: Timing = field(default_factory=Timing)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.finished if self.finished else None


def _reason() -> Case:
    """A failed completion's reason as a short class, in SQL (the texts vary per call)."""
    return Case(
        When(error__startswith="timed out", then=Value("timeout")),
        When(error__startswith="generation took too long", then=Value("timeout")),
        When(error__startswith="HTTP ", then=Substr("error", 1, 8)),
        When(error__startswith="connection error", then=Value("connection error")),
        When(error__startswith="stream ended without a finish", then=Value("cut stream")),
        When(error__startswith="provider error", then=Value("provider error in stream")),
        When(error__startswith="malformed stream", then=Value("malformed stream")),
        When(error__startswith="empty answer", then=Value("empty answer")),
        When(error__startswith="API key", then=Value("API key missing")),
        When(error__startswith="no worker finished", then=Value("task lost")),
        When(error__startswith="internal error", then=Value("internal error")),
        default=Value("other"),
        output_field=CharField(),
    )


def _first_token() -> ExpressionWrapper:
    return ExpressionWrapper(F("first_token_at") - F("started_at"), output_field=DurationField())


def _total() -> ExpressionWrapper:
    return ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())


def backend_health(window: timedelta, now: datetime | None = None) -> list[ContenderHealth]:
    """Health of every live contender over the ``window`` before ``now``, by codename."""
    now = now or timezone.now()
    since = now - window
    people = Contender.objects.filter(historic=False).only(
        "id", "codename", "status", "breaker_opened_at", "consecutive_failures"
    )
    report = {
        c.pk: ContenderHealth(
            c.pk, c.codename, c.status, breaker_state(c, now), c.consecutive_failures
        )
        for c in people
    }
    finished = Completion.objects.filter(
        finished_at__gte=since,
        finished_at__lte=now,
        status__in=(CompletionStatus.DONE, CompletionStatus.FAILED),
    )
    counts = finished.values("contender_id").annotate(
        n=Count("id"), failed=Count("id", filter=Q(status=CompletionStatus.FAILED))
    )
    for cid, n, failed in counts.values_list("contender_id", "n", "failed"):
        health = report.get(cid)
        if health is not None:
            health.finished, health.failed = n, failed
    reasons = (
        finished.filter(status=CompletionStatus.FAILED)
        .annotate(reason=_reason())
        .values("contender_id", "reason")
        .annotate(n=Count("id"))
    )
    for cid, reason, n in reasons.values_list("contender_id", "reason", "n"):
        health = report.get(cid)
        if health is not None:
            health.errors[reason] = n
    timed = finished.filter(status=CompletionStatus.DONE, started_at__isnull=False)
    timings = _timings_postgresql(timed) if connection.vendor == "postgresql" else _timings(timed)
    for cid, (first, total) in timings.items():
        health = report.get(cid)
        if health is not None:
            health.first_token, health.total = first, total
    return sorted(report.values(), key=lambda h: h.codename)


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _timings_postgresql(done: QuerySet[Completion]) -> dict[int, tuple[Timing, Timing]]:
    has_first = Q(first_token_at__isnull=False)
    rows = done.values("contender_id").annotate(
        f50=Percentile(_first_token(), 0.5, filter=has_first),
        f95=Percentile(_first_token(), 0.95, filter=has_first),
        t50=Percentile(_total(), 0.5),
        t95=Percentile(_total(), 0.95),
    )
    return {
        r["contender_id"]: (
            Timing(_seconds(r["f50"]), _seconds(r["f95"])),
            Timing(_seconds(r["t50"]), _seconds(r["t95"])),
        )
        for r in rows
    }


def _timings(done: QuerySet[Completion]) -> dict[int, tuple[Timing, Timing]]:
    """The same percentiles from the most recent ``SQLITE_SAMPLE`` answers (linear
    interpolation, as ``percentile_cont``)."""
    rows = done.order_by("-finished_at").values_list(
        "contender_id", "started_at", "first_token_at", "finished_at"
    )[:SQLITE_SAMPLE]
    firsts: dict[int, list[float]] = defaultdict(list)
    totals: dict[int, list[float]] = defaultdict(list)
    for cid, started, first, finished in rows:
        if started is None or finished is None:
            continue  # excluded by the query; the guard is for the type checker
        totals[cid].append((finished - started).total_seconds())
        if first is not None:
            firsts[cid].append((first - started).total_seconds())
    return {cid: (_timing(firsts.get(cid, [])), _timing(values)) for cid, values in totals.items()}


def _timing(values: list[float]) -> Timing:
    if not values:
        return Timing()
    p50, p95 = np.percentile(np.asarray(values), [50, 95])
    return Timing(float(p50), float(p95))
