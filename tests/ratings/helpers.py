"""Small builders for ratings tests: contenders and voted battles written as real rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from arena.models import BackendKind, Contender
from battles.models import Battle, BattleCategory, BattleStatus, Vote


def contender(codename: str, *, public_name: str = "", revealed: bool = True) -> Contender:
    return Contender.objects.create(
        codename=codename,
        public_name=public_name or (codename.title() if revealed else ""),
        backend=BackendKind.DEMO,
        revealed_at=timezone.now() if revealed else None,
    )


def vote(
    a: Contender,
    b: Contender,
    outcome: str,
    *,
    categories: Iterable[str] = (),
    excluded_reason: str = "",
    status: str = BattleStatus.VOTED,
    pair_probability: float | None = None,
    pairs_allowed: int | None = None,
) -> Vote:
    battle = Battle.objects.create(
        voter="voter-1",
        contender_a=a,
        contender_b=b,
        status=status,
        excluded_reason=excluded_reason,
        pair_probability=pair_probability,
        pairs_allowed=pairs_allowed,
    )
    cast = Vote.for_battle(battle, outcome, "voter-1")
    cast.save()
    BattleCategory.objects.bulk_create(BattleCategory.for_vote(cast, c) for c in categories)
    return cast
