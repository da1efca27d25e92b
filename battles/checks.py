"""Checks a prompt must pass before any model sees it: size, moderation list, rate limits."""

import re
import time

from django.conf import settings
from django.core.cache import cache

from .errors import BadRequest, RateLimited

RATE_WINDOW_SECONDS = 3600


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


def _hit(scope: str, ident: str, limit: int) -> bool:
    """Count one request in the current hour for ``ident``; True when over ``limit``.

    A fixed window in the shared cache (Redis in production): ``add`` creates the counter
    with its expiry, ``incr`` is atomic, so concurrent web processes count correctly.
    """
    window = int(time.time() // RATE_WINDOW_SECONDS)
    key = f"ratelimit:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=RATE_WINDOW_SECONDS + 60)
        count = 1
    return count > limit


def check_rate_limits(*, voter: str, ip_hash: str) -> None:
    """Count one generation request for this voter and IP; ``RateLimited`` when over."""
    message = "You have started too many battles in the last hour. Please try again later."
    if _hit("voter", voter, settings.ARENA_BATTLES_PER_HOUR_PER_VOTER):
        raise RateLimited(message)
    if ip_hash and _hit("ip", ip_hash, settings.ARENA_BATTLES_PER_HOUR_PER_IP):
        raise RateLimited(message)
