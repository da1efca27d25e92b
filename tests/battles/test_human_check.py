"""The human check before a blind battle: off, proof of work, Turnstile and hCaptcha."""

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from arena.errors import Forbidden
from arena.models import Contender
from battles import human_check
from battles.models import Battle
from tests.fakes.captcha_server import SECRET, CaptchaServer
from tests.fixtures.web import VoterClient, identity_strings

pytestmark = pytest.mark.django_db

PROMPT = {"prompt": "Name three rivers."}


@pytest.fixture
def pow_on(settings: Settings) -> None:
    settings.ARENA_HUMAN_CHECK = "pow"
    settings.ARENA_POW_DIFFICULTY = 8  # quick to solve in a test


@pytest.fixture
def captcha_server() -> Iterator[CaptchaServer]:
    server = CaptchaServer().start()
    yield server
    server.stop()


def _solved(voter_client: VoterClient) -> str:
    check = voter_client.get("/api/human-check").json()
    assert check["kind"] == "pow" and check["difficulty"] == 8
    return human_check.solve_pow(check["challenge"], check["difficulty"])


def _create(voter_client: VoterClient, token: str = "") -> Any:
    headers = {"X-CSRFToken": voter_client.csrf_token}
    if token:
        headers[human_check.HEADER] = token
    return voter_client.http.post(
        "/api/battles", data=PROMPT, content_type="application/json", headers=headers
    )


def test_off_needs_nothing(voter_client: VoterClient, secret_contenders: list[Contender]) -> None:
    assert voter_client.get("/api/human-check").json()["kind"] == "off"
    assert _create(voter_client).status_code == 201


def test_proof_of_work_solved_once(
    pow_on: None, voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # without a solution: 403 and no battle
    missing = _create(voter_client)
    assert missing.status_code == 403
    assert missing.json()["detail"] == human_check.MISSING
    assert not Battle.objects.exists()

    token = _solved(voter_client)
    assert _create(voter_client, token).status_code == 201

    # the same solution again is refused
    replay = _create(voter_client, token)
    assert replay.status_code == 403
    assert Battle.objects.count() == 1


def test_proof_of_work_rejects_forgery_and_expiry(pow_on: None, settings: Settings) -> None:
    challenge = human_check.new_challenge(now=1_000_000.0)
    token = human_check.solve_pow(challenge.challenge, challenge.difficulty)
    # expired: the challenge lived ARENA_POW_TTL seconds
    with pytest.raises(Forbidden, match="expired"):
        human_check.require_human(token, now=1_000_000.0 + settings.ARENA_POW_TTL + 1)
    # a lower difficulty written into the challenge breaks the signature
    expires, _, salt, signature = challenge.challenge.split(".")
    forged = human_check.solve_pow(f"{expires}.0.{salt}.{signature}", 0)
    with pytest.raises(Forbidden, match="failed"):
        human_check.require_human(forged, now=1_000_000.0)
    # a wrong nonce
    with pytest.raises(Forbidden, match="failed"):
        human_check.require_human(challenge.challenge + ":x", now=1_000_000.0)
    # and the real one, in time
    human_check.require_human(token, now=1_000_000.0)


def test_the_plain_form_without_javascript_is_told_why(
    pow_on: None, client: Any, secret_contenders: list[Contender]
) -> None:
    response = client.post("/", {"prompt": "Name three rivers."})
    assert response.status_code == 403
    assert "confirm that you are human" in response.content.decode()
    assert "Name three rivers." in response.content.decode()  # the prompt is kept


@pytest.mark.parametrize("kind", ["turnstile", "hcaptcha"])
def test_captcha_token_is_verified_with_the_provider(
    kind: str,
    settings: Settings,
    captcha_server: CaptchaServer,
    voter_client: VoterClient,
    secret_contenders: list[Contender],
) -> None:
    settings.ARENA_HUMAN_CHECK = kind
    settings.ARENA_CAPTCHA_SITE_KEY = "site-key-1"
    settings.ARENA_CAPTCHA_SECRET = SECRET
    settings.ARENA_CAPTCHA_VERIFY_URL = captcha_server.url
    check = voter_client.get("/api/human-check").json()
    assert check == {"kind": kind, "challenge": "", "difficulty": 0, "site_key": "site-key-1"}

    assert _create(voter_client, "pass-123").status_code == 201
    sent = captcha_server.requests[-1]
    assert sent["secret"] == SECRET and sent["response"] == "pass-123"
    assert sent["remoteip"] == "127.0.0.1"

    refused = _create(voter_client, "nope")
    assert refused.status_code == 403
    assert refused.json()["detail"] == human_check.FAILED

    captcha_server.down = True
    down = _create(voter_client, "pass-456")
    assert down.status_code == 503
    assert down.json()["detail"] == human_check.UNAVAILABLE
    assert Battle.objects.count() == 1


def test_captcha_endpoint_unreachable_is_a_clear_error(
    settings: Settings, voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    settings.ARENA_HUMAN_CHECK = "turnstile"
    settings.ARENA_CAPTCHA_VERIFY_URL = "http://127.0.0.1:9/siteverify"  # nothing listens
    response = _create(voter_client, "pass")
    assert response.status_code == 503
    assert response.json()["detail"] == human_check.UNAVAILABLE


def test_the_widget_form_field_works_without_the_header(
    settings: Settings,
    captcha_server: CaptchaServer,
    client: Any,
    secret_contenders: list[Contender],
) -> None:
    settings.ARENA_HUMAN_CHECK = "turnstile"
    settings.ARENA_CAPTCHA_SECRET = SECRET
    settings.ARENA_CAPTCHA_VERIFY_URL = captcha_server.url
    page = client.get("/").content.decode()
    assert 'class="cf-turnstile"' in page
    response = client.post("/", {"prompt": "Hi", "cf-turnstile-response": "pass-form"})
    assert response.status_code == 302


def test_refusals_reveal_nothing_about_the_models(
    pow_on: None, voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    bodies = [
        voter_client.get("/api/human-check").content,
        _create(voter_client).content,
        _create(voter_client, "garbage:1").content,
    ]
    for body in bodies:
        text = body.decode().lower()
        for identity in identity_strings(secret_contenders):
            assert identity.lower() not in text
