"""Rating snapshots: one fit of all eligible votes, per category and contender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from arena.models import Contender, ContenderStatus, revealed_q
from ratings.anchor import parse_anchor


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
    # All votes then, counted and excluded by kind (``battles.exclusion_stats``):
    # {"votes": n, "counted": n, "excluded": {kind: n}}.
    exclusions = models.JSONField(default=dict, blank=True)

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

    def visible_rows(
        self,
        category: str,
        *,
        staff: bool,
        style_control: bool = False,
        show_retired: bool = True,
    ) -> QuerySet[RatingRow]:
        """Rows of one category in rank order (unranked last); unrevealed codenames only
        for staff; contenders retired by an operator only with ``show_retired``."""
        rows = self.rows.filter(category=category, style_control=style_control)
        rows = rows.select_related("contender").defer("contender__params")
        if not staff:
            rows = rows.filter(revealed_q("contender__"))
        if not show_retired:
            rows = rows.exclude(retired_q("contender__"))
        return rows.order_by(
            models.F("rank").asc(nulls_last=True), "-rating", "contender__codename"
        )

    def hidden_count(self, category: str, *, staff: bool) -> int:
        if staff:
            return 0
        rows = self.rows.filter(category=category, style_control=False)
        return rows.exclude(revealed_q("contender__")).count()

    def style_categories(self) -> set[str]:
        """Categories that have a style-controlled fit in this snapshot."""
        found = self.category_results.filter(style_votes__gt=0).values_list("category", flat=True)
        return set(found)

    def leaderboard(
        self,
        category: str,
        *,
        staff: bool,
        style_control: bool = False,
        show_retired: bool = True,
    ) -> dict[str, Any]:
        """The JSON shape of one category: what the API returns and the page renders.

        With ``style_control`` the style-controlled fit is shown where the category has
        one (``style_control`` in the result says which fit the rows are).
        """
        # Not the plot matrices (150 x 150 JSON twice): the figures load them when drawn.
        result = (
            self.category_results.filter(category=category)
            .defer("contenders", "win_rate", "battles")
            .first()
        )
        styled = bool(style_control and result is not None and result.style_votes > 0)
        visible = self.visible_rows(
            category, staff=staff, style_control=styled, show_retired=show_retired
        )
        rows = list(visible)
        from ratings.provisional import provisional_ids  # builds on this module

        provisional = provisional_ids(self, [row.contender for row in rows])
        retired_hidden = 0
        if not show_retired:
            retired = self.rows.filter(category=category, style_control=styled)
            retired = retired.filter(retired_q("contender__"))
            if not staff:
                retired = retired.filter(revealed_q("contender__"))
            retired_hidden = retired.count()
        warnings: list[str] = []
        if result is not None and staff:
            # Fit notes may name contenders (an unrevealed anchor): staff only.
            warnings = list(result.style_warnings if styled else result.warnings)
        return {
            "computed_at": self.computed_at.isoformat(),
            "snapshot": self.pk,
            "method": self.public_method(staff=staff),
            "votes": self.votes,
            "category": category,
            "category_votes": 0 if result is None else result.votes,
            "categories": self.categories(),
            "hidden": self.hidden_count(category, staff=staff),
            "retired_hidden": retired_hidden,
            "show_retired": show_retired,
            "min_votes": 0 if result is None else result.min_votes,
            "style_control": styled,
            "style_available": result is not None and result.style_votes > 0,
            "style_votes": 0 if result is None else result.style_votes,
            "style_coefficients": result.style_coefficients if styled and result else {},
            "warnings": warnings,
            "excluded": self.excluded_summary(),
            "rows": [
                row.to_dict(staff=staff, provisional=row.contender_id in provisional)
                for row in rows
            ],
        }

    def excluded_summary(self) -> dict[str, Any]:
        """How many of all votes the ratings leave out, and why (kinds, not reasons)."""
        stored = self.exclusions or {}
        votes = int(stored.get("votes", 0))
        by_kind = {k: int(n) for k, n in (stored.get("excluded") or {}).items() if n}
        excluded = sum(by_kind.values())
        return {
            "votes": votes,
            "excluded": excluded,
            "share": round(excluded / votes, 4) if votes else 0.0,
            "by_kind": by_kind,
        }

    def public_method(self, *, staff: bool) -> dict[str, Any]:
        """The method parameters, with the anchor named as this viewer may see it."""
        method = dict(self.method)
        anchor = method.get("anchor")
        if isinstance(anchor, dict) and not staff:
            found = Contender.objects.filter(codename=anchor.get("model")).first()
            name = found.name_for(codename_allowed=False) if found else ""
            method["anchor"] = {**anchor, "model": name or "(unrevealed contender)"}
            style = method.get("style")
            if isinstance(style, dict):
                method["style"] = {**style, "anchor": method["anchor"]}
        return method


class RatingRow(models.Model):
    """One contender's rating in one category of one snapshot."""

    snapshot = models.ForeignKey(RatingSnapshot, on_delete=models.CASCADE, related_name="rows")
    category = models.CharField(max_length=64)
    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="+")
    rating = models.FloatField()
    # Null when the snapshot was computed without intervals (``--ci none``).
    ci_lower = models.FloatField(null=True, blank=True)
    ci_upper = models.FloatField(null=True, blank=True)
    # Null below the category's vote threshold: listed as "not enough votes", unranked.
    rank = models.PositiveIntegerField(null=True, blank=True)
    rank_ub = models.PositiveIntegerField(null=True, blank=True)
    votes = models.PositiveBigIntegerField()
    win_rate = models.FloatField(null=True, blank=True)
    # The style-controlled fit of the category (True) or the plain Bradley-Terry fit.
    style_control = models.BooleanField(default=False)
    # Probability of being #1 among the ranked rows (bootstrap or sandwich replicates).
    p_first = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "category", "style_control", "contender"],
                name="rating_row_unique",
            )
        ]
        # The history plot reads one category of one contender across snapshots.
        indexes = [models.Index(fields=["category", "contender", "snapshot"])]

    def __str__(self) -> str:
        return f"{self.category}: {self.contender_id} {self.rating:.0f}"

    def to_dict(self, *, staff: bool, provisional: bool = False) -> dict[str, Any]:
        c = self.contender
        return {
            "id": c.pk,
            "name": c.name_for(codename_allowed=staff),
            "rating": round(self.rating, 2),
            "ci_lower": _round(self.ci_lower, 2),
            "ci_upper": _round(self.ci_upper, 2),
            "rank": self.rank,
            "rank_ub": self.rank_ub,
            "votes": self.votes,
            "win_rate": _round(self.win_rate, 4),
            "p_first": _round(self.p_first, 4),
            "revealed": c.is_revealed,
            "retired": is_retired(c),
            "retired_at": c.retired_at if is_retired(c) else None,
            "provisional": provisional,
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
    # The style-controlled fit of this category: battles with style features it used,
    # {feature: {"coef", "ci_lower", "ci_upper"}} (log-odds per standard deviation), notes.
    style_votes = models.PositiveBigIntegerField(default=0)
    style_coefficients = models.JSONField(default=dict)
    style_warnings = models.JSONField(default=list)
    # The vote threshold of this category when it was computed.
    min_votes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "category"], name="category_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} of snapshot {self.snapshot_id}"

    def visible_matrices(self, *, staff: bool, limit: int | None = None) -> VisibleMatrices:
        """The matrices without the rows and columns of contenders this viewer may not see
        (the first ``limit`` visible ones, in rank order, when given)."""
        by_id = Contender.objects.defer("params").in_bulk(self.contenders)
        keep = [
            k
            for k, cid in enumerate(self.contenders)
            if cid in by_id and (staff or by_id[cid].is_revealed)
        ][:limit]
        return VisibleMatrices(
            names=[by_id[self.contenders[k]].name_for(codename_allowed=staff) for k in keep],
            win_rate=[[self.win_rate[i][j] for j in keep] for i in keep],
            battles=[[self.battles[i][j] for j in keep] for i in keep],
        )


