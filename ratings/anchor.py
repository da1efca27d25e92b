"""The scale anchor: ``MODEL=RATING``, one parser for the commands, settings and admin."""

from __future__ import annotations

import math

EXAMPLE = "mixtral-8x7b-instruct-v0.1=1114"


def parse_anchor(text: str) -> tuple[str, float]:
    """``"MODEL=RATING"`` -> ``("MODEL", RATING)``; the model may itself contain ``=``.

    Raises :class:`ValueError` (with a message fit for a user) when malformed.
    """
    model, sep, value = text.strip().rpartition("=")
    try:
        rating = float(value)
    except ValueError:
        rating = math.nan
    if not sep or not model.strip() or not math.isfinite(rating):
        raise ValueError(
            f"expected MODEL=RATING (a codename or public name and a number, e.g. {EXAMPLE}), "
            f"got {text!r}"
        )
    return model.strip(), rating
