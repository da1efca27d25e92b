"""Generating one completion: the worker side of a battle.

``run_generation`` claims the completion, streams that side's answer from its backend into
the token channel, and stores the final text, timings, token counts and style features in
the database (once, at the end: the database never sees per-token writes). A reasoning
model's thinking is collected apart from the answer and stored beside it; the channel
only says, once, that the side is thinking: a trace could name its maker. Transient
errors before the first token are retried with exponential backoff; anything after the
first token, or permanent, fails the completion with its reason kept for operators.

A generation streams for seconds to minutes, so it holds no database connection while
it waits on the backend (``release_connection`` after each short read or write), and
its final writes wait out a database restart. The token channel may go away too (a
Redis restart): the answer carries on regardless, and ``StreamPublisher`` brings viewers
back in step once the channel is back.
"""

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from arena.backends import build_request, get_backend
from arena.backends.base import (
    Backend,
    BackendError,
    Finished,
    GenerationRequest,
    Reasoning,
    StreamEvent,
)
from arena.db import DATABASE_UNAVAILABLE, release_connection, retry_on_database_error
from arena.db.rows import from_row, key, select_list, select_rows, table, update_where
from arena.models import Contender
from battles import breaker
from battles.channel import ChannelUnavailable, get_channel, stream_key
from battles.models import Battle, Completion, CompletionStatus, Turn
from battles.publisher import StreamPublisher
from battles.style import style_features

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How often a streaming run checks that it still holds its claim (see _ClaimLost).
CLAIM_CHECK_SECONDS = 2.0


class _ClaimLost(Exception):
    """A newer run took this completion over (its task was redelivered while we were
    alive): stop at once, publishing and storing nothing more."""


@dataclass
class _Claim:
    completion: Completion
    # The started_at this run wrote; final writes are conditional on it, so a run that
    # lost its claim to a redelivered task cannot overwrite the newer run's result.
    lease: datetime
    restarted: bool
    first_reasoning_at: datetime | None = None
    first_token_at: datetime | None = None


@dataclass
class _Answer:
    text: str
    finished: Finished
    reasoning: str


def run_generation(completion_id: UUID) -> None:
    """Generate, publish and store one completion; a no-op when it is already finished."""
    claim = _patiently(lambda: _claim(completion_id), "claiming a completion")
    if claim is None:
        return
    completion = claim.completion
    publisher = StreamPublisher(stream_key(completion.id))
    if claim.restarted:
        # A worker died mid-stream: viewers drop the partial text, we start over.
        publisher.reset()
    # Only the backend's own failures count towards its circuit breaker, not our bugs.
    backend_failed = False
    answer: _Answer | None = None
    reason = ""
    try:
        answer = _stream_answer(claim, publisher)
    except _ClaimLost:
        logger.warning("completion %s was claimed by a newer run; stopped", completion.id)
        return
    except BackendError as exc:
        reason, backend_failed = exc.reason, True
    except Exception as exc:  # a bug must not leave the battle generating forever
        logger.exception("generation of completion %s crashed", completion.id)
        reason = f"internal error: {type(exc).__name__}: {exc}"
    if answer is not None:
        done = answer
        ok = _patiently(lambda: _store_answer(claim, done), "storing an answer")
        status = CompletionStatus.DONE
    else:
        ok = _patiently(lambda: _store_failure(claim, reason), "storing a failure")
        status = CompletionStatus.FAILED
    if not ok:
        logger.warning("completion %s was claimed by a newer run; result dropped", completion.id)
        return
    if status == CompletionStatus.DONE:
        _patiently(lambda: breaker.record_success(completion.contender_id), "resetting a breaker")
    elif backend_failed:
        _patiently(lambda: breaker.record_failure(completion.contender_id), "counting a failure")
    # The battle status before the end entry: a viewer that sees both ends can vote.
    _patiently(lambda: Battle.refresh_status(completion.turn.battle_id), "settling a battle")
    release_connection()
    publisher.end(status)


def _patiently(work: Callable[[], T], what: str) -> T:
    """``work()``, waiting out a database restart for ``ARENA_DB_RETRY_PATIENCE``."""
    return retry_on_database_error(work, what=what, patience=settings.ARENA_DB_RETRY_PATIENCE)


