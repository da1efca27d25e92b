"""Keeping a battle's vote out of the ratings, or letting it back in.

The one place that changes ``Battle.excluded_reason`` after the vote: the ``counted``
flags on the vote and its category tags (what the ratings aggregation reads) change in
the same transaction, so they always agree with the battle.
"""

from uuid import UUID

from django.db import transaction

from battles.models import Battle, BattleCategory, Vote


def exclude_battle(battle_id: UUID, reason: str) -> Battle:
    """Keep the battle's vote out of the ratings, recording why."""
    if not reason.strip():
        raise ValueError("an exclusion needs a reason")
    return _set_excluded_reason(battle_id, reason.strip())


def include_battle(battle_id: UUID) -> Battle:
    """Let an excluded battle's vote count again."""
    return _set_excluded_reason(battle_id, "")


def _set_excluded_reason(battle_id: UUID, reason: str) -> Battle:
    with transaction.atomic():
        battle = Battle.objects.select_for_update().get(pk=battle_id)
        battle.excluded_reason = reason
        battle.save(update_fields=["excluded_reason", "updated_at"])
        counted = battle.counts_for_ratings
        Vote.objects.filter(battle_id=battle_id).update(counted=counted)
        BattleCategory.objects.filter(battle_id=battle_id).update(counted=counted)
    return battle
