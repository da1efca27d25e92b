"""Rating snapshots: one fit of all eligible votes, per category and contender."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from arena.models import Contender


class RatingSnapshot(models.Model):
    """The result of one recompute; pages always read the latest one."""

    computed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # {"method": "bradley_terry", "ci": "sandwich", "rounds": ..., "anchor": ..., ...}
    method = models.JSONField(default=dict)
    votes = models.PositiveBigIntegerField(default=0)
    # The newest vote the fit could see: the periodic task compares it with the newest
    # vote now, so it skips the fit when nothing new arrived.
    last_vote_id = models.BigIntegerField(default=0)
    last_vote_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = ["computed_at", "id"]

    def __str__(self) -> str:
        return f"snapshot {self.pk} at {self.computed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def latest_or_none(cls) -> RatingSnapshot | None:
        return cls.objects.order_by("-computed_at", "-id").first()

    def categories(self) -> list[str]:
        """Categories with rows, ``overall`` first, then in the order they were stored."""
        return list(self.category_results.order_by("position").values_list("category", flat=True))

    def visible_rows(self, category: str, *, staff: bool) -> QuerySet[RatingRow]:
        """Rows of one category in rank order; unrevealed codenames only for staff."""
        rows = self.rows.filter(category=category).select_related("contender")
        if not staff:
            rows = rows.filter(revealed_q("contender__"))
        return rows.order_by("rank", "-rating", "contender__codename")

    def hidden_count(self, category: str, *, staff: bool) -> int:
        if staff:
            return 0
        rows = self.rows.filter(category=category)
        return rows.exclude(revealed_q("contender__")).count()


class RatingRow(models.Model):
    """One contender's rating in one category of one snapshot."""

    snapshot = models.ForeignKey(RatingSnapshot, on_delete=models.CASCADE, related_name="rows")
    category = models.CharField(max_length=64)
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="+")
    rating = models.FloatField()
    # Null when the snapshot was computed without intervals (``--ci none``).
    ci_lower = models.FloatField(null=True, blank=True)
    ci_upper = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField()
    rank_ub = models.PositiveIntegerField()
    votes = models.PositiveBigIntegerField()
    win_rate = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "category", "contender"], name="rating_row_unique"
            )
        ]
        # The history plot reads one category of one contender across snapshots.
        indexes = [models.Index(fields=["category", "contender", "snapshot"])]

    def __str__(self) -> str:
        return f"{self.category}: {self.contender_id} {self.rating:.0f}"

    def to_dict(self, *, staff: bool) -> dict[str, Any]:
        c = self.contender
        return {
            "name": display_name(c, staff=staff),
            "rating": round(self.rating, 2),
            "ci_lower": _round(self.ci_lower, 2),
            "ci_upper": _round(self.ci_upper, 2),
            "rank": self.rank,
            "rank_ub": self.rank_ub,
            "votes": self.votes,
            "win_rate": _round(self.win_rate, 4),
            "revealed": c.is_revealed,
        }


class CategoryResult(models.Model):
    """Per-category matrices for the plots, stored compactly as JSON.

    ``contenders`` lists contender ids; the matrices are indexed in that order.
    ``win_rate[i][j]`` is i's share of wins over j (ties half), ``None`` where they never
    met; ``battles[i][j]`` counts their battles (ties included).
    """

    snapshot = models.ForeignKey(
        RatingSnapshot, on_delete=models.CASCADE, related_name="category_results"
    )
    category = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)
    votes = models.PositiveBigIntegerField(default=0)
    contenders = models.JSONField(default=list)
    win_rate = models.JSONField(default=list)
    battles = models.JSONField(default=list)
    # Notes from the fit (e.g. a ridge was needed because the graph is not connected).
    warnings = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "category"], name="category_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} of snapshot {self.snapshot_id}"


class RecomputeLease(models.Model):
    """A singleton row claimed atomically so that only one recompute runs at a time.

    A claim is an ``UPDATE ... WHERE held_until < now``: it needs no long transaction
    (which would block every writer on SQLite) and expires if a worker dies.
    """

    held_until = models.DateTimeField(default=timezone.now)
    holder = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"lease held by {self.holder or 'nobody'} until {self.held_until}"

    @classmethod
    def claim(cls, holder: str, ttl: timedelta) -> bool:
        now = timezone.now()
        cls.objects.get_or_create(pk=1, defaults={"held_until": now})
        claimed = cls.objects.filter(pk=1, held_until__lte=now).update(
            held_until=now + ttl, holder=holder
        )
        return claimed == 1

    @classmethod
    def release(cls, holder: str) -> None:
        cls.objects.filter(pk=1, holder=holder).update(held_until=timezone.now(), holder="")


def display_name(contender: Contender, *, staff: bool) -> str:
    """Public name once revealed; staff also see the codename of an unrevealed one."""
    if contender.is_revealed:
        return contender.public_name
    return contender.codename if staff else ""


def revealed_q(prefix: str = "") -> Q:
    """Contenders whose real name is public (mirrors ``Contender.is_revealed``)."""
    return Q(**{f"{prefix}revealed_at__isnull": False}) & ~Q(**{f"{prefix}public_name": ""})


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
