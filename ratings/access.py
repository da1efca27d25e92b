"""Who may see the preliminary leaderboard (unrevealed codenames with their intervals).

One rule: staff, and the members of the ``ARENA_ANALYST_GROUP`` Django group. The public
leaderboard pages never list an unrevealed contender, whoever is looking.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def sees_preliminary(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    return bool(user.groups.filter(name=settings.ARENA_ANALYST_GROUP).exists())
