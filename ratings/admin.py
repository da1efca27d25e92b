"""Read-only admin views of rating snapshots (they are written by the recompute only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ratings.models import RatingRow, RatingSettings, RatingSnapshot


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
