"""The operator's backend-health page and the public transparency page."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
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


@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    return render(request, "battles/transparency.html", {"report": transparency_report()})
