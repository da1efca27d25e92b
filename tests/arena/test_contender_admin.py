"""The Contender admin: list, filters, search, actions; a key never shows."""

import pytest
from django.test import Client

from arena.models import Contender

SECRET = "sk-admin-test-secret-0123456789"


@pytest.fixture
def contenders(db: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Contender]:
    monkeypatch.setenv("CHOCOLATE_API_KEY", SECRET)
    return {
        "chocolate": Contender.objects.create(
            codename="chocolate",
            backend="openai",
            provider_model="gpt-x",
            base_url="http://127.0.0.1:9/v1",
            api_key_env="CHOCOLATE_API_KEY",
            public_name="Hazelnut Large",
        ),
        "mango": Contender.objects.create(codename="mango", backend="demo"),
        "kiwi": Contender.objects.create(
            codename="kiwi", backend="demo", status="outage", consecutive_failures=7
        ),
    }


URL = "/admin/arena/contender/"


def test_list_shows_contenders_and_the_key_variable_name_only(
    admin_client: Client, contenders: dict[str, Contender]
) -> None:
    listing = admin_client.get(URL).content.decode()
    change = admin_client.get(f"{URL}{contenders['chocolate'].pk}/change/").content.decode()

    assert all(codename in listing for codename in contenders)
    assert "CHOCOLATE_API_KEY" in change
    assert SECRET not in listing and SECRET not in change


def test_filters_and_search(admin_client: Client, contenders: dict[str, Contender]) -> None:
    outage = admin_client.get(URL, {"status__exact": "outage"}).content.decode()
    searched = admin_client.get(URL, {"q": "Hazelnut"}).context["cl"].result_list
    unrevealed = admin_client.get(URL, {"revealed": "no"}).context["cl"].result_list

    assert "kiwi" in outage and "mango" not in outage
    assert [c.codename for c in searched] == ["chocolate"]
    assert {c.codename for c in unrevealed} == {"chocolate", "kiwi", "mango"}


def test_reveal_action_reveals_those_with_a_public_name(
    admin_client: Client, contenders: dict[str, Contender]
) -> None:
    ids = [contenders["chocolate"].pk, contenders["mango"].pk]
    response = admin_client.post(URL, {"action": "reveal", "_selected_action": ids}, follow=True)

    assert response.status_code == 200
    assert Contender.objects.get(codename="chocolate").is_revealed
    assert not Contender.objects.get(codename="mango").is_revealed
    assert "set a public name first" in response.content.decode()


def test_pause_and_resume_actions(admin_client: Client, contenders: dict[str, Contender]) -> None:
    admin_client.post(URL, {"action": "pause", "_selected_action": [contenders["mango"].pk]})
    assert Contender.objects.get(codename="mango").status == "paused"

    ids = [contenders["mango"].pk, contenders["kiwi"].pk]
    admin_client.post(URL, {"action": "resume", "_selected_action": ids})

    kiwi = Contender.objects.get(codename="kiwi")
    assert Contender.objects.get(codename="mango").status == "active"
    assert (kiwi.status, kiwi.consecutive_failures) == ("active", 0)


def test_editing_refuses_a_pasted_key(
    admin_client: Client, contenders: dict[str, Contender]
) -> None:
    mango = contenders["mango"]
    response = admin_client.post(
        f"{URL}{mango.pk}/change/",
        {
            "codename": "mango", "status": "active", "sampling_weight": "1",
            "public_name": "", "organisation": "", "backend": "demo", "base_url": "",
            "provider_model": "", "api_key_env": SECRET, "params": "{}",
        },
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert "looks like an API key" in response.content.decode()
    mango.refresh_from_db()
    assert mango.api_key_env == ""


def test_reset_breaker_action_puts_an_outage_back_with_a_clean_count(
    admin_client: Client, contenders: dict[str, Contender]
) -> None:
    kiwi = contenders["kiwi"]
    admin_client.post(URL, {"action": "reset_breaker", "_selected_action": [kiwi.pk]})

    kiwi.refresh_from_db()
    assert (kiwi.status, kiwi.consecutive_failures) == ("active", 0)
