"""Read-only admin views of rating snapshots (they are written by the recompute only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ratings.models import FlaggedVoter, RatingRow, RatingSettings, RatingSnapshot
from ratings.voters import restore_flag


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RatingSnapshot)
class RatingSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["id", "computed_at", "votes", "last_vote_id", "duration_s"]
    readonly_fields = ["computed_at", "method", "votes", "last_vote_id", "last_vote_at"]


@admin.register(RatingRow)
class RatingRowAdmin(ReadOnlyAdmin):
    list_display = ["snapshot", "category", "contender", "rating", "rank", "rank_ub", "votes"]
    list_filter = ["category"]
    list_select_related = ["contender", "snapshot"]
    search_fields = ["contender__codename", "contender__public_name"]


@admin.register(RatingSettings)
class RatingSettingsAdmin(admin.ModelAdmin):
    """The one row of operator knobs; the next periodic recompute applies a change."""

    list_display = ["__str__", "anchor", "min_votes", "style_control"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not RatingSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FlaggedVoter)
class FlaggedVoterAdmin(ReadOnlyAdmin):
    """Voters and IPs the anomaly filter flagged; an operator reviews and may restore them."""

    list_display = ["id", "kind", "key", "signal", "votes", "flagged_at", "restored_at"]
    list_filter = ["kind", "signal", ("restored_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "reason"]
    readonly_fields = [
        "kind",
        "key",
        "signal",
        "score",
        "votes",
        "reason",
        "flagged_at",
        "restored_at",
        "reviewed_by",
    ]
    actions = ["restore"]

    @admin.action(description="Restore: let their votes count again")
    def restore(self, request: HttpRequest, queryset: QuerySet[FlaggedVoter]) -> None:
        restored = votes = 0
        for flag in queryset.filter(restored_at=None):
            votes += restore_flag(flag.pk, by=request.user.get_username())
            restored += 1
        self.message_user(
            request, f"Restored {restored} flagged voter(s); {votes} votes count again."
        )