def fail_unstarted(completion_id: UUID, reason: str) -> None:
    """Fail a completion no worker will ever pick up (its task could not be queued)."""
    failed = Completion.objects.filter(pk=completion_id, status=CompletionStatus.PENDING).update(
        status=CompletionStatus.FAILED, error=reason, finished_at=timezone.now()
    )
    if failed:
        announce_failure(completion_id)


def announce_failure(completion_id: UUID) -> None:
    """After a completion was failed outside its run: refresh the battle, end the stream.

    The battle status first, as in ``run_generation``: a viewer that sees the end entry
    finds the battle already settled.
    """
    battle_id = Completion.objects.values_list("turn__battle_id", flat=True).get(pk=completion_id)
    Battle.refresh_status(battle_id)
    # Without the channel, viewers find the failure in the database at their next heartbeat.
    with contextlib.suppress(ChannelUnavailable):
        get_channel().publish(stream_key(completion_id), "end", CompletionStatus.FAILED)


def _claim(completion_id: UUID) -> _Claim | None:
    """Atomically take the completion: pending -> streaming, or restart a dead run's stream."""
    lease = timezone.now()
    # Hand-written statements (arena.db.rows): this is on the way to the first token. The
    # first attempt is counted with the claim (one write less before the first token).
    if update_where(
        Completion,
        {"status": CompletionStatus.STREAMING, "started_at": lease},
        {"id": completion_id, "status": CompletionStatus.PENDING},
        add_one=["attempts"],
    ):
        restarted = False
    elif update_where(
        Completion,
        {"started_at": lease, "first_reasoning_at": None, "first_token_at": None},
        {"id": completion_id, "status": CompletionStatus.STREAMING},
        add_one=["attempts"],
    ):
        restarted = True
    else:
        return None  # done, failed or gone: a duplicate delivery
    completion = _with_turn_and_contender(completion_id)
    return _Claim(completion=completion, lease=lease, restarted=restarted)


def _with_turn_and_contender(completion_id: UUID) -> Completion:
    """The completion with its turn and contender, in one statement."""
    (row,) = select_rows(
        f"SELECT {select_list(Completion, 'c')}, {select_list(Turn, 't')}, "
        f"{select_list(Contender, 'k')} FROM {table(Completion)} c "
        f"JOIN {table(Turn)} t ON t.id = c.turn_id "
        f"JOIN {table(Contender)} k ON k.id = c.contender_id WHERE c.id = %s",
        [key(Completion, completion_id)],
    )
    values = iter(row)
    completion = from_row(Completion, None, values)
    completion.turn = from_row(Turn, None, values)
    completion.contender = from_row(Contender, None, values)
    return completion


def _stream_answer(claim: _Claim, publisher: StreamPublisher) -> _Answer:
    completion = claim.completion
    contender = completion.contender
    request = build_request(contender, completion.conversation())
    backend = get_backend(contender.backend)
    timeout = settings.ARENA_GENERATION_TIMEOUT
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        if attempt:
            Completion.objects.filter(pk=completion.pk).update(attempts=F("attempts") + 1)
        # Nothing more to read until the answer is in: the connection goes back now.
        release_connection()
        parts: list[str] = []
        thoughts: list[str] = []
        try:
            bounded = _bounded(request, deadline)
            finished = _consume(backend, bounded, deadline, claim, parts, thoughts, publisher)
        except BackendError as exc:
            if time.monotonic() >= deadline:
                raise BackendError(f"timed out after {timeout:g}s: {exc.reason}") from exc
            if parts or not exc.transient or attempt >= settings.ARENA_GENERATION_RETRIES:
                raise
            delay = settings.ARENA_RETRY_BACKOFF * 2**attempt
            if time.monotonic() + delay >= deadline:
                raise BackendError(f"timed out after {timeout:g}s: {exc.reason}") from exc
            logger.info(
                "completion %s: transient error (%s), retry %d in %.1fs",
                completion.id, exc.reason, attempt + 1, delay,
            )
            time.sleep(delay)
            attempt += 1
            continue
        text = "".join(parts)
        if not text.strip():
            raise BackendError(f"empty answer (finish reason {finished.reason!r})")
        return _Answer(text=text, finished=finished, reasoning="".join(thoughts))


