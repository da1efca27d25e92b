"""GET /api/session starts an anonymous session and hands out the CSRF token."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_session_sets_cookies_and_returns_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.get("/api/session")

    assert response.status_code == 200
    token = response.json()["csrf_token"]
    assert token
    assert response.cookies["csrftoken"].value
    assert response.cookies["sessionid"].value
    assert client.session["arena_voter"]


@pytest.mark.django_db
def test_voter_id_is_stable_within_a_session_and_differs_between_sessions() -> None:
    first, second = Client(), Client()

    first.get("/api/session")
    voter = first.session["arena_voter"]
    first.get("/api/session")

    assert first.session["arena_voter"] == voter
    second.get("/api/session")
    assert second.session["arena_voter"] != voter


@pytest.mark.django_db
def test_session_is_documented_in_the_openapi_schema() -> None:
    schema = Client().get("/api/openapi.json").json()

    for path in (
        "/api/session",
        "/api/battles",
        "/api/battles/{battle_id}",
        "/api/battles/{battle_id}/events",
        "/api/battles/{battle_id}/turns",
        "/api/battles/{battle_id}/vote",
    ):
        assert path in schema["paths"], path
