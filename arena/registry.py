"""What operators do to the registry: add, reveal, pause and resume contenders, seed demos.

Used by the management commands and the admin. Every function validates the whole row
before writing (``full_clean``) inside one transaction, so a bad argument writes nothing;
problems come back as ``RegistryError`` with a message fit for a terminal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena import lifecycle
from arena.connection import ConnectionResult, try_connection
from arena.models import BackendKind, Contender, ContenderStatus, TransitionEvent

if TYPE_CHECKING:
    from arena.lifecycle import Actor

# Used when an operator gives no --base-url, so the row shows where requests go.
DEFAULT_BASE_URLS = {
    BackendKind.OPENAI: "https://api.openai.com/v1",
    BackendKind.ANTHROPIC: "https://api.anthropic.com",
}


class RegistryError(Exception):
    """An operator request the registry refuses; the message says why."""


@dataclass(frozen=True)
class DemoContender:
    codename: str
    personality: str
    public_name: str
    revealed: bool


# One stays unrevealed so the codename flow (voters see ``mango``) can be tried out.
DEMO_CONTENDERS = (
    DemoContender("chocolate", "concise", "Demo Concise", True),
    DemoContender("vanilla", "thorough", "Demo Thorough", True),
    DemoContender("pistachio", "playful", "Demo Playful", True),
    DemoContender("mango", "structured", "Demo Structured", False),
)


def add_contender(
    codename: str,
    backend: str,
    *,
    base_url: str = "",
    provider_model: str = "",
    api_key_env: str = "",
    public_name: str = "",
    organisation: str = "",
    weight: float = 1.0,
    params: dict[str, Any] | None = None,
    status: str = ContenderStatus.ACTIVE,
    variant_of: str = "",
    by: Actor = None,
    via: str = "command",
) -> Contender:
    """Register a contender; a ``public_name`` reveals it from the start; ``variant_of``
    names (by codename) the model it is a private variant of."""
    if backend not in BackendKind.values:
        raise RegistryError(
            f"Unknown backend {backend!r}; choose one of {', '.join(BackendKind.values)}."
        )
    if not math.isfinite(weight):
        raise RegistryError("sampling weight: must be a finite number of at least 0.")
    if status not in (ContenderStatus.ACTIVE, ContenderStatus.PAUSED):
        raise RegistryError("A new contender's status must be active or paused.")
    public_name = public_name.strip()
    parent = _get(variant_of) if variant_of else None
    contender = Contender(
        variant_of=parent,
        codename=codename,
        backend=backend,
        base_url=base_url or DEFAULT_BASE_URLS.get(BackendKind(backend), ""),
        provider_model=provider_model,
        api_key_env=api_key_env,
        public_name=public_name,
        organisation=organisation.strip(),
        sampling_weight=weight,
        params={k: v for k, v in (params or {}).items() if v is not None},
        status=status,
        revealed_at=timezone.now() if public_name else None,
    )
    try:
        with transaction.atomic():
            contender.full_clean()
            contender.save()
            lifecycle.log_added(contender, by=by, via=via)
    except ValidationError as exc:
        raise RegistryError(describe(exc)) from exc
    except IntegrityError as exc:
        # Lost a race with a concurrent add of the same codename, or a database check.
        raise RegistryError(f"Could not save contender {codename!r}: {exc}") from exc
    return contender


def reveal_contender(
    codename: str,
    public_name: str,
    organisation: str | None = None,
    *,
    by: Actor = None,
    via: str = "command",
) -> Contender:
    """Show ``public_name`` to voters from now on (past battles reveal it too)."""
    with transaction.atomic():
        contender = _get(codename, for_update=True)
        try:
            lifecycle.reveal(contender, public_name, organisation, by=by, via=via)
        except ValidationError as exc:
            raise RegistryError(describe(exc)) from exc
    return contender


def set_contender_status(
    codename: str, status: str, *, by: Actor = None, via: str = "command", note: str = ""
) -> Contender:
    """Pause, resume (also after an outage) or retire a contender (logged)."""
    if status not in ContenderStatus.values:
        raise RegistryError(
            f"Unknown status {status!r}; choose one of {', '.join(ContenderStatus.values)}."
        )
    contender = _get(codename)
    lifecycle.change_status(contender, status, by=by, via=via, note=note)
    return contender


def test_contender(
    codename: str, *, by: Actor = None, via: str = "command"
) -> tuple[Contender, ConnectionResult]:
    """One real streamed request to the contender's backend, timed and logged (no battle)."""
    contender = _get(codename)
    result = try_connection(contender)
    lifecycle.log(
        contender, TransitionEvent.TESTED, from_status=contender.status,
        to_status=contender.status, by=by, via=via, note=result.describe(),
    )  # fmt: skip
    return contender, result


def seed_demo() -> list[tuple[Contender, bool]]:
    """The four demo contenders, created when missing; existing rows are left as they are."""
    seeded = []
    with transaction.atomic():
        for demo in DEMO_CONTENDERS:
            contender, created = Contender.objects.get_or_create(
                codename=demo.codename,
                defaults={
                    "backend": BackendKind.DEMO,
                    "provider_model": demo.personality,
                    "public_name": demo.public_name if demo.revealed else "",
                    "organisation": "Arena demo" if demo.revealed else "",
                    "revealed_at": timezone.now() if demo.revealed else None,
                },
            )
            if created:
                lifecycle.log_added(contender, via="seed_demo")
            seeded.append((contender, created))
    return seeded


def describe(exc: ValidationError) -> str:
    """A one-line, field-labelled message from a ``ValidationError``."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field.replace('_', ' ')}: {' '.join(messages)}"
            if field != "__all__"
            else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _get(codename: str, *, for_update: bool = False) -> Contender:
    queryset = Contender.objects.select_for_update() if for_update else Contender.objects
    try:
        return queryset.get(codename=codename)
    except Contender.DoesNotExist:
        raise RegistryError(f"No contender with codename {codename!r}.") from None
