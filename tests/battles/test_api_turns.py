"""POST /api/battles/{id}/turns: follow-up prompts to both sides."""

import uuid

import pytest

from arena.models import Contender
from battles.models import Completion, Turn
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def test_follow_up_after_both_answers_adds_a_turn(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = voter_client.post("/api/battles", {"prompt": "Name a prime"}).json()
    generate(battle["id"])

    response = voter_client.post(f"/api/battles/{battle['id']}/turns", {"prompt": "And another?"})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "generating"
    assert [t["prompt"] for t in body["turns"]] == ["Name a prime", "And another?"]
    assert body["turns"][0]["a"]["status"] == "done"
    assert body["turns"][1]["a"]["status"] == "pending"
    generate(battle["id"])
    after = voter_client.get(f"/api/battles/{battle['id']}").json()
    assert after["status"] == "ready"
    assert all(after["turns"][1][side]["text"] for side in ("a", "b"))
    # Each side continued its own conversation (same contender as in turn one).
    for side in ("a", "b"):
        first, second = Completion.objects.filter(turn__battle_id=battle["id"], side=side)
        assert first.contender_id == second.contender_id


def test_follow_up_while_answers_are_pending_is_a_409(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = voter_client.post("/api/battles", {"prompt": "Name a prime"}).json()

    response = voter_client.post(f"/api/battles/{battle['id']}/turns", {"prompt": "more"})

    assert response.status_code == 409
    assert response.json()["detail"]
    assert Turn.objects.filter(battle_id=battle["id"]).count() == 1


def test_follow_up_after_the_vote_is_a_409(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = voter_client.post("/api/battles", {"prompt": "Name a prime"}).json()
    generate(battle["id"])
    assert (
        voter_client.post(f"/api/battles/{battle['id']}/vote", {"outcome": "tie"}).status_code
        == 200
    )

    response = voter_client.post(f"/api/battles/{battle['id']}/turns", {"prompt": "more"})

    assert response.status_code == 409


def test_follow_up_checks_csrf_owner_prompt_and_existence(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = voter_client.post("/api/battles", {"prompt": "Name a prime"}).json()
    url = f"/api/battles/{battle['id']}/turns"
    stranger = VoterClient()
    stranger.start_session()

    assert voter_client.post(url, {"prompt": "more"}, csrf=False).status_code == 403
    assert stranger.post(url, {"prompt": "more"}).status_code == 403
    assert voter_client.post(url, {"prompt": ""}).status_code == 400
    assert voter_client.post(url, {}).status_code == 400
    missing = voter_client.post(f"/api/battles/{uuid.uuid4()}/turns", {"prompt": "more"})
    assert missing.status_code == 404
    assert Turn.objects.filter(battle_id=battle["id"]).count() == 1
