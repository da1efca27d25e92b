"""POST /api/battles/{id}/vote: once, by the battle's own voter, after both answers."""

import uuid

import pytest
from django.utils import timezone

from arena.models import Contender
from battles.models import Battle, Completion, Vote
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def test_vote_reveals_both_sides(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    revealed = secret_contenders[0]
    revealed.revealed_at = timezone.now()
    revealed.save()
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    generate(battle_id)

    response = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})

    assert response.status_code == 200
    battle = Battle.objects.get(id=battle_id)
    expected = {
        side: (
            {"name": "Quibblefrost Ultra", "revealed": True}
            if battle.contender(side) == revealed
            else {"name": "marzipan-yak", "revealed": False}
        )
        for side in ("a", "b")
    }
    assert response.json() == {**expected, "notice": ""}
    assert battle.status == "voted"
    assert Vote.objects.get(battle=battle).outcome == "a"
    detail = voter_client.get(f"/api/battles/{battle_id}").json()
    assert detail["status"] == "voted"
    assert detail["reveal"] == {**expected, "notice": "", "outcome": "a"}


def test_reasoning_traces_come_with_the_voted_battle_only(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    generate(battle_id)
    voter_client.post(f"/api/battles/{battle_id}/turns", {"prompt": "And again"})
    generate(battle_id)
    Completion.objects.filter(turn__battle_id=battle_id, side="b").update(reasoning="Hmm.")
    Completion.objects.filter(turn__battle_id=battle_id, turn__index=1, side="a").update(
        reasoning="Second thoughts."
    )

    before = voter_client.get(f"/api/battles/{battle_id}").json()
    voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})
    after = voter_client.get(f"/api/battles/{battle_id}").json()

    assert [turn["reasoning"] for turn in before["turns"]] == [None, None]
    assert [turn["reasoning"] for turn in after["turns"]] == [
        {"a": "", "b": "Hmm."},
        {"a": "Second thoughts.", "b": "Hmm."},
    ]


def test_second_vote_is_a_409_and_keeps_the_first(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    generate(battle_id)
    assert voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "b"}).status_code == 200

    response = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})

    assert response.status_code == 409
    assert response.json()["detail"]
    assert Vote.objects.get(battle_id=battle_id).outcome == "b"


def test_vote_before_the_answers_finish_is_a_409(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]

    response = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "tie"})

    assert response.status_code == 409
    assert response.json()["detail"]
    assert not Vote.objects.exists()


def test_vote_checks_outcome_csrf_owner_and_existence(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    url = f"/api/battles/{battle_id}/vote"
    stranger = VoterClient()
    stranger.start_session()

    invalid = voter_client.post(url, {"outcome": "both"})
    assert invalid.status_code == 400
    assert "outcome" in invalid.json()["detail"]
    assert voter_client.post(url, {"outcome": "a"}, csrf=False).status_code == 403
    assert stranger.post(url, {"outcome": "a"}).status_code == 403
    missing = voter_client.post(f"/api/battles/{uuid.uuid4()}/vote", {"outcome": "a"})
    assert missing.status_code == 404
    assert not Vote.objects.exists()


def test_vote_on_a_failed_battle_is_a_409(
    voter_client: VoterClient,
    openai_server: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", "sk-test")
    for codename, model in (("broken-one", "http400"), ("broken-two", "http400-x")):
        Contender.objects.create(
            codename=codename,
            backend="openai",
            base_url=openai_server.base_url,  # type: ignore[attr-defined]
            provider_model=model,
            api_key_env="FAKE_PROVIDER_KEY",
        )
    battle_id = voter_client.post("/api/battles", {"prompt": "Say hi"}).json()["id"]
    generate(battle_id)
    assert voter_client.get(f"/api/battles/{battle_id}").json()["status"] == "failed"

    response = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})

    assert response.status_code == 409
    assert not Vote.objects.exists()
