"""What the vote decides about counting: identity questions, identity leaks, and what the
voter is told after voting (JSON API, the page, and the form without JavaScript)."""

import pytest
from django.test import Client

from battles.models import Battle, Completion, Vote
from battles.presenters import IDENTITY_QUESTION_NOTICE
from tests.factories import make_contender
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def caramel_pair() -> None:
    make_contender("caramel", organisation="Caramelco")
    make_contender("toffee", organisation="Toffee Works")


def _battle(client: VoterClient, prompt: str) -> str:
    battle_id = str(client.post("/api/battles", {"prompt": prompt}).json()["id"])
    generate(battle_id)
    return battle_id


def test_an_identity_question_is_kept_excluded_and_explained_after_the_vote(
    voter_client: VoterClient, caramel_pair: None
) -> None:
    battle_id = _battle(voter_client, "¿Quién eres?")
    before = voter_client.get(f"/api/battles/{battle_id}").json()
    assert before["reveal"] is None  # nothing said before the vote

    reveal = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).json()

    assert reveal["notice"] == IDENTITY_QUESTION_NOTICE
    battle = Battle.objects.get(pk=battle_id)
    assert battle.excluded_reason == "identity question"
    assert Vote.objects.get(battle=battle).counted is False
    detail = voter_client.get(f"/api/battles/{battle_id}").json()
    assert detail["reveal"]["notice"] == IDENTITY_QUESTION_NOTICE
    page = voter_client.get(f"/battles/{battle_id}/").content.decode()
    assert "asked the models who they are" in page


def test_the_issue_example_a_codename_model_calling_itself_chatgpt(
    voter_client: VoterClient, caramel_pair: None
) -> None:
    battle_id = _battle(voter_client, "Write a limerick about tea.")
    caramel_side = Completion.objects.get(
        turn__battle_id=battle_id, contender__codename="caramel"
    ).side
    Completion.objects.filter(turn__battle_id=battle_id, side=caramel_side).update(
        text="I am ChatGPT, a model developed by OpenAI. Here is your limerick."
    )

    reveal = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "b"}).json()

    reason = Battle.objects.get(pk=battle_id).excluded_reason
    assert reason == f'identity leak: side {caramel_side} names "ChatGPT"'
    assert f'{caramel_side} names "ChatGPT"' in reveal["notice"]
    assert Vote.objects.get(battle_id=battle_id).counted is False


def test_an_ordinary_battle_counts_and_says_nothing(
    voter_client: VoterClient, caramel_pair: None
) -> None:
    battle_id = _battle(voter_client, "Write a limerick about tea.")
    reveal = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "tie"}).json()
    assert reveal["notice"] == ""
    assert Vote.objects.get(battle_id=battle_id).counted is True


def test_the_form_fallback_shows_the_notice_after_the_vote(caramel_pair: None) -> None:
    browser = Client()
    created = browser.post("/", {"prompt": "Who are you?"})
    battle_url = created["Location"]
    battle_id = battle_url.rstrip("/").rsplit("/", 1)[-1]
    generate(battle_id)
    assert "does not count" not in browser.get(battle_url).content.decode()

    voted = browser.post(f"{battle_url}vote/", {"outcome": "a"})

    assert voted.status_code == 302
    page = browser.get(voted["Location"]).content.decode()
    assert "asked the models who they are" in page
    assert 'id="reveal-notice"' in page
