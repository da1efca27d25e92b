"""The model registry: the contenders that answer in battles."""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Prefixes of real provider keys: a value starting so is a key pasted by mistake.
_KEY_PREFIXES = ("sk-", "sk_", "xai-", "gsk_", "hf_", "ghp_", "AIza", "pplx-")
PARAM_KEYS = ("temperature", "max_tokens", "top_p", "system_prompt", "thinking_budget")
# Anthropic's smallest budget for extended thinking.
MIN_THINKING_BUDGET = 1024


def validate_api_key_env(value: str) -> None:
    """An environment variable *name*; refuses values that look like a key themselves.

    The messages never repeat the value: if it is a key, it must not reach a log.
    """
    # Provider keys are long random mixed-case strings; variable names rarely are.
    random_looking = (
        len(value) >= 24
        and any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and any(c.isdigit() for c in value)
    )
    if value.startswith(_KEY_PREFIXES) or random_looking:
        raise ValidationError(
            "This looks like an API key itself. Give the NAME of the environment variable "
            "that holds the key (e.g. OPENAI_API_KEY), never the key."
        )
    if not _ENV_NAME.match(value):
        raise ValidationError(
            "Not a valid environment variable name: use letters, digits and underscores, "
            "not starting with a digit (e.g. OPENAI_API_KEY)."
        )


def validate_params(params: object) -> None:
    """Generation parameters: a JSON object with only the knobs the backends understand."""
    if not isinstance(params, dict):
        raise ValidationError("Parameters must be a JSON object.")
    unknown = sorted(set(params) - set(PARAM_KEYS))
    if unknown:
        raise ValidationError(
            f"Unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(PARAM_KEYS)}."
        )
    ranges = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
    for key, (low, high) in ranges.items():
        value = params.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ValidationError(f"{key} must be a number from {low:g} to {high:g}.")
    max_tokens = params.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise ValidationError("max_tokens must be a whole number of at least 1.")
    if not isinstance(params.get("system_prompt", ""), str):
        raise ValidationError("system_prompt must be text.")
    budget = params.get("thinking_budget")
    if budget is None:
        return
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
        raise ValidationError(
            f"thinking_budget must be a whole number of at least {MIN_THINKING_BUDGET}."
        )
    if {"temperature", "top_p"} & {k for k, v in params.items() if v is not None}:
        # Anthropic refuses sampling changes while the model thinks.
        raise ValidationError("thinking_budget cannot be combined with temperature or top_p.")


class BackendKind(models.TextChoices):
    OPENAI = "openai", "OpenAI-compatible"
    ANTHROPIC = "anthropic", "Anthropic Messages"
    DEMO = "demo", "Demo (local, no network)"


class ContenderStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    RETIRED = "retired", "Retired"
    # Set by the circuit breaker when a backend keeps failing; the sampler skips it.
    OUTAGE = "outage", "Outage"


def revealed_q(prefix: str = "") -> models.Q:
    """The contenders whose real name is public, as a filter: ``Contender.is_revealed``
    in SQL. ``prefix`` reaches them through a relation (``"contender__"``)."""
    return models.Q(**{f"{prefix}revealed_at__isnull": False}) & ~models.Q(
        **{f"{prefix}public_name": ""}
    )


class ContenderQuerySet(models.QuerySet["Contender"]):
    def revealed(self) -> "ContenderQuerySet":
        return self.filter(revealed_q())

    def unrevealed(self) -> "ContenderQuerySet":
        return self.exclude(revealed_q())

    def sampleable(self) -> "ContenderQuerySet":
        """Those the sampler may draw: active, live (not historic), with a positive weight."""
        return self.filter(status=ContenderStatus.ACTIVE, historic=False, sampling_weight__gt=0)


