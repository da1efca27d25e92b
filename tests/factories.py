"""Builders of real rows for tests, one place for each kind of row."""

from typing import Any

from django.utils import timezone

from arena.models import BackendKind, Contender


def make_contender(codename: str, *, revealed: bool = False, **fields: Any) -> Contender:
    """An active demo contender (``fields`` override); ``revealed`` gives it a public name
    (its codename, titled, unless one is given) revealed now."""
    defaults: dict[str, Any] = {"backend": BackendKind.DEMO, "provider_model": "concise"}
    if revealed:
        defaults |= {"public_name": codename.title(), "revealed_at": timezone.now()}
    return Contender.objects.create(codename=codename, **{**defaults, **fields})
