"""How many votes count and how many are excluded, by kind: overall and per contender.

All SQL aggregation over two indexes: the counted votes' covering index
(``vote_counted_cells_idx``) and the small partial index over excluded battles
(``battle_excluded_idx``); no vote is loaded into Python.
"""

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from battles.exclusions import COUNTED, EXCLUDED_KINDS, exclusion_kind_expression
from battles.models import Battle, BattleStatus, Vote


@dataclass
class ExclusionCounts:
    counted: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUDED_KINDS, 0))

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())

    @property
    def votes(self) -> int:
        return self.counted + self.excluded_total

    @property
    def excluded_share(self) -> float:
        return self.excluded_total / self.votes if self.votes else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"votes": self.votes, "counted": self.counted, "excluded": dict(self.excluded)}


def _excluded_battles() -> QuerySet[Battle]:
    return Battle.objects.filter(status=BattleStatus.VOTED).exclude(excluded_reason="").order_by()


def exclusion_totals() -> ExclusionCounts:
    """All votes: counted, and excluded by kind."""
    totals = ExclusionCounts(counted=Vote.objects.filter(counted=True).count())
    excluded = _excluded_battles().annotate(kind=exclusion_kind_expression())
    for row in excluded.values("kind").annotate(n=Count("*")):
        if row["kind"] != COUNTED:
            totals.excluded[row["kind"]] += row["n"]
    return totals


def exclusions_by_contender() -> dict[int, ExclusionCounts]:
    """Per contender id: its votes (on either side) counted, and excluded by kind."""
    by_contender: dict[int, ExclusionCounts] = {}
    counted = Vote.objects.filter(counted=True).order_by()
    for side in ("contender_a", "contender_b"):
        for row in counted.values(side).annotate(n=Count("*")):
            by_contender.setdefault(row[side], ExclusionCounts()).counted += row["n"]
        excluded = _excluded_battles().annotate(kind=exclusion_kind_expression())
        for row in excluded.values(side, "kind").annotate(n=Count("*")):
            if row["kind"] != COUNTED:
                entry = by_contender.setdefault(row[side], ExclusionCounts())
                entry.excluded[row["kind"]] += row["n"]
    return by_contender