def _bounded(request: GenerationRequest, deadline: float) -> GenerationRequest:
    """The request with its wait limits cut to the time left, so a hang cannot outlive it."""
    left = max(deadline - time.monotonic(), 0.001)
    return replace(
        request,
        first_token_timeout=min(request.first_token_timeout, left),
        idle_timeout=min(request.idle_timeout, left),
    )


def _consume(
    backend: Backend,
    request: GenerationRequest,
    deadline: float,
    claim: _Claim,
    parts: list[str],
    thoughts: list[str],
    publisher: StreamPublisher,
) -> Finished:
    """Publish every delta and collect it into ``parts``, the reasoning into ``thoughts``
    (unpublished); the backend's ``Finished``."""
    events: Iterator[StreamEvent] = backend.stream(request)
    next_check = time.monotonic() + CLAIM_CHECK_SECONDS
    try:
        for event in events:
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + CLAIM_CHECK_SECONDS
                if not _still_claimed(claim):
                    raise _ClaimLost
            if time.monotonic() > deadline:
                raise BackendError("generation took too long", transient=False)
            if isinstance(event, Finished):
                return event
            if not event.text:
                continue
            if isinstance(event, Reasoning):
                if claim.first_reasoning_at is None:
                    _start_thinking(claim, publisher)
                thoughts.append(event.text)
                continue
            parts.append(event.text)
            publisher.delta(event.text)
            if claim.first_token_at is None:
                claim.first_token_at = timezone.now()
                _write_timing(claim, first_token_at=claim.first_token_at)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # releases the HTTP connection when we stop early
    raise BackendError("stream ended without a finish", transient=True)


def _still_claimed(claim: _Claim) -> bool:
    """Whether this run still holds its claim; assumed so while the database is away."""
    try:
        return Completion.objects.filter(**_claimed(claim)).exists()
    except DATABASE_UNAVAILABLE:
        return True
    finally:
        release_connection()


def _start_thinking(claim: _Claim, publisher: StreamPublisher) -> None:
    """Record when the side began to reason and tell viewers that it thinks.

    Once per run, not per attempt: after a retry the side is still thinking.
    """
    claim.first_reasoning_at = timezone.now()
    publisher.thinking()
    _write_timing(claim, first_reasoning_at=claim.first_reasoning_at)


def _write_timing(claim: _Claim, **moments: datetime) -> None:
    """One write when the side starts thinking or answering, so operators (and tests)
    see a live stream; the final write repeats it, so a database that is away now loses
    nothing. After the viewers were told: they should not wait on the database."""
    try:
        update_where(Completion, moments, {"id": claim.completion.pk, "started_at": claim.lease})
    except DATABASE_UNAVAILABLE:
        logger.warning("completion %s: %s not written yet", claim.completion.pk, list(moments))
    finally:
        release_connection()


def _store_answer(claim: _Claim, answer: _Answer) -> bool:
    style = style_features(answer.text)
    finished = answer.finished
    return _update_claimed(
        claim,
        status=CompletionStatus.DONE,
        text=answer.text,
        reasoning=answer.reasoning,
        error="",
        finish_reason=finished.reason[:50],
        input_tokens=finished.input_tokens,
        output_tokens=finished.output_tokens,
        first_reasoning_at=claim.first_reasoning_at,
        first_token_at=claim.first_token_at,
        finished_at=timezone.now(),
        length_chars=style.length_chars,
        header_count=style.header_count,
        list_count=style.list_count,
        bold_count=style.bold_count,
    )


def _store_failure(claim: _Claim, reason: str) -> bool:
    logger.warning(
        "completion %s (%s) failed: %s", claim.completion.id, claim.completion.contender, reason
    )
    return _update_claimed(
        claim, status=CompletionStatus.FAILED, error=reason, finished_at=timezone.now()
    )


def _claimed(claim: _Claim) -> dict[str, object]:
    """What the completion's row holds only while this run still holds the claim."""
    return {
        "id": claim.completion.pk,
        "status": CompletionStatus.STREAMING,
        "started_at": claim.lease,
    }


def _update_claimed(claim: _Claim, **values: object) -> bool:
    """Write ``values`` to the completion if this run still holds its claim (a hand-written
    statement: every completion ends with one); whether it did."""
    return update_where(Completion, values, _claimed(claim)) == 1
