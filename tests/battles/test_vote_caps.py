"""The daily vote caps per voter and per IP: a clear 429, and the refused vote loses nothing."""

import pytest
from pytest_django.fixtures import Settings

from arena.models import Contender
from battles.models import Battle, Vote
from battles.screening import VOTE_CAP_MESSAGE, check_vote_caps
from tests.fixtures.web import VoterClient, generate, identity_strings

pytestmark = pytest.mark.django_db


def _ready_battle(client: VoterClient) -> str:
    battle_id = str(client.post("/api/battles", {"prompt": "Say hi"}).json()["id"])
    generate(battle_id)
    return battle_id


def test_a_voter_over_the_daily_cap_gets_a_429_and_can_vote_later(
    settings: Settings, voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    settings.ARENA_VOTES_PER_DAY_PER_VOTER = 2
    battles = [_ready_battle(voter_client) for _ in range(3)]
    for battle_id in battles[:2]:
        assert (
            voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"}).status_code == 200
        )

    refused = voter_client.post(f"/api/battles/{battles[2]}/vote", {"outcome": "b"})

    assert refused.status_code == 429
    assert refused.json() == {"detail": VOTE_CAP_MESSAGE}
    text = refused.content.decode().lower()
    assert not any(s.lower() in text for s in identity_strings(secret_contenders))
    # nothing was written: the battle still waits for its vote
    assert Battle.objects.get(pk=battles[2]).status == "ready"
    assert Vote.objects.count() == 2
    settings.ARENA_VOTES_PER_DAY_PER_VOTER = 10
    assert voter_client.post(f"/api/battles/{battles[2]}/vote", {"outcome": "b"}).status_code == 200


def test_the_ip_cap_covers_every_session_on_the_address(
    settings: Settings, secret_contenders: list[Contender]
) -> None:
    settings.ARENA_VOTES_PER_DAY_PER_IP = 1
    first, second = VoterClient(), VoterClient()
    for client in (first, second):
        client.start_session()
    one, two = _ready_battle(first), _ready_battle(second)
    assert first.post(f"/api/battles/{one}/vote", {"outcome": "tie"}).status_code == 200
    refused = second.post(f"/api/battles/{two}/vote", {"outcome": "tie"})
    assert refused.status_code == 429
    assert refused.json()["detail"] == VOTE_CAP_MESSAGE


def test_the_vote_form_shows_the_cap_message(
    settings: Settings, voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    settings.ARENA_VOTES_PER_DAY_PER_VOTER = 0
    battle_id = _ready_battle(voter_client)
    response = voter_client.http.post(
        f"/battles/{battle_id}/vote/",
        {"outcome": "a", "csrfmiddlewaretoken": voter_client.csrf_token},
    )
    assert response.status_code == 429
    assert "come back tomorrow" in response.content.decode()


def test_votes_are_not_refused_while_redis_is_down(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A vote needs PostgreSQL only; nothing listens on port 1.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.ARENA_VOTES_PER_DAY_PER_VOTER = 0

    check_vote_caps(voter="v", ip_hash="h")

    assert "vote caps not counted" in caplog.text
