"""Run Django's middleware in the request's thread, not one thread hop per hook."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class SyncChainMiddleware:
    """Last in ``MIDDLEWARE``: a sync-only middleware, so every sync-capable one above it
    runs synchronously, in one thread hop per request.

    Django's own middleware are ``MiddlewareMixin``s, sync and async capable. Under ASGI,
    with the async view handler below them, Django runs them in async mode, where each
    ``process_request``/``process_response`` is a separate ``sync_to_async`` hop to the
    request's thread and back: about a dozen per request, which cost more CPU than a
    vote's own work. A sync-only middleware at the bottom makes Django adapt once,
    here, and run the chain above it in sync mode (Django's documented middleware
    adaptation). Async-only middleware above it (ServeStatic, first in the list) stay on
    the event loop, so static files are still served asynchronously.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
