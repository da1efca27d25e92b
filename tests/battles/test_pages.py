"""The server-rendered pages and their plain-form fallbacks (JavaScript off)."""

import re
import uuid

import pytest
from django.test import Client

from arena.models import Contender
from battles.models import Battle, Completion, Turn, Vote
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def _page_client() -> tuple[Client, str]:
    """A browser with its session and the CSRF token from the home page's form."""
    client = Client(enforce_csrf_checks=True)
    html = client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    return client, token.group(1)


def _start(client: Client, token: str, prompt: str = "Compare owls and hawks") -> str:
    response = client.post("/", {"prompt": prompt, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content
    match = re.fullmatch(r"/battles/([0-9a-f-]{36})/", response["Location"])
    assert match
    return match.group(1)


def test_home_explains_the_protocol_and_has_the_prompt_box() -> None:
    response = Client().get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<textarea id="prompt" name="prompt"' in html
    assert "revealed" in html and "anonymous" in html
    assert 'href="/leaderboard/"' in html
    assert "/static/arena.js" in html and "/static/arena.css" in html


def test_static_files_are_served() -> None:
    client = Client()
    script = client.get("/static/arena.js")
    assert script.status_code == 200
    assert b"EventSource" in b"".join(script)
    assert client.get("/static/arena.css").status_code == 200


def test_form_fallback_starts_a_battle_and_redirects(secret_contenders: list[Contender]) -> None:
    client, token = _page_client()

    battle_id = _start(client, token)

    assert Battle.objects.get(id=battle_id).turns.get().prompt == "Compare owls and hawks"
    page = client.get(f"/battles/{battle_id}/").content.decode()
    assert "Compare owls and hawks" in page


def test_form_fallback_keeps_the_prompt_on_error(secret_contenders: list[Contender]) -> None:
    client, token = _page_client()

    response = client.post("/", {"prompt": "   ", "csrfmiddlewaretoken": token})

    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(r'<p id="form-error"[^>]*>([^<]*)</p>', html)
    assert error and "hidden" not in error.group(0) and error.group(1).strip()
    assert not Battle.objects.exists()


def test_form_fallback_without_csrf_is_refused(secret_contenders: list[Contender]) -> None:
    client, _ = _page_client()

    assert client.post("/", {"prompt": "hi"}).status_code == 403
    assert not Battle.objects.exists()


def test_battle_page_has_two_anonymous_columns_and_disabled_votes_while_generating(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)

    html = client.get(f"/battles/{battle_id}/").content.decode()

    assert "Model A" in html and "Model B" in html
    assert 'data-side="a"' in html and 'data-side="b"' in html
    assert 'data-status="generating"' in html
    for value in ("a", "b", "tie", "bothbad"):
        button = re.search(rf'<button type="submit" name="outcome" value="{value}"[^>]*>', html)
        assert button and "disabled" in button.group(0)
    for label in ("A is better", "B is better", "Tie", "Both are bad"):
        assert label in html


def test_finished_battle_page_shows_rendered_answers_and_enabled_votes(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)

    html = client.get(f"/battles/{battle_id}/").content.decode()

    assert 'data-status="ready"' in html
    assert html.count('class="answer-body markdown"') == 2
    button = re.search(r'<button type="submit" name="outcome" value="a"[^>]*>', html)
    assert button and "disabled" not in button.group(0)


def test_vote_fallback_reveals_the_names(secret_contenders: list[Contender]) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)

    response = client.post(
        f"/battles/{battle_id}/vote/", {"outcome": "bothbad", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert Vote.objects.get(battle_id=battle_id).outcome == "bothbad"
    html = client.get(f"/battles/{battle_id}/").content.decode()
    assert "zanzibar-owl" in html and "marzipan-yak" in html
    assert html.count("codename — not yet revealed") == 2
    assert 'href="/">New battle</a>' in html


def test_reasoning_traces_show_collapsed_and_escaped_only_after_the_vote(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)
    trace = "I am <b>Quibblefrost</b> & I think first."
    Completion.objects.filter(turn__battle_id=battle_id, side="a").update(reasoning=trace)

    before = client.get(f"/battles/{battle_id}/").content.decode()
    client.post(f"/battles/{battle_id}/vote/", {"outcome": "a", "csrfmiddlewaretoken": token})
    after = client.get(f"/battles/{battle_id}/").content.decode()

    assert "Quibblefrost" not in before and "<details" not in before
    # One trace (side b did not reason), closed until opened, as text and not as markup.
    details = re.findall(r"<details[^>]*>", after)
    assert details == ['<details class="trace">']
    assert "I am &lt;b&gt;Quibblefrost&lt;/b&gt; &amp; I think first." in after
    side_a = after.split('data-side="a"', 1)[1].split('data-side="b"', 1)[0]
    assert '<details class="trace">' in side_a


def test_vote_fallback_before_the_answers_is_refused_on_the_page(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)

    response = client.post(
        f"/battles/{battle_id}/vote/", {"outcome": "a", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 409
    assert "Wait until both answers have finished." in response.content.decode()
    assert not Vote.objects.exists()


def test_follow_up_fallback_adds_a_turn_or_keeps_the_prompt(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    url = f"/battles/{battle_id}/turns/"

    early = client.post(url, {"prompt": "And eagles?", "csrfmiddlewaretoken": token})
    assert early.status_code == 409
    assert "And eagles?</textarea>" in early.content.decode()
    generate(battle_id)
    response = client.post(url, {"prompt": "And eagles?", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert list(Turn.objects.filter(battle_id=battle_id).values_list("prompt", flat=True)) == [
        "Compare owls and hawks",
        "And eagles?",
    ]


def test_someone_elses_or_a_missing_battle_page(secret_contenders: list[Contender]) -> None:
    owner = VoterClient()
    owner.start_session()
    battle_id = owner.post("/api/battles", {"prompt": "mine"}).json()["id"]

    assert Client().get(f"/battles/{battle_id}/").status_code == 403
    missing = Client().get(f"/battles/{uuid.uuid4()}/")
    assert missing.status_code == 404
    assert "New battle" in missing.content.decode()


def test_failed_battle_page_offers_a_new_battle(
    openai_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    for codename in ("broken-one", "broken-two"):
        Contender.objects.create(
            codename=codename,
            backend="openai",
            base_url=openai_server.base_url,  # type: ignore[attr-defined]
            provider_model="http400",
        )
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)

    html = client.get(f"/battles/{battle_id}/").content.decode()

    assert 'data-status="failed"' in html
    assert '<section id="failed" class="panel notice" >' in html
    assert "This answer could not be generated." in html
    assert '<form id="vote-form" class="panel vote" method="post" action="vote/" hidden>' in html
