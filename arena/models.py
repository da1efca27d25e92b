"""The model registry: the contenders that answer in battles."""

from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


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


class Contender(models.Model):
    """A competing model, known to voters by its codename until it is revealed."""

    codename = models.SlugField(max_length=100, unique=True)
    public_name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=20, choices=BackendKind.choices)
    base_url = models.URLField(max_length=500, blank=True)
    provider_model = models.CharField(max_length=200, blank=True)
    # The *name* of the environment variable that holds the key, never the key itself.
    api_key_env = models.CharField(max_length=100, blank=True)
    # Generation parameters: temperature, max_tokens, system_prompt, top_p.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=ContenderStatus.choices, default=ContenderStatus.ACTIVE
    )
    sampling_weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Contenders created by `import_battles` for historic votes: never sampled.
    historic = models.BooleanField(default=False)
    revealed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

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

    @property
    def display_name(self) -> str:
        """What a voter sees after the vote: the public name once revealed, else the codename."""
        return self.public_name if self.is_revealed else self.codename

    def reveal_dict(self) -> dict[str, Any]:
        return {"name": self.display_name, "revealed": self.is_revealed}
