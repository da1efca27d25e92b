"""The contender lifecycle: every status change and reveal is one logged transition."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.test import Client

from arena import lifecycle
from arena.models import Contender, ContenderStatus, ContenderTransition, TransitionEvent
from tests.factories import make_contender
from tests.ratings.helpers import vote

pytestmark = pytest.mark.django_db


def _steps(codename: str) -> list[tuple[str, str, str, str]]:
    rows = ContenderTransition.objects.filter(contender__codename=codename).order_by("at", "id")
    return [(t.event, t.from_status, t.to_status, t.via) for t in rows]


def test_commands_log_add_reveal_pause_resume_and_retire() -> None:
    out = StringIO()
    call_command("add_contender", "chocolate", "--backend", "demo", stdout=out)
    call_command("reveal_contender", "chocolate", "--public-name", "Choco 1", stdout=out)
    call_command("set_contender_status", "chocolate", "paused", "--note", "rate limit", stdout=out)
    call_command("set_contender_status", "chocolate", "active", stdout=out)
    call_command("set_contender_status", "chocolate", "retired", stdout=out)

    assert _steps("chocolate") == [
        (TransitionEvent.ADDED, "", "active", "command"),
        (TransitionEvent.REVEALED, "active", "active", "command"),
        (TransitionEvent.STATUS, "active", "paused", "command"),
        (TransitionEvent.STATUS, "paused", "active", "command"),
        (TransitionEvent.STATUS, "active", "retired", "command"),
    ]
    paused = ContenderTransition.objects.get(contender__codename="chocolate", to_status="paused")
    assert paused.note == "rate limit"
    retired = Contender.objects.get(codename="chocolate")
    assert retired.status == ContenderStatus.RETIRED and retired.retired_at is not None


def test_setting_the_same_status_logs_nothing() -> None:
    contender = make_contender("steady")

    changed = lifecycle.change_status(contender, ContenderStatus.ACTIVE)

    assert changed is False
    assert _steps("steady") == []


def test_a_condition_that_no_longer_holds_changes_nothing() -> None:
    contender = make_contender("steady")

    # The breaker's case: another worker already moved it, or the count was reset.
    changed = lifecycle.change_status(
        contender, ContenderStatus.OUTAGE, only_if=Q(consecutive_failures__gte=5)
    )

    assert changed is False
    assert Contender.objects.get(pk=contender.pk).status == ContenderStatus.ACTIVE


def test_coming_back_from_retirement_clears_the_date() -> None:
    contender = make_contender("phoenix")
    lifecycle.change_status(contender, ContenderStatus.RETIRED)
    lifecycle.change_status(contender, ContenderStatus.ACTIVE)

    assert Contender.objects.get(pk=contender.pk).retired_at is None


def test_reveal_records_the_votes_so_far_and_a_rename_keeps_them() -> None:
    secret, other = make_contender("chocolate"), make_contender("vanilla", revealed=True)
    for _ in range(3):
        vote(secret, other, "a")
    vote(secret, other, "a", excluded_reason="identity leak")

    call_command("reveal_contender", "chocolate", "--public-name", "Choco", stdout=StringIO())
    vote(secret, other, "b")
    call_command("reveal_contender", "chocolate", "--public-name", "Choco 2", stdout=StringIO())

    revealed = Contender.objects.get(codename="chocolate")
    assert revealed.votes_at_reveal == 3  # counted votes only, at the first reveal
    notes = list(
        ContenderTransition.objects.filter(event=TransitionEvent.REVEALED).values_list(
            "note", flat=True
        )
    )
    assert notes == ["public name 'Choco'", "public name 'Choco 2' (renamed)"]


def test_variant_of_links_a_private_variant() -> None:
    call_command("add_contender", "base-model", "--backend", "demo", stdout=StringIO())
    call_command(
        "add_contender", "base-model-v2", "--backend", "demo", "--variant-of", "base-model",
        stdout=StringIO(),
    )  # fmt: skip

    base = Contender.objects.get(codename="base-model")
    assert [v.codename for v in base.variants.all()] == ["base-model-v2"]


def test_variant_of_an_unknown_codename_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command(
            "add_contender", "orphan", "--backend", "demo", "--variant-of", "nope",
            stdout=StringIO(),
        )  # fmt: skip
    assert not Contender.objects.filter(codename="orphan").exists()


def test_an_unknown_status_is_refused() -> None:
    make_contender("steady")
    with pytest.raises(CommandError):
        call_command("set_contender_status", "steady", "dancing", stdout=StringIO())
    assert _steps("steady") == []


def test_admin_edits_route_status_changes_through_the_lifecycle(admin_client: Client) -> None:
    contender = make_contender("chocolate", sampling_weight=1.0)
    url = f"/admin/arena/contender/{contender.pk}/change/"
    form = {
        "codename": "chocolate", "status": "paused", "sampling_weight": "2", "backend": "demo",
        "provider_model": "concise", "params": "{}", "public_name": "", "organisation": "",
        "base_url": "", "api_key_env": "", "variant_of": "",
        "transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0",
    }  # fmt: skip

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    changed = Contender.objects.get(pk=contender.pk)
    assert (changed.status, changed.sampling_weight) == (ContenderStatus.PAUSED, 2.0)
    step = ContenderTransition.objects.get(contender=contender)
    assert (step.from_status, step.to_status, step.via) == ("active", "paused", "admin")
    assert step.actor == User.objects.get(username="admin")


def test_admin_retire_action_and_history_on_the_change_page(admin_client: Client) -> None:
    contender = make_contender("chocolate")

    admin_client.post(
        "/admin/arena/contender/",
        {"action": "retire", "_selected_action": [contender.pk]},
    )
    page = admin_client.get(f"/admin/arena/contender/{contender.pk}/change/").content.decode()

    assert Contender.objects.get(pk=contender.pk).status == ContenderStatus.RETIRED
    assert "history (every lifecycle step)" in page.lower()
    assert "retired" in page and "admin" in page
    assert "Test connection" in page


def test_admin_groups_a_vendors_variants(admin_client: Client) -> None:
    base = make_contender("base-model")
    make_contender("base-model-v2", variant_of=base)
    make_contender("unrelated")

    page = admin_client.get("/admin/arena/contender/", {"variants_of": base.pk}).content.decode()

    assert "base-model-v2" in page and ">unrelated<" not in page
    assert "variant group" in page
