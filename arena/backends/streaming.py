"""Deadlines and error hygiene shared by the network backends.

The SDKs only know one read timeout per request, but an answer has two clocks: the wait
for the first token (long: the model may think first) and the gap between chunks after
it. So the SDK stream is read on a helper thread and the caller waits on a queue with
whichever deadline applies; the SDK's own read timeout is only a backstop.

A reasoning delta ends the first wait just as an answer token does: it proves the model
is producing. From then on the idle timeout applies, between thoughts too, so a model
that stalls while thinking fails after ``idle_timeout``; one that thinks without
streaming its thoughts still has the whole ``first_token_timeout``.

Deltas that are already waiting in the queue when the caller comes for the next one are
handed over as one: a caller that keeps up sees every chunk as it came, one that falls
behind (a worker busy with hundreds of streams) publishes fewer, larger entries instead
of a growing backlog.
"""

import importlib
import json
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager

from arena.backends.base import (
    BackendError,
    Delta,
    Finished,
    GenerationRequest,
    Reasoning,
    StreamEvent,
)

# A producer yields ``None`` for a chunk without text (role, signature, usage, ping): it
# proves the connection is alive but is not a token.
Chunk = StreamEvent | None
MAX_REASON_CHARS = 300
_END = object()
_NOTHING = object()


def guarded_stream(
    produce: Callable[[], Generator[Chunk, None, None]],
    request: GenerationRequest,
    map_error: Callable[[Exception], BackendError],
) -> Iterator[StreamEvent]:
    """Yield ``produce()``'s text and reasoning deltas and its ``Finished`` under the
    request's deadlines.

    Raises ``BackendError`` when no token (answer or reasoning) arrives within
    ``first_token_timeout``, no chunk within ``idle_timeout`` after that, or the producer
    ends without a ``Finished``.
    Leaving early (a ``close()`` of this generator) stops the producer, which closes the
    HTTP stream on its own thread.
    """
    items: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        chunks = produce()
        try:
            for chunk in chunks:
                items.put(chunk)
                if stop.is_set():
                    break
        except Exception as exc:
            items.put(exc if isinstance(exc, BackendError) else map_error(exc))
        else:
            items.put(_END)
        finally:
            chunks.close()

    threading.Thread(target=pump, name="arena-backend-stream", daemon=True).start()
    started = time.monotonic()
    got_token = False
    waiting: object = _NOTHING  # taken from the queue while coalescing, not yet handled
    try:
        while True:
            if got_token:
                wait = request.idle_timeout
            else:
                wait = started + request.first_token_timeout - time.monotonic()
            try:
                item = items.get(timeout=max(wait, 0.0)) if waiting is _NOTHING else waiting
            except queue.Empty:
                raise _timed_out(request, got_token) from None
            waiting = _NOTHING
            if item is _END:
                raise BackendError("stream ended without a finish", transient=True)
            if isinstance(item, BackendError):
                raise BackendError(redact(item.reason, request.api_key), transient=item.transient)
            if isinstance(item, Finished):
                yield item
                return
            if isinstance(item, Delta | Reasoning) and item.text:
                got_token = True
                merged, waiting = _coalesce(item, items)
                yield merged
    finally:
        stop.set()


def _coalesce(first: Delta | Reasoning, items: "queue.Queue[object]") -> tuple[StreamEvent, object]:
    """``first`` joined with the events of its kind already queued behind it, and the
    first queued item of another kind (or ``_NOTHING``)."""
    texts = [first.text]
    while True:
        try:
            item = items.get_nowait()
        except queue.Empty:
            item = _NOTHING
            break
        if item is None:
            continue  # a keep-alive chunk: nothing to hand over
        if type(item) is not type(first):
            break
        texts.append(item.text)
    return type(first)("".join(texts)), item


def _timed_out(request: GenerationRequest, got_token: bool) -> BackendError:
    if got_token:
        return BackendError(f"timed out: no data for {request.idle_timeout:g}s", transient=True)
    return BackendError(
        f"timed out waiting {request.first_token_timeout:g}s for the first token",
        transient=True,
    )


def redact(reason: str, secret: str) -> str:
    """``reason`` shortened for logs, with the API key (if any) blanked out."""
    if secret:
        reason = reason.replace(secret, "***")
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "…"
    return reason


def status_error(status: int, message: str) -> BackendError:
    """An HTTP error answer: rate limits and server errors may pass, the rest will not."""
    transient = status in (408, 409, 429) or status >= 500
    return BackendError(f"HTTP {status}: {message}", transient=transient)


def http_timeouts(request: GenerationRequest) -> dict[str, float]:
    """Keyword arguments for the SDKs' ``Timeout``: our deadlines fire first, these back up."""
    backstop = max(request.first_token_timeout, request.idle_timeout) + 1.0
    connect = min(10.0, request.first_token_timeout)
    return {"connect": connect, "read": backstop, "write": 30.0, "pool": connect}


@contextmanager
def malformed_as_error() -> Iterator[None]:
    """Around reading a provider's stream: bad JSON or odd shapes become a ``BackendError``."""
    try:
        yield
    except (ValueError, AttributeError, TypeError, KeyError) as exc:
        # json.JSONDecodeError is a ValueError; unexpected shapes surface as the others.
        kind = "invalid JSON" if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise BackendError(f"malformed stream: {kind}", transient=False) from exc


def _transport_error_classes() -> tuple[type[Exception], ...]:
    # SDK versions differ in their HTTP library (httpx or its successor httpx2) and not
    # all of them wrap errors raised while reading a stream; catch both families.
    found: list[type[Exception]] = []
    for name in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_TRANSPORT_ERRORS = _transport_error_classes()


def transport_error(exc: Exception) -> BackendError | None:
    """A connection-level failure the SDK let through unwrapped, or None."""
    if not isinstance(exc, _TRANSPORT_ERRORS):
        return None
    if "Timeout" in type(exc).__name__:
        return BackendError("timed out waiting for the provider", transient=True)
    return BackendError(f"connection error: {exc}", transient=True)
