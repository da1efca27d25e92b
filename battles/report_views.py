"""The operator's backend-health page and the public transparency page."""

import contextlib
from typing import Any

import redis
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from battles.health import WINDOWS, backend_health
from battles.transparency import transparency_report


@require_GET
@staff_member_required
def backend_health_page(request: HttpRequest) -> HttpResponse:
    windows = [
        {"label": label, "rows": backend_health(window)} for label, window in WINDOWS.items()
    ]
    context = {"windows": windows, "cooldown": settings.ARENA_BREAKER_COOLDOWN}
    return render(request, "battles/health.html", context)


_REPORT_KEY = "transparency:report"
# Without Redis the report is computed afresh: a public page must not fail with it.
_CACHE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    return render(request, "battles/transparency.html", {"report": _cached_report()})


def _cached_report() -> dict[str, Any]:
    """The report, computed at most every ``ARENA_TRANSPARENCY_CACHE`` seconds: a public
    page whose 30-day aggregates cost a scan of the month's battles."""
    try:
        found = cache.get(_REPORT_KEY)
    except _CACHE_ERRORS:
        found = None
    if found is not None:
        return dict(found)
    report = transparency_report()
    with contextlib.suppress(*_CACHE_ERRORS):
        cache.set(_REPORT_KEY, report, settings.ARENA_TRANSPARENCY_CACHE)
    return report
