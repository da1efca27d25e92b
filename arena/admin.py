"""The registry in the admin: operators see and change contenders, never keys.

Only the *name* of the key's environment variable is stored, so there is no key here to
show; reveal, pause, resume and the breaker reset go through the same domain functions
as the commands.
"""

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from arena.models import Contender, ContenderStatus, revealed_q
from arena.registry import RegistryError, reveal_contender, set_contender_status


class RevealedFilter(admin.SimpleListFilter):
    title = "revealed"
    parameter_name = "revealed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Revealed"), ("no", "Codename only")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contender]) -> QuerySet[Contender]:
        if self.value() == "yes":
            return queryset.filter(revealed_q())
        if self.value() == "no":
            return queryset.exclude(revealed_q())
        return queryset


@admin.register(Contender)
class ContenderAdmin(admin.ModelAdmin):
    list_display = (
        "codename",
        "public_name",
        "status",
        "sampling_weight",
        "backend",
        "provider_model",
        "revealed",
        "consecutive_failures",
    )
    list_filter = ("status", "backend", RevealedFilter, "historic")
    search_fields = ("codename", "public_name", "organisation", "provider_model")
    readonly_fields = ("revealed_at", "created_at", "consecutive_failures")
    actions = ("reveal", "pause", "resume", "reset_breaker")
    # A base URL typed without a scheme means https (Django 6's default, opted into now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("codename", "status", "sampling_weight", "historic")}),
        (
            "Identity",
            {
                "fields": ("public_name", "organisation", "revealed_at"),
                "description": "A public name stays hidden from voters until revealed "
                "(the 'Reveal' action).",
            },
        ),
        ("Backend", {"fields": ("backend", "base_url", "provider_model", "api_key_env")}),
        ("Generation", {"fields": ("params",)}),
        ("Health", {"fields": ("consecutive_failures", "created_at")}),
    )

    @admin.display(boolean=True, description="revealed")
    def revealed(self, contender: Contender) -> bool:
        return contender.is_revealed

    @admin.action(description="Reveal selected contenders (by their public name)")
    def reveal(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        done, skipped = [], []
        for contender in queryset:
            try:
                reveal_contender(contender.codename, contender.public_name)
                done.append(contender.codename)
            except RegistryError:
                skipped.append(contender.codename)
        if done:
            self.message_user(request, f"Revealed: {', '.join(done)}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Not revealed (set a public name first): {', '.join(skipped)}.",
                messages.WARNING,
            )

    @admin.action(description="Pause selected contenders")
    def pause(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        self._set_status(request, queryset, ContenderStatus.PAUSED)

    @admin.action(description="Resume selected contenders (also after an outage)")
    def resume(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        self._set_status(request, queryset, ContenderStatus.ACTIVE)

    @admin.action(description="Reset circuit breaker (outage → active, failures cleared)")
    def reset_breaker(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        from battles.breaker import reset_breaker  # the breaker is the battles app's

        codenames = []
        for contender in queryset:
            reset_breaker(contender.pk)
            codenames.append(contender.codename)
        self.message_user(request, f"Breaker reset: {', '.join(codenames)}.")

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Contender], status: str) -> None:
        codenames = [c.codename for c in queryset]
        for codename in codenames:
            set_contender_status(codename, status)
        self.message_user(request, f"{status.capitalize()}: {', '.join(codenames)}.")
