"""Middleware of the arena project."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_only_middleware


@sync_only_middleware
class OneThreadHop:
    """Outermost: the middleware chain and the sync views run in one thread hop.

    Django's own middleware can run either way, so under ASGI each of its hooks would
    hop to a thread and back (a dozen switches a request, most of a vote's cost). Being
    sync-only here makes Django adapt once, at the top; async views (the live stream)
    are still served by the event loop.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
