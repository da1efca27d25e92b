"""Checks a prompt must pass before any model sees it: size, moderation list, rate limits;
and the daily vote caps."""

import logging
import re
import time

import redis
from django.conf import settings
from django.core.cache import cache

from arena.errors import BadRequest, RateLimited
from arena.redis_client import redis_client

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 3600
DAY_SECONDS = 86400
VOTE_CAP_MESSAGE = (
    "You have cast the most votes allowed in one day. Thank you! Please come back tomorrow."
)


def check_prompt(prompt: str) -> str:
    """The prompt unchanged when it may be sent; otherwise ``BadRequest`` saying why."""
    if not prompt or not prompt.strip():
        raise BadRequest("Type a prompt first.")
    limit = settings.ARENA_MAX_PROMPT_CHARS
    if len(prompt) > limit:
        raise BadRequest(
            f"Your prompt is {len(prompt):,} characters long; the limit is {limit:,} characters."
        )
    if _blocked_term(prompt):
        # Do not echo the term: the list itself is moderation policy.
        raise BadRequest(
            "Your prompt contains a term that is not allowed here. Please rephrase it."
        )
    return prompt


def _blocked_term(prompt: str) -> str | None:
    for term in settings.ARENA_BLOCKED_TERMS:
        if term and re.search(rf"(?<!\w){re.escape(term)}(?!\w)", prompt, re.IGNORECASE):
            return term
    return None


def count_hits(keys: list[str], ttl: int) -> list[int]:
    """Add one to each counter (created with expiry ``ttl`` seconds); the new counts.

    In production one pipelined round trip to the shared Redis (``INCR`` is atomic, so
    concurrent web processes count correctly); embedded, the in-process cache.
    """
    if settings.REDIS_URL:
        pipe = redis_client(settings.REDIS_URL).pipeline(transaction=False)
        for key in keys:
            pipe.incr(f"arena:{key}")
            pipe.expire(f"arena:{key}", ttl)
        return [int(count) for count in pipe.execute()[::2]]
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=ttl)
            counts.append(1)
    return counts


def check_rate_limits(*, voter: str, ip_hash: str) -> None:
    """Count one generation request for this voter and IP; ``RateLimited`` when over.

    A fixed window of an hour per voter and per IP address.
    """
    window = int(time.time() // RATE_WINDOW_SECONDS)
    limits = {f"ratelimit:voter:{voter}:{window}": settings.ARENA_BATTLES_PER_HOUR_PER_VOTER}
    if ip_hash:
        limits[f"ratelimit:ip:{ip_hash}:{window}"] = settings.ARENA_BATTLES_PER_HOUR_PER_IP
    counts = count_hits(list(limits), ttl=RATE_WINDOW_SECONDS + 60)
    if any(count > limit for count, limit in zip(counts, limits.values(), strict=True)):
        raise RateLimited(
            "You have started too many battles in the last hour. Please try again later."
        )


def check_vote_caps(*, voter: str, ip_hash: str) -> None:
    """Count one vote for this voter and IP; ``RateLimited`` when over the daily cap.

    A fixed UTC day per voter and per IP address, in one round trip. Called inside the
    vote transaction after the vote's own checks, so a refused vote changes nothing.
    A vote needs PostgreSQL only: while Redis is down the caps are not counted (the
    anomalous-voter filter still sees every vote) rather than the vote refused.
    """
    day = int(time.time() // DAY_SECONDS)
    caps = {f"votecap:voter:{voter}:{day}": settings.ARENA_VOTES_PER_DAY_PER_VOTER}
    if ip_hash:
        caps[f"votecap:ip:{ip_hash}:{day}"] = settings.ARENA_VOTES_PER_DAY_PER_IP
    try:
        counts = count_hits(list(caps), ttl=DAY_SECONDS + 60)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        logger.warning("vote caps not counted, Redis is unavailable: %s", exc)
        return
    if any(count > cap for count, cap in zip(counts, caps.values(), strict=True)):
        raise RateLimited(VOTE_CAP_MESSAGE)