@dataclass(frozen=True)
class VisibleMatrices:
    names: list[str]
    win_rate: list[list[float | None]]
    battles: list[list[int]]


class FlaggedVoter(models.Model):
    """A voter (session) or IP address whose votes the anomaly filter keeps out of the ratings.

    Written by ``ratings.voters.flag_voters`` (the periodic ``flag_voters_task``); the
    battles it excludes carry ``reason`` ("flagged voter #<id>: ..."). An operator who
    restores it (admin action, ``manage.py review_voters --restore``) lets those votes
    count again, and the filter does not flag the same voter again.
    """

    class Kind(models.TextChoices):
        VOTER = "voter", "Voter (session)"
        IP = "ip", "IP address (hash)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The voter id, or the salted IP hash: never a raw address.
    key = models.CharField(max_length=64)
    # The strongest signal (ratings.stats.anomaly.SIGNALS) and its p-value or score.
    signal = models.CharField(max_length=20)
    score = models.FloatField()
    votes = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    flagged_at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "kind"], name="flagged_voter_unique_key")
        ]

    def __str__(self) -> str:
        return f"flagged {self.kind} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.restored_at is None

    @property
    def reason_prefix(self) -> str:
        """How every reason this flag stored starts (so a restore finds exactly them)."""
        return f"flagged voter #{self.pk}:"


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


