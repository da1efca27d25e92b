"""Testing a contender's connection: one real streamed request, nothing stored as a battle.

The request goes through exactly what a battle's generation uses (``build_request`` and
the contender's backend), so a passing test means battles will reach the model: the key
variable, the base URL, the model id and the protocol are all exercised. The operator
gets the latency to the first answer token, the total time, a short sample of the text,
or the backend's reason for failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from django.conf import settings

from arena.backends import build_request, get_backend
from arena.backends.base import BackendError, Delta, Finished, Message
from arena.models import Contender

PROMPT = "Reply with one short sentence: what is the capital of France?"
# Enough for a sentence; a test should cost the provider next to nothing.
MAX_TOKENS = 64
SAMPLE_CHARS = 200


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    first_token_s: float | None
    total_s: float
    sample: str
    error: str = ""
    finish_reason: str = ""

    def describe(self) -> str:
        """One line for the admin message, the command and the transition note."""
        if not self.ok:
            return f"failed after {self.total_s:.2f}s: {self.error}"
        first = "-" if self.first_token_s is None else f"{self.first_token_s:.2f}s"
        return (
            f"ok: first token {first}, total {self.total_s:.2f}s, "
            f"finish {self.finish_reason!r}, sample {self.sample!r}"
        )


def try_connection(contender: Contender, *, timeout: float | None = None) -> ConnectionResult:
    """Stream one short answer from ``contender``'s backend and time it."""
    limit = settings.ARENA_CONNECTION_TEST_TIMEOUT if timeout is None else timeout
    started = time.monotonic()
    deadline = started + limit
    parts: list[str] = []
    first: float | None = None
    try:
        request = build_request(contender, [Message("user", PROMPT)])
        request = replace(
            request,
            max_tokens=min(request.max_tokens or MAX_TOKENS, MAX_TOKENS),
            first_token_timeout=min(request.first_token_timeout, limit),
            idle_timeout=min(request.idle_timeout, limit),
        )
        events = get_backend(contender.backend).stream(request)
        try:
            for event in events:
                if time.monotonic() > deadline:
                    raise BackendError(f"no finish within {limit:g}s")
                if isinstance(event, Finished):
                    return _result(True, first, started, parts, finish=event.reason)
                if isinstance(event, Delta) and event.text:
                    if first is None:
                        first = time.monotonic() - started
                    parts.append(event.text)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
        raise BackendError("stream ended without a finish")
    except BackendError as exc:
        return _result(False, first, started, parts, error=exc.reason)


def _result(
    ok: bool,
    first: float | None,
    started: float,
    parts: list[str],
    *,
    finish: str = "",
    error: str = "",
) -> ConnectionResult:
    text = " ".join("".join(parts).split())
    if ok and not text:
        ok, error = False, f"empty answer (finish reason {finish!r})"
    return ConnectionResult(
        ok=ok,
        first_token_s=first,
        total_s=time.monotonic() - started,
        sample=text[:SAMPLE_CHARS],
        error=error,
        finish_reason=finish,
    )
