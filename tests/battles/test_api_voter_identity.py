"""Who a battle belongs to: the session's voter id and a salted hash of the client IP."""

import hashlib
import hmac

import pytest
from django.test import override_settings

from arena.models import Contender
from battles.models import Battle
from tests.fixtures.web import VoterClient

pytestmark = pytest.mark.django_db


def _expected_hash(ip: str, salt: str) -> str:
    return hmac.new(salt.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _create(client: VoterClient, **headers: str) -> Battle:
    response = client.http.post(
        "/api/battles",
        data={"prompt": "hi"},
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token, **headers},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 201, response.content
    return Battle.objects.get(id=response.json()["id"])


@override_settings(ARENA_IP_SALT="pepper")
def test_battle_keeps_the_session_voter_and_a_salted_ip_hash(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = _create(voter_client)

    assert battle.voter == voter_client.voter
    assert battle.ip_hash == _expected_hash("10.1.2.3", "pepper")
    assert battle.ip_hash != hashlib.sha256(b"10.1.2.3").hexdigest()  # salted, not guessable


@override_settings(ARENA_IP_SALT="pepper", ARENA_TRUST_X_FORWARDED_FOR=False)
def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle = _create(voter_client, **{"X-Forwarded-For": "203.0.113.9"})

    assert battle.ip_hash == _expected_hash("10.1.2.3", "pepper")


@override_settings(ARENA_IP_SALT="pepper", ARENA_TRUST_X_FORWARDED_FOR=True)
def test_trusted_proxy_forwarded_for_gives_the_address_the_proxy_saw(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # The client forged the first entry; the trusted proxy appended the real one.
    battle = _create(voter_client, **{"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})

    assert battle.ip_hash == _expected_hash("203.0.113.9", "pepper")