class RatingSettings(models.Model):
    """Operator knobs of the periodic recompute, a singleton edited in the admin.

    Until the row is saved the defaults come from settings (``ARENA_RATINGS_*``).
    """

    anchor = models.CharField(
        max_length=300,
        blank=True,
        help_text="Pin a contender: MODEL=RATING, codename or public name "
        "(e.g. mixtral-8x7b-instruct-v0.1=1114). Empty: ratings average 1000.",
    )
    min_votes = models.PositiveIntegerField(
        default=300, help_text="Below this many votes in a category: 'not enough votes'."
    )
    min_votes_by_category = models.JSONField(
        default=dict,
        blank=True,
        help_text='Overrides per category, e.g. {"multi_turn": 100}.',
    )
    style_control = models.BooleanField(
        default=True, help_text="Also fit the style-controlled leaderboard (the default view)."
    )

    class Meta:
        verbose_name = "rating settings"
        verbose_name_plural = "rating settings"

    def __str__(self) -> str:
        return "rating settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.anchor.strip():
            try:
                parse_anchor(self.anchor)
            except ValueError as exc:
                raise ValidationError({"anchor": str(exc)}) from None
        by_category = self.min_votes_by_category
        if not isinstance(by_category, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in by_category.items()
        ):
            raise ValidationError(
                {"min_votes_by_category": "A JSON object of category: whole number >= 0."}
            )

    @classmethod
    def load(cls) -> RatingSettings:
        """The saved row, or the defaults from settings (unsaved)."""
        found = cls.objects.filter(pk=1).first()
        if found is not None:
            return found
        return cls(
            pk=1,
            anchor=settings.ARENA_RATINGS_ANCHOR,
            min_votes=settings.ARENA_RATINGS_MIN_VOTES,
            style_control=settings.ARENA_RATINGS_STYLE_CONTROL,
        )

    def anchor_pair(self) -> tuple[str, float] | None:
        return parse_anchor(self.anchor) if self.anchor.strip() else None


def is_retired(contender: Contender) -> bool:
    """Retired from the arena by an operator (imported historic contenders are not)."""
    return contender.status == ContenderStatus.RETIRED and not contender.historic


def retired_q(prefix: str = "") -> Q:
    """Contenders retired by an operator (mirrors :func:`is_retired`)."""
    return Q(**{f"{prefix}status": ContenderStatus.RETIRED, f"{prefix}historic": False})


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
