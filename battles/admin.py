"""Operators' read-only view of battles, their turns and answers, and votes.

Battles are evidence for the ratings: the admin shows them but does not edit them.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from battles.exclusions import KIND_LABELS, exclusion_kind, kind_q
from battles.models import (
    Battle,
    BattleCategory,
    BattleMode,
    BattleStatus,
    Completion,
    PromptLabel,
    Turn,
    Vote,
)


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
    fields = ("index", "prompt", "superseded", "answers")
    readonly_fields = ("index", "prompt", "superseded", "answers")

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
        # A named mode's vote is never counted, excluded reason or not.
        prefix = "" if queryset.model is Battle else "battle__"
        counted = Q(**{f"{prefix}excluded_reason": "", f"{prefix}mode": BattleMode.ARENA})
        if self.value() == "yes":
            return queryset.exclude(counted)
        if self.value() == "no":
            return queryset.filter(counted)
        return queryset


class ExclusionKindFilter(admin.SimpleListFilter):
    """By kind of reason (``battles.exclusions``), not by each distinct reason text."""

    title = "exclusion kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(KIND_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in KIND_LABELS:
            return queryset
        field = "excluded_reason" if queryset.model is Battle else "battle__excluded_reason"
        return queryset.filter(kind_q(str(self.value()), field))


@admin.register(Battle)
class BattleAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "created_at", "mode", "status", "contender_a", "contender_b", "kind",
        "excluded_reason",
    ]  # fmt: skip
    list_filter = ["mode", "status", ExcludedFilter, ExclusionKindFilter, "created_at"]
    search_fields = ["id", "voter", "contender_a__codename", "contender_b__codename"]
    list_select_related = ["contender_a", "contender_b"]
    date_hierarchy = "created_at"
    inlines = [TurnInline, CategoryInline]

    @admin.display(description="Exclusion kind")
    def kind(self, battle: Battle) -> str:
        if battle.status != BattleStatus.VOTED and not battle.excluded_reason:
            return ""
        return KIND_LABELS[exclusion_kind(battle.excluded_reason)]


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
    list_filter = ["outcome", ExcludedFilter, ExclusionKindFilter, "battle__status", "created_at"]
    search_fields = ["battle__id", "voter"]
    list_select_related = ["battle"]

    @admin.display(description="Excluded because")
    def excluded(self, vote: Vote) -> str:
        if vote.battle.excluded_reason:
            return vote.battle.excluded_reason
        if not vote.battle.is_blind:
            return f"{vote.battle.get_mode_display()}: names were shown"
        return format_html("<i>{}</i>", "counted")


@admin.register(PromptLabel)
class PromptLabelAdmin(ReadOnlyAdmin):
    """The LLM labeller's cached judgements; ``errors`` says why an answer was not used."""

    list_display = ["prompt_hash", "judge", "labels", "errors", "created_at"]
    search_fields = ["prompt_hash", "judge"]
