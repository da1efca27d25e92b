"""The registry in the admin: operators see and change contenders, never keys.

Only the *name* of the key's environment variable is stored, so there is no key here to
show; reveal, pause, resume and the breaker reset go through the same domain functions
as the commands.
"""

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from arena import lifecycle
from arena.models import Contender, ContenderStatus, ContenderTransition, revealed_q
from arena.registry import RegistryError, reveal_contender, set_contender_status, test_contender


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


class VariantGroupFilter(admin.SimpleListFilter):
    """A vendor's private variants, grouped under the model they are variants of."""

    title = "variant group"
    parameter_name = "variants_of"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        roots = Contender.objects.filter(variants__isnull=False).distinct()
        return [(str(c.pk), c.codename) for c in roots.only("id", "codename")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Contender]) -> QuerySet[Contender]:
        value = self.value()
        if value and value.isdigit():
            root = int(value)
            return queryset.filter(models.Q(pk=root) | models.Q(variant_of_id=root))
        return queryset


class TransitionInline(admin.TabularInline):
    """The contender's history on its change page: read-only, never edited."""

    model = ContenderTransition
    fk_name = "contender"
    extra = 0
    can_delete = False
    fields = ("at", "event", "from_status", "to_status", "actor", "via", "note")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name = "lifecycle step"
    verbose_name_plural = "history (every lifecycle step)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
        "variant_of",
        "retired_at",
        "consecutive_failures",
    )
    list_filter = ("status", "backend", RevealedFilter, VariantGroupFilter, "historic")
    search_fields = ("codename", "public_name", "organisation", "provider_model")
    readonly_fields = (
        "revealed_at", "retired_at", "votes_at_reveal", "created_at", "consecutive_failures",
        "breaker_opened_at",
    )  # fmt: skip
    actions = ("test_connection", "reveal", "pause", "resume", "retire", "reset_breaker")
    inlines = (TransitionInline,)
    change_form_template = "admin/arena/contender/change_form.html"
    # A base URL typed without a scheme means https (Django 6's default, opted into now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("codename", "status", "sampling_weight", "historic")}),
        (
            "Identity",
            {
                "fields": (
                    "public_name",
                    "organisation",
                    "variant_of",
                    "revealed_at",
                    "votes_at_reveal",
                    "retired_at",
                ),
                "description": "A public name stays hidden from voters until revealed "
                "(the 'Reveal' action).",
            },
        ),
        ("Backend", {"fields": ("backend", "base_url", "provider_model", "api_key_env")}),
        ("Generation", {"fields": ("params",)}),
        (
            "Health",
            {"fields": ("consecutive_failures", "breaker_opened_at", "created_at")},
        ),
    )

    def get_urls(self) -> list[URLPattern]:
        test = self.admin_site.admin_view(require_POST(self.test_connection_view))
        own = [path("<int:pk>/test-connection/", test, name="arena_contender_test")]
        return own + super().get_urls()

    def test_connection_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The change page's button: one real streamed request, the result as a message."""
        contender = get_object_or_404(Contender, pk=pk)
        if not self.has_change_permission(request, contender):
            return HttpResponseRedirect(reverse("admin:index"))
        self._test(request, contender)
        return HttpResponseRedirect(reverse("admin:arena_contender_change", args=[pk]))

    def _test(self, request: HttpRequest, contender: Contender) -> None:
        _, result = test_contender(contender.codename, by=request.user, via="admin")
        level = messages.SUCCESS if result.ok else messages.ERROR
        self.message_user(request, f"Test of {contender.codename}: {result.describe()}", level)

    def save_model(
        self, request: HttpRequest, obj: Contender, form: ModelForm, change: bool
    ) -> None:
        """Edits are saved as typed, except the status: a change goes through the lifecycle
        (logged, breaker and retirement fields kept right)."""
        if not change:
            super().save_model(request, obj, form, change)
            lifecycle.log_added(obj, by=request.user, via="admin")
            return
        wanted = obj.status
        obj.status = Contender.objects.values_list("status", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        lifecycle.change_status(obj, wanted, by=request.user, via="admin")

    @admin.action(description="Test connection (one real streamed request, no battle)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        for contender in queryset:
            self._test(request, contender)

    @admin.display(boolean=True, description="revealed")
    def revealed(self, contender: Contender) -> bool:
        return contender.is_revealed

    @admin.action(description="Reveal selected contenders (by their public name)")
    def reveal(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        done, skipped = [], []
        for contender in queryset:
            try:
                reveal_contender(
                    contender.codename, contender.public_name, by=request.user, via="admin"
                )
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

    @admin.action(description="Retire selected contenders (kept in history and snapshots)")
    def retire(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        self._set_status(request, queryset, ContenderStatus.RETIRED)

    @admin.action(description="Reset circuit breaker (outage → active, failures cleared)")
    def reset_breaker(self, request: HttpRequest, queryset: QuerySet[Contender]) -> None:
        from battles.breaker import reset_breaker  # the breaker is the battles app's

        codenames = []
        for contender in queryset:
            reset_breaker(contender.pk, by=request.user)
            codenames.append(contender.codename)
        self.message_user(request, f"Breaker reset: {', '.join(codenames)}.")

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Contender], status: str) -> None:
        codenames = [c.codename for c in queryset]
        for codename in codenames:
            set_contender_status(codename, status, by=request.user, via="admin")
        self.message_user(request, f"{status.capitalize()}: {', '.join(codenames)}.")
