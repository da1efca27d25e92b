"""POST /api/battles and GET /api/battles/{id}."""

import uuid

import pytest
from django.test import override_settings

from arena.models import Contender
from battles.models import Battle, Completion
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def test_create_returns_the_new_battle(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    response = voter_client.post("/api/battles", {"prompt": "Explain recursion"})

    assert response.status_code == 201
    body = response.json()
    battle = Battle.objects.get(id=body["id"])
    assert battle.voter == voter_client.voter
    assert body["status"] == "generating"
    assert body["reveal"] is None
    assert [t["prompt"] for t in body["turns"]] == ["Explain recursion"]
    for side in ("a", "b"):
        assert body["turns"][0][side] == {"text": "", "html": "", "status": "pending", "error": ""}


def test_create_stores_a_hash_of_the_ip_not_the_ip(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    response = voter_client.post("/api/battles", {"prompt": "hello there"})

    battle = Battle.objects.get(id=response.json()["id"])
    assert len(battle.ip_hash) == 64 and "127.0.0.1" not in battle.ip_hash


def test_create_without_csrf_token_is_refused(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    response = voter_client.post("/api/battles", {"prompt": "hello"}, csrf=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Battle.objects.exists()


@pytest.mark.parametrize(
    ("origin", "status"), [("https://evil.example", 403), ("http://testserver", 201)]
)
def test_a_write_from_another_site_is_refused_even_with_the_token(
    voter_client: VoterClient, secret_contenders: list[Contender], origin: str, status: int
) -> None:
    # The check is done by one middleware instance for every request: the same answer
    # again and again, whatever came before.
    for _ in range(2):
        response = voter_client.http.post(
            "/api/battles",
            data='{"prompt": "hello"}',
            content_type="application/json",
            headers={"X-CSRFToken": voter_client.csrf_token, "Origin": origin},
        )
        assert response.status_code == status, response.content
        if status == 403:
            assert "CSRF" in response.json()["detail"]
    assert Battle.objects.count() == (2 if status == 201 else 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "prompt: Field required"),
        ({"prompt": 5}, "prompt: Input should be a valid string"),
        ("{not json", "Cannot parse request body"),
    ],
)
def test_malformed_body_is_a_readable_400(
    voter_client: VoterClient, secret_contenders: list[Contender], body: object, message: str
) -> None:
    response = voter_client.post("/api/battles", body)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_empty_prompt_is_a_400(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    response = voter_client.post("/api/battles", {"prompt": "   "})

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Battle.objects.exists()


@override_settings(ARENA_MAX_PROMPT_CHARS=20)
def test_too_long_prompt_is_a_400(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    response = voter_client.post("/api/battles", {"prompt": "x" * 21})

    assert response.status_code == 400
    assert "20" in response.json()["detail"]


@override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=1)
def test_rate_limit_is_a_429(voter_client: VoterClient, secret_contenders: list[Contender]) -> None:
    assert voter_client.post("/api/battles", {"prompt": "first"}).status_code == 201

    response = voter_client.post("/api/battles", {"prompt": "second"})

    assert response.status_code == 429
    assert response.json()["detail"]


def test_no_contenders_is_a_503(voter_client: VoterClient) -> None:
    response = voter_client.post("/api/battles", {"prompt": "anyone there?"})

    assert response.status_code == 503
    assert response.json()["detail"]


def test_get_own_battle(voter_client: VoterClient, secret_contenders: list[Contender]) -> None:
    created = voter_client.post("/api/battles", {"prompt": "hi"}).json()

    response = voter_client.get(f"/api/battles/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_someone_elses_battle_is_forbidden(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    created = voter_client.post("/api/battles", {"prompt": "mine"}).json()
    stranger = VoterClient()
    stranger.start_session()

    response = stranger.get(f"/api/battles/{created['id']}")

    assert response.status_code == 403
    assert response.json()["detail"]


def test_unknown_battle_is_a_404(voter_client: VoterClient) -> None:
    response = voter_client.get(f"/api/battles/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_malformed_battle_id_is_a_400(voter_client: VoterClient) -> None:
    response = voter_client.get("/api/battles/not-a-uuid")

    assert response.status_code == 400
    assert "battle_id" in response.json()["detail"]


def test_finished_battle_shows_final_text_and_sanitised_html(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    created = voter_client.post("/api/battles", {"prompt": "Explain recursion"}).json()
    generate(created["id"])

    body = voter_client.get(f"/api/battles/{created['id']}").json()

    assert body["status"] == "ready"
    for side in ("a", "b"):
        completion = Completion.objects.get(turn__battle_id=created["id"], side=side)
        shown = body["turns"][0][side]
        assert shown["status"] == "done"
        assert shown["text"] == completion.text and completion.text
        assert shown["html"].startswith("<") and "<script" not in shown["html"]
        assert shown["error"] == ""
