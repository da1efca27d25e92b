"""An opt-in scrubber for exported prompts and answers: e-mail addresses, phone numbers,
and URLs that carry credentials. Plain regular expressions, no Django.

It errs on the side of removing: a false positive costs a few characters of an answer,
a false negative leaks someone's address. It is not a guarantee of anonymity (names,
street addresses and free-text secrets are not detected).
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
URL_SECRET = "[redacted]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A URL up to whitespace or a closing bracket/quote.
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
# Query parameters whose value is a credential.
_SECRET_PARAM = re.compile(
    r"(?:^|[?&;])(?:[a-z0-9_.-]*?)(?:token|key|secret|password|passwd|pwd|sig|signature|"
    r"auth|session|sessionid|credential|code)[a-z0-9_.-]*=",
    re.IGNORECASE,
)
# A long random-looking path or query piece: letters and digits mixed, 24+ characters.
_RANDOM_PIECE = re.compile(r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}")
_USERINFO = re.compile(r"^([a-z]+://)[^/@\s]+@", re.IGNORECASE)
# Phone numbers: an optional +country code, then 9-15 digits in groups separated by
# spaces, dots, dashes or a bracketed area code. Bare digit runs (ids, years, amounts)
# need a leading + to count.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?!\w)"
    r"|(?<![\w+])\+\d{9,15}(?!\w)"
)


def _scrub_url(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = ""
    while url and url[-1] in ".,;:!?":
        trailing, url = url[-1] + trailing, url[:-1]
    userinfo = _USERINFO.match(url)
    if userinfo:
        url = userinfo.group(1) + url[userinfo.end() :]
    base, sep, query = url.partition("?")
    if sep and (_SECRET_PARAM.search("?" + query) or _RANDOM_PIECE.search(query)):
        url = f"{base}?{URL_SECRET}"
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    if _RANDOM_PIECE.search(path):
        url = f"{scheme}://{host}/{URL_SECRET}"
    elif userinfo and not slash:
        url = f"{scheme}://{host}"
    return url + trailing


def _is_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return 9 <= digits <= 15


def scrub_pii(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and credential-bearing URL parts
    replaced by ``[email]``, ``[phone]`` and ``[redacted]``.

    Parameters
    ----------
    text : str
        A prompt or an answer.

    Returns
    -------
    str
        The scrubbed text; unchanged where nothing was found.
    """
    text = _URL.sub(_scrub_url, text)
    text = _EMAIL.sub(EMAIL, text)
    return _PHONE.sub(lambda m: PHONE if _is_phone(m.group(0)) else m.group(0), text)
