"""The provisional mark: a revealed model with few votes since its reveal.

Its rating rests mostly on the blind test until ``ARENA_PROVISIONAL_VOTES`` more votes
arrive after the reveal, counted as the snapshot's overall votes minus the votes it had
when revealed (``Contender.votes_at_reveal``, recorded by the lifecycle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from arena.models import Contender

if TYPE_CHECKING:
    from ratings.models import RatingSnapshot

OVERALL = "overall"


def votes_since_reveal(snapshot: RatingSnapshot, contenders: Iterable[Contender]) -> dict[int, int]:
    """Overall votes in ``snapshot`` since each revealed, live contender's reveal (one query)."""
    live = {c.pk: c for c in contenders if c.is_revealed and not c.historic}
    if not live:
        return {}
    overall = snapshot.rows.filter(
        category=OVERALL, style_control=False, contender_id__in=list(live)
    ).values_list("contender_id", "votes")
    return {cid: max(votes - live[cid].votes_at_reveal, 0) for cid, votes in overall}


def provisional_ids(snapshot: RatingSnapshot, contenders: Iterable[Contender]) -> set[int]:
    """The revealed contenders still short of ``ARENA_PROVISIONAL_VOTES`` since their reveal
    (a revealed contender missing from the snapshot has none yet)."""
    needed = settings.ARENA_PROVISIONAL_VOTES
    people = list(contenders)
    since = votes_since_reveal(snapshot, people)
    return {
        c.pk
        for c in people
        if c.is_revealed and not c.historic and since.get(c.pk, 0) < needed
    }
