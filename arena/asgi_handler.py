"""Django's ASGI handler, with each request for a sync view served whole in one thread.

Django's own handler runs a sync view under ASGI in several hops between the event loop
and a thread: the ``request_started`` receivers, the middleware chain, the view, the
response's ``close`` (``request_finished``), each a ``sync_to_async`` call, and a new
thread for every request (``ThreadSensitiveContext``). For a JSON endpoint that is
about half the CPU of a request. Here such a request is read on the event loop, then
run once in a bounded pool of threads the way a WSGI server runs it (signals, sync
middleware chain, view, close, all in that thread), and its response is written back
on the event loop. Async views (the live event stream) and everything that resolves to
no view (static files, 404s) take Django's own async path unchanged.
"""

import asyncio
import contextlib
import contextvars
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import HttpResponseBase
from django.urls import Resolver404, get_resolver, set_script_prefix
from django.utils.module_loading import import_string

Scope = dict[str, Any]


def _sync_middleware_handler() -> BaseHandler:
    """A handler whose chain is ``MIDDLEWARE`` without its async-only entries.

    Those (ServeStatic) act on paths that never reach this handler; left in, Django
    would adapt the whole chain back to async for every request.
    """
    handler = BaseHandler()
    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = [
        path for path in full if getattr(import_string(path), "sync_capable", True)
    ]
    try:
        handler.load_middleware(is_async=False)
    finally:
        settings.MIDDLEWARE = full
    return handler


class ArenaASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self._sync = _sync_middleware_handler()
        # Bounded: requests beyond it queue here, not as threads (the database pool
        # bounds how many of them hold a connection at once).
        self._threads = ThreadPoolExecutor(
            max_workers=settings.ARENA_WEB_THREADS, thread_name_prefix="arena-request"
        )

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self._routes_to_sync_view(scope):
            await self._handle_in_thread(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    def _routes_to_sync_view(self, scope: Scope) -> bool:
        script_name = get_script_prefix(scope).rstrip("/")
        path = scope["path"].removeprefix(script_name) or "/"
        try:
            match = get_resolver().resolve(path)
        except Resolver404:
            return False
        return not iscoroutinefunction(match.func)

    async def _handle_in_thread(self, scope: Scope, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:  # the client left before its body arrived
            return
        # A fresh context per request: nothing of one request's state (its database
        # connection included) is seen by the next one on the same thread.
        context = contextvars.Context()
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(
                self._threads, context.run, self._respond, scope, body_file
            )
            # The client may leave while the response is sent (as in Django's handler).
            with contextlib.suppress(asyncio.CancelledError):
                await self.send_response(response, send)
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=False)()
        finally:
            body_file.close()

    def _respond(self, scope: Scope, body_file: Any) -> HttpResponseBase:
        """What a WSGI server does for one request, in this thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self._sync.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
        assert response is not None
        if response.streaming:
            # Its body is read on the event loop, so close it there; the request's
            # connections go back to the pool here, from the thread that holds them.
            close_old_connections()
        else:
            response.close()  # request_finished: connections go back to the pool
        return response
