"""Rating snapshots: one fit of all eligible votes, per category and contender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    # What the pair sampler reads from this fit (``ratings.sampling_state``): overall
    # votes per contender and the active-sampling score of each pair. Kept on the
    # latest snapshot only.
    sampling = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = ["computed_at", "id"]

    def __str__(self) -> str:
        return f"snapshot {self.pk} at {self.computed_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def latest_or_none(cls) -> RatingSnapshot | None:
        # Pages never read the sampler's state, which can be large.
        return cls.objects.defer("sampling").order_by("-computed_at", "-id").first()

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

    def leaderboard(self, category: str, *, staff: bool) -> dict[str, Any]:
        """The JSON shape of one category: what the API returns and the page renders."""
        result = self.category_results.filter(category=category).first()
        rows = self.visible_rows(category, staff=staff)
        return {
            "computed_at": self.computed_at.isoformat(),
            "method": self.public_method(staff=staff),
            "votes": self.votes,
            "category": category,
            "category_votes": 0 if result is None else result.votes,
            "categories": self.categories(),
            "hidden": self.hidden_count(category, staff=staff),
            # Fit notes may name contenders (an unrevealed anchor): staff only.
            "warnings": result.warnings if result is not None and staff else [],
            "rows": [row.to_dict(staff=staff) for row in rows],
        }

    def public_method(self, *, staff: bool) -> dict[str, Any]:
        """The method parameters, with the anchor named as this viewer may see it."""
        method = dict(self.method)
        anchor = method.get("anchor")
        if isinstance(anchor, dict) and not staff:
            found = Contender.objects.filter(codename=anchor.get("model")).first()
            name = display_name(found, staff=False) if found else ""
            method["anchor"] = {**anchor, "model": name or "(unrevealed contender)"}
        return method

    def history(
        self, category: str, contender_ids: list[int], *, snapshots: int = 100
    ) -> dict[int, list[tuple[datetime, float]]]:
        """Ratings of these contenders in the last ``snapshots`` snapshots up to this one."""
        recent = RatingSnapshot.objects.filter(computed_at__lte=self.computed_at).order_by(
            "-computed_at", "-id"
        )[:snapshots]
        points = (
            RatingRow.objects.filter(
                category=category,
                contender_id__in=contender_ids,
                snapshot__in=list(recent.values_list("id", flat=True)),
            )
            .order_by("snapshot__computed_at")
            .values_list("contender_id", "snapshot__computed_at", "rating")
        )
        series: dict[int, list[tuple[datetime, float]]] = {c: [] for c in contender_ids}
        for contender_id, at, rating in points:
            series[contender_id].append((at, rating))
        return series


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

    def visible_matrices(self, *, staff: bool) -> VisibleMatrices:
        """The matrices without the rows and columns of contenders this viewer may not see."""
        by_id = Contender.objects.in_bulk(self.contenders)
        keep = [
            k
            for k, cid in enumerate(self.contenders)
            if cid in by_id and (staff or by_id[cid].is_revealed)
        ]
        return VisibleMatrices(
            names=[display_name(by_id[self.contenders[k]], staff=staff) for k in keep],
            win_rate=[[self.win_rate[i][j] for j in keep] for i in keep],
            battles=[[self.battles[i][j] for j in keep] for i in keep],
        )


@dataclass(frozen=True)
class VisibleMatrices:
    names: list[str]
    win_rate: list[list[float | None]]
    battles: list[list[int]]


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
