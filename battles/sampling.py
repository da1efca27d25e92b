"""Pair sampling: two distinct contenders, drawn by weight without replacement."""

import random
import secrets

from arena.errors import Unavailable
from arena.models import Contender, ContenderStatus

_SYSTEM_RNG = secrets.SystemRandom()


def sampleable_contenders() -> list[Contender]:
    """Active, non-historic contenders with a positive weight (paused and outage are skipped)."""
    return list(
        Contender.objects.filter(
            status=ContenderStatus.ACTIVE, historic=False, sampling_weight__gt=0
        ).order_by("pk")
    )


def sample_pair(rng: random.Random | None = None) -> tuple[Contender, Contender]:
    """Draw two distinct contenders, each draw proportional to ``sampling_weight``.

    The order is the draw order, not the sides: the caller assigns sides at random.
    """
    rng = rng or _SYSTEM_RNG
    candidates = sampleable_contenders()
    if len(candidates) < 2:
        raise Unavailable("No two models are available right now. Please try again shortly.")
    first = rng.choices(candidates, weights=[c.sampling_weight for c in candidates])[0]
    rest = [c for c in candidates if c.pk != first.pk]
    second = rng.choices(rest, weights=[c.sampling_weight for c in rest])[0]
    return first, second
