"""The answer when a service the arena needs is down: a clear 503, never a 500 page.

While PostgreSQL or Redis restarts (or the connection pool stays busy past its
timeout), requests fail with "try again shortly" and a ``Retry-After``; the same
running app serves again as soon as the service is back.
"""

import sys

import redis
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from arena.db import DATABASE_UNAVAILABLE

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    *DATABASE_UNAVAILABLE,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
MESSAGE = "The arena is briefly unavailable. Please try again in a few seconds."
RETRY_AFTER_SECONDS = 5


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        # Rendered without the request: context processors would reach for the session,
        # i.e. the very database that is away.
        html = loader.render_to_string("unavailable.html", {"message": MESSAGE})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a 503 for an unavailable service (raised anywhere, middleware
    included), otherwise a JSON error for the API or Django's plain 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return unavailable_response(request)
    if wants_json(request):
        return JsonResponse({"detail": "Internal error."}, status=500)
    return defaults.server_error(request)