class Contender(models.Model):
    """A competing model, known to voters by its codename until it is revealed."""

    codename = models.SlugField(max_length=100, unique=True)
    public_name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=20, choices=BackendKind.choices)
    base_url = models.URLField(max_length=500, blank=True)
    provider_model = models.CharField(max_length=200, blank=True)
    # The *name* of the environment variable that holds the key, never the key itself.
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_api_key_env],
        help_text="Name of the environment variable holding the API key (never the key).",
    )
    # Generation parameters: temperature, max_tokens, system_prompt, top_p, and for the
    # anthropic backend thinking_budget (extended thinking).
    params = models.JSONField(default=dict, blank=True, validators=[validate_params])
    status = models.CharField(
        max_length=20, choices=ContenderStatus.choices, default=ContenderStatus.ACTIVE
    )
    sampling_weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Contenders created by `import_battles` for historic votes: never sampled.
    historic = models.BooleanField(default=False)
    revealed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A vendor's private variants point at one model of theirs (grouped on the admin
    # and counted on the transparency page).
    variant_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variants"
    )
    # Set by the lifecycle (``arena.lifecycle``), never by hand.
    retired_at = models.DateTimeField(null=True, blank=True)
    # When the circuit breaker last opened (or its half-open probe last started).
    breaker_opened_at = models.DateTimeField(null=True, blank=True)
    # Counted votes when revealed: the leaderboard marks it provisional until it has
    # ``ARENA_PROVISIONAL_VOTES`` more.
    votes_at_reveal = models.PositiveBigIntegerField(default=0)

    objects = ContenderQuerySet.as_manager()

    class Meta:
        ordering = ["codename"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sampling_weight__gte=0), name="contender_weight_non_negative"
            )
        ]

    def __str__(self) -> str:
        return self.codename

    @property
    def is_revealed(self) -> bool:
        return bool(self.public_name) and self.revealed_at is not None

    def name_for(self, *, codename_allowed: bool) -> str:
        """The one rule for showing a contender's name: its public name once revealed;
        before that its codename only to those allowed it (a voter after their vote,
        staff), and nothing to anyone else (the public leaderboard)."""
        if self.is_revealed:
            return self.public_name
        return self.codename if codename_allowed else ""

    @property
    def display_name(self) -> str:
        """What a voter sees after the vote: the public name once revealed, else the codename."""
        return self.name_for(codename_allowed=True)

    def reveal_dict(self) -> dict[str, Any]:
        return {"name": self.display_name, "revealed": self.is_revealed}

    def clean(self) -> None:
        if self.backend in (BackendKind.OPENAI, BackendKind.ANTHROPIC) and not self.provider_model:
            raise ValidationError(
                {"provider_model": f"The {self.backend} backend needs a provider model id."}
            )
        thinking = isinstance(self.params, dict) and self.params.get("thinking_budget")
        if thinking and self.backend != BackendKind.ANTHROPIC:
            # OpenAI-compatible reasoning models think without a switch; the demo never does.
            raise ValidationError(
                {"params": "thinking_budget is only for the anthropic backend."}
            )

    def reveal(self, public_name: str = "", organisation: str | None = None) -> None:
        """Make the public name visible to voters; keeps the first reveal time."""
        name = (public_name or self.public_name).strip()
        if not name:
            raise ValidationError({"public_name": "A public name is needed to reveal."})
        self.public_name = name
        if organisation is not None:
            self.organisation = organisation.strip()
        if self.revealed_at is None:
            self.revealed_at = timezone.now()
        self.save(update_fields=["public_name", "organisation", "revealed_at"])

    def set_status(self, status: str) -> None:
        """Pause, resume, retire: through the lifecycle, which logs the step."""
        from arena.lifecycle import change_status  # the lifecycle builds on this model

        change_status(self, status)
        self.refresh_from_db()


class TransitionEvent(models.TextChoices):
    ADDED = "added", "Added"
    STATUS = "status", "Status changed"
    REVEALED = "revealed", "Revealed"
    TESTED = "tested", "Connection tested"


class ContenderTransition(models.Model):
    """One step of a contender's lifecycle: who, when, from which status to which, why.

    Written only by ``arena.lifecycle``; never edited or deleted (the admin shows it
    read-only).
    """

    contender = models.ForeignKey(Contender, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=20, choices=TransitionEvent.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    # The operator, when a person did it; ``via`` says through what (admin, command,
    # breaker, housekeeping).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    via = models.CharField(max_length=50, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["contender", "at", "id"]
        indexes = [models.Index(fields=["contender", "at"])]

    def __str__(self) -> str:
        return f"{self.contender_id}: {self.event} {self.from_status}->{self.to_status}"

    @property
    def summary(self) -> str:
        """The step in words, without the note (what the public model page shows)."""
        if self.event == TransitionEvent.ADDED:
            return f"added ({self.to_status})"
        if self.event == TransitionEvent.REVEALED:
            return "revealed"
        if self.event == TransitionEvent.TESTED:
            return "connection tested"
        return f"{self.from_status} \u2192 {self.to_status}"
