"""Operators' read-only view of battles, their turns and answers, and votes.

Battles are evidence for the ratings: the admin shows them but does not edit them.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from battles.models import Battle, BattleCategory, Completion, PromptLabel, Turn, Vote


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TurnInline(ReadOnlyInline):
    model = Turn
    fields = ("index", "prompt", "answers")
    readonly_fields = ("index", "prompt", "answers")

    @admin.display(description="Answers (side, contender, status, error, text)")
    def answers(self, turn: Turn) -> str:
        # Django inlines do not nest, so each turn shows its two completions here.
        return format_html_join(
            "",
            "<p><b>{}</b> · {} · {} {}<br>{}</p>",
            (
                (c.side, c.contender, c.status, c.error and f"({c.error})", c.text[:500])
                for c in turn.completions.order_by("side").select_related("contender")
            ),
        )


class CategoryInline(ReadOnlyInline):
    model = BattleCategory
    fields = ("category",)
    readonly_fields = ("category",)
    show_change_link = False


class ExcludedFilter(admin.SimpleListFilter):
    title = "excluded from ratings"
    parameter_name = "excluded"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Excluded"), ("no", "Counted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        field = "excluded_reason" if queryset.model is Battle else "battle__excluded_reason"
        if self.value() == "yes":
            return queryset.exclude(**{field: ""})
        if self.value() == "no":
            return queryset.filter(**{field: ""})
        return queryset


@admin.register(Battle)
class BattleAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "status", "contender_a", "contender_b", "excluded_reason"]
    list_filter = ["status", ExcludedFilter, "excluded_reason", "created_at"]
    search_fields = ["id", "voter", "contender_a__codename", "contender_b__codename"]
    list_select_related = ["contender_a", "contender_b"]
    date_hierarchy = "created_at"
    inlines = [TurnInline, CategoryInline]


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "turn", "side", "contender", "status", "finish_reason", "queued_at", "thinking_time",
    ]
    list_filter = ["status", "contender"]
    search_fields = ["id", "turn__battle__id", "error"]
    list_select_related = ["contender", "turn"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["battle", "outcome", "created_at", "excluded"]
    list_filter = ["outcome", ExcludedFilter, "battle__status", "created_at"]
    search_fields = ["battle__id", "voter"]
    list_select_related = ["battle"]

    @admin.display(description="Excluded because")
    def excluded(self, vote: Vote) -> str:
        return vote.battle.excluded_reason or format_html("<i>{}</i>", "counted")


@admin.register(PromptLabel)
class PromptLabelAdmin(ReadOnlyAdmin):
    """The LLM labeller's cached judgements; ``errors`` says why an answer was not used."""

    list_display = ["prompt_hash", "judge", "labels", "errors", "created_at"]
    search_fields = ["prompt_hash", "judge"]
