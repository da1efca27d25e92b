"""The human check a browser passes before a blind battle is created (``ARENA_HUMAN_CHECK``).

* ``off`` -- no check (the embedded default).
* ``pow`` -- proof of work, built in (the production default): the server hands out a
  signed challenge (HMAC with ``SECRET_KEY``, an expiry, a difficulty in leading zero
  bits); the page's script finds a nonce whose ``SHA-256(challenge ":" nonce)`` starts
  with that many zero bits (a second or so of one core) and sends ``challenge:nonce``.
  Each challenge is accepted once. It costs a bot farm CPU per battle, a person nothing.
* ``turnstile`` / ``hcaptcha`` -- Cloudflare Turnstile or hCaptcha: the page shows the
  provider's widget (``ARENA_CAPTCHA_SITE_KEY``), the server verifies its token with the
  provider's ``siteverify`` API (``ARENA_CAPTCHA_SECRET``; ``ARENA_CAPTCHA_VERIFY_URL``
  overrides the address, which the tests point at a local fake).

A missing or wrong answer is a ``Forbidden`` (403) whose message says what to do; none
of this involves the contenders, so nothing here can tell a voter which model is which.
"""

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from arena.errors import Forbidden, Unavailable
from battles.voters import client_ip

logger = logging.getLogger(__name__)

OFF, POW, TURNSTILE, HCAPTCHA = "off", "pow", "turnstile", "hcaptcha"
VERIFY_URLS = {
    TURNSTILE: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    HCAPTCHA: "https://api.hcaptcha.com/siteverify",
}
# Where the page finds the token: a header from the script, or the widget's form field.
HEADER = "X-Human-Check"
FORM_FIELDS = {
    POW: "human_check",
    TURNSTILE: "cf-turnstile-response",
    HCAPTCHA: "h-captcha-response",
}
VERIFY_TIMEOUT = 10.0

MISSING = "Please confirm that you are human first (this page needs JavaScript for that)."
FAILED = "The human check failed. Please reload the page and try again."
EXPIRED = "The human check expired. Please try again."
UNAVAILABLE = "The human check is unavailable right now. Please try again in a minute."


@dataclass(frozen=True)
class Challenge:
    """What the page needs to pass the check (``kind`` off: nothing)."""

    kind: str
    challenge: str = ""
    difficulty: int = 0
    site_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "challenge": self.challenge,
            "difficulty": self.difficulty,
            "site_key": self.site_key,
        }


def mode() -> str:
    """The configured check (``arena/settings.py`` refuses any other value at startup)."""
    return str(settings.ARENA_HUMAN_CHECK)


def new_challenge(now: float | None = None) -> Challenge:
    """A fresh challenge for the configured check."""
    kind = mode()
    if kind == POW:
        difficulty = settings.ARENA_POW_DIFFICULTY
        expires = int((now or time.time()) + settings.ARENA_POW_TTL)
        body = f"{expires}.{difficulty}.{secrets.token_hex(12)}"
        return Challenge(POW, f"{body}.{_sign(body)}", difficulty)
    if kind in VERIFY_URLS:
        return Challenge(kind, site_key=settings.ARENA_CAPTCHA_SITE_KEY)
    return Challenge(OFF)


def check_request(request: HttpRequest) -> None:
    """:func:`require_human` for the token a request carries (header, or form field)."""
    if mode() == OFF:
        return
    token = request.headers.get(HEADER, "")
    if not token and request.method == "POST":
        token = request.POST.get(FORM_FIELDS[mode()], "")
    require_human(token, remote_ip=client_ip(request))


def require_human(token: str, *, remote_ip: str = "", now: float | None = None) -> None:
    """Pass, or raise ``Forbidden`` (``Unavailable`` when the provider cannot answer)."""
    kind = mode()
    if kind == OFF:
        return
    token = (token or "").strip()
    if not token:
        raise Forbidden(MISSING)
    if kind == POW:
        _verify_pow(token, now or time.time())
    else:
        _verify_captcha(kind, token, remote_ip)


def solve_pow(challenge: str, difficulty: int) -> str:
    """The token for ``challenge`` (what the page's script computes; for tests and tools)."""
    nonce = 0
    while not _has_zero_bits(_digest(challenge, str(nonce)), difficulty):
        nonce += 1
    return f"{challenge}:{nonce}"


def _verify_pow(token: str, now: float) -> None:
    challenge, _, nonce = token.rpartition(":")
    parts = challenge.split(".")
    if len(parts) != 4 or not nonce or len(nonce) > 32:
        raise Forbidden(FAILED)
    expires, difficulty, salt, signature = parts
    body = f"{expires}.{difficulty}.{salt}"
    if not hmac.compare_digest(signature, _sign(body)):
        raise Forbidden(FAILED)
    expiry = int(expires)
    if expiry < now:
        raise Forbidden(EXPIRED)
    if not _has_zero_bits(_digest(challenge, nonce), int(difficulty)):
        raise Forbidden(FAILED)
    # Once only: set-if-absent, kept until the challenge would have expired anyway.
    if not cache.add(f"human-check:pow:{salt}", 1, timeout=max(1, int(expiry - now) + 1)):
        raise Forbidden(EXPIRED)


def _verify_captcha(kind: str, token: str, remote_ip: str) -> None:
    url = settings.ARENA_CAPTCHA_VERIFY_URL or VERIFY_URLS[kind]
    data = {"secret": settings.ARENA_CAPTCHA_SECRET, "response": token}
    if remote_ip:
        data["remoteip"] = remote_ip
    if kind == HCAPTCHA and settings.ARENA_CAPTCHA_SITE_KEY:
        data["sitekey"] = settings.ARENA_CAPTCHA_SITE_KEY
    try:
        response = httpx.post(url, data=data, timeout=VERIFY_TIMEOUT)
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("%s verification failed: %s", kind, exc)
        raise Unavailable(UNAVAILABLE) from exc
    if not isinstance(answer, dict) or answer.get("success") is not True:
        codes = answer.get("error-codes") if isinstance(answer, dict) else None
        logger.info("%s refused a token: %s", kind, codes)
        raise Forbidden(FAILED)


def _sign(body: str) -> str:
    key = f"arena-human-check:{settings.SECRET_KEY}".encode()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def _digest(challenge: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()


def _has_zero_bits(digest: bytes, bits: int) -> bool:
    return int.from_bytes(digest, "big") >> (len(digest) * 8 - bits) == 0 if bits > 0 else True
