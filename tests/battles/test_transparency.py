"""The transparency report's numbers: battle shares, private variants, retirements."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from arena import lifecycle
from arena.models import Contender, ContenderStatus
from battles.models import Battle
from battles.transparency import transparency_report
from tests.factories import make_contender

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _revealed(codename: str, organisation: str, **fields: object) -> Contender:
    return make_contender(
        codename, revealed=True, organisation=organisation, **fields  # type: ignore[arg-type]
    )


def _battles(a: Contender, b: Contender, n: int, *, days_ago: float = 1) -> None:
    at = NOW - timedelta(days=days_ago)
    Battle.objects.bulk_create(
        Battle(voter="v", contender_a=a, contender_b=b, created_at=at) for _ in range(n)
    )


def _retired_private(codename: str, organisation: str, days_ago: float, **fields: object) -> None:
    make_contender(
        codename, organisation=organisation, status=ContenderStatus.RETIRED,
        retired_at=NOW - timedelta(days=days_ago), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def arena() -> dict[str, Contender]:
    alpha = _revealed("alpha", "Acme")
    beta = _revealed("beta", "Acme")
    gamma = _revealed("gamma", "Globex")
    blind = make_contender("blind", organisation="Globex")
    _battles(alpha, gamma, 6)
    _battles(beta, blind, 4)
    _battles(alpha, beta, 10, days_ago=40)  # outside the 30 days
    # Acme tested two variants of alpha long ago, and one last week (too recent to count).
    _retired_private("alpha-v1", "Acme", 60, variant_of=alpha)
    _retired_private("alpha-v2", "Acme", 45, variant_of=alpha)
    _retired_private("alpha-v3", "Acme", 7, variant_of=alpha)
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "blind": blind}


def test_battle_shares_over_the_last_30_days(arena: dict[str, Contender]) -> None:
    shares = transparency_report(NOW)["shares"]

    assert shares["battles"] == 10
    by_model = {s.name: (s.appearances, s.share) for s in shares["models"]}
    assert by_model == {"Alpha": (6, 0.3), "Gamma": (6, 0.3), "Beta": (4, 0.2)}
    by_org = {s.name: (s.appearances, s.share) for s in shares["organisations"]}
    # The blind contender's battles are not Globex's: they are one anonymous total.
    assert by_org == {"Acme": (10, 0.5), "Globex": (6, 0.3)}
    assert (shares["blind_appearances"], shares["blind_share"]) == (4, 0.2)


def test_private_variants_count_only_finished_tests_after_the_delay(
    arena: dict[str, Contender],
) -> None:
    report = transparency_report(NOW)

    assert report["organisations"] == [
        {"organisation": "Acme", "revealed": 2, "private": 2},
        {"organisation": "Globex", "revealed": 1, "private": 0},
    ]
    assert report["variants"] == [{"name": "Alpha", "organisation": "Acme", "private": 2}]
    assert report["private"] == {"blind_now": 1, "finished_private": 2}
    with override_settings(ARENA_TRANSPARENCY_DELAY_DAYS=0):
        assert transparency_report(NOW)["private"]["finished_private"] == 3


def test_an_organisation_with_only_a_running_blind_test_is_not_listed() -> None:
    make_contender("stealth", organisation="Initech")

    report = transparency_report(NOW)

    assert report["organisations"] == []
    assert report["private"] == {"blind_now": 1, "finished_private": 0}


def test_retirements_are_listed_with_their_dates(arena: dict[str, Contender]) -> None:
    lifecycle.change_status(arena["gamma"], ContenderStatus.RETIRED)
    lifecycle.change_status(arena["blind"], ContenderStatus.RETIRED)

    retired = transparency_report()["retirements"]

    assert [(r["name"], r["organisation"]) for r in retired] == [("Gamma", "Globex")]
    assert retired[0]["retired_at"] is not None


@override_settings(ARENA_SAMPLING="active", ARENA_SEPARATE_UNREVEALED=True)
def test_the_page_states_the_policy_and_the_counts(
    client: Client, arena: dict[str, Contender]
) -> None:
    page = client.get("/transparency/").content.decode()

    assert "active sampling" in page
    assert "Two unrevealed models never meet" in page
    assert "1 model in blind testing now; 2 private variants tested and never revealed" in page
    assert "alpha-v" not in page and ">blind<" not in page


def test_the_page_reuses_its_report_for_a_while(client: Client) -> None:
    make_contender("first", revealed=True, organisation="Acme")
    client.get("/transparency/")
    make_contender("second", revealed=True, organisation="Acme")

    cached = client.get("/transparency/").content.decode()
    with override_settings(ARENA_TRANSPARENCY_CACHE=0):
        cache.clear()
        fresh = client.get("/transparency/").content.decode()

    assert "<td>1</td>" in cached.split('id="org-tests"')[1]
    assert "<td>2</td>" in fresh.split('id="org-tests"')[1]
