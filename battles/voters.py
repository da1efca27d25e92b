"""Who is voting: an anonymous id kept in the session, and a salted hash of the IP.

The raw IP address is never stored; only a keyed hash, enough to rate-limit per address.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "arena_voter"


def get_voter(request: HttpRequest) -> str:
    """The voter id of this browser session, created on first use."""
    voter = request.session.get(SESSION_KEY)
    if not isinstance(voter, str) or not voter:
        voter = secrets.token_hex(16)
        request.session[SESSION_KEY] = voter
    return voter


async def aget_existing_voter(request: HttpRequest) -> str:
    """The session's voter id from async code, or "" when the session has none yet."""
    voter = await request.session.aget(SESSION_KEY)
    return voter if isinstance(voter, str) else ""


def client_ip(request: HttpRequest) -> str:
    if settings.ARENA_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        # Our proxy appends the address it saw; anything left of it came from the client
        # and could be forged, so only the right-most entry counts.
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR") or "")


def ip_hash(request: HttpRequest) -> str:
    """A keyed hash of the client IP (hex sha256), never the address itself."""
    key = settings.ARENA_IP_SALT.encode()
    return hmac.new(key, client_ip(request).encode(), hashlib.sha256).hexdigest()
