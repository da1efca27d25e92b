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
    script = client.get("/static/battle.js")
    assert script.status_code == 200
    assert b"EventSource" in b"".join(script)
    for path in ("arena.js", "answers.js", "arena.css", "pygments.css"):
        assert client.get(f"/static/{path}").status_code == 200, path


def test_katex_is_served_locally_from_its_npm_package() -> None:
    client = Client()

    script = client.get("/static/katex/katex.min.js")
    css = client.get("/static/katex/katex.min.css")

    assert script.status_code == 200 and css.status_code == 200, "run: npm ci"
    assert b"katex" in b"".join(script)
    font = re.search(rb"url\((fonts/[^)]+\.woff2)\)", b"".join(css))
    assert font and client.get(f"/static/katex/{font.group(1).decode()}").status_code == 200


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
    assert '<section id="battle-over" class="panel notice battle-over" data-state="failed">' in html
    assert "One of the answers could not be generated" in html
    assert "This answer could not be generated." in html
    assert (
        '<form id="vote-form" class="panel vote vote-bar" method="post" action="vote/" hidden>'
        in html
    )


def _vote_button(html: str, value: str) -> str:
    button = re.search(rf'<button type="submit" name="outcome" value="{value}"[^>]*>', html)
    assert button
    return button.group(0)


def test_generating_page_refreshes_itself_without_javascript(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)

    generating = client.get(f"/battles/{battle_id}/").content.decode()
    generate(battle_id)
    ready = client.get(f"/battles/{battle_id}/").content.decode()

    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in generating
    assert 'aria-busy="true"' in generating and 'aria-busy="false"' not in generating
    assert 'http-equiv="refresh"' not in ready
    assert ready.count('aria-busy="false"') == 2


def test_vote_buttons_carry_their_shortcut_and_the_reason_they_are_disabled(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)

    html = client.get(f"/battles/{battle_id}/").content.decode()

    for value, key in (("a", "a"), ("b", "b"), ("tie", "t"), ("bothbad", "x")):
        button = _vote_button(html, value)
        assert f'data-key="{key}"' in button and f'aria-keyshortcuts="{key.upper()}"' in button
        assert 'aria-describedby="vote-hint"' in button and "disabled" in button
    hint = re.search(r'<p class="hint" id="vote-hint"[^>]*>([^<]*)</p>', html, re.S)
    assert hint and hint.group(1) == "Voting opens when both answers are complete."
    shortcuts = re.sub(r"<[^>]+>", "", re.search(r'id="shortcuts">(.*?)</p>', html).group(1))
    assert shortcuts == (
        "Keyboard: A A is better, B B is better, T Tie, X Both are bad, N new battle."
    )
    assert 'data-new-battle-key="n"' in html


def test_one_live_region_and_no_token_streams_read_aloud(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)

    html = client.get(f"/battles/{battle_id}/").content.decode()

    assert html.count('role="status"') == 1
    assert '<p id="announcer" class="visually-hidden" role="status"></p>' in html
    assert "aria-live" not in html


def test_an_abandoned_battle_says_so_and_offers_a_new_one(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)
    Battle.objects.filter(id=battle_id).update(status="abandoned")

    html = client.get(f"/battles/{battle_id}/").content.decode()

    over = re.search(r'<section id="battle-over"[^>]*>', html)
    assert over and 'data-state="abandoned"' in over.group(0) and "hidden" not in over.group(0)
    assert "This battle has expired" in html
    hint = re.search(r'<p class="hint" id="vote-hint"[^>]*>([^<]*)</p>', html, re.S)
    assert hint and hint.group(1) == "Voting is closed for this battle."
    assert (
        '<form id="vote-form" class="panel vote vote-bar" method="post" action="vote/" hidden>'
        in html
    )
    assert re.search(r'<form id="followup-form"[^>]*hidden>', html)
    assert 'href="/">New battle</a>' in html


def test_finished_answers_are_highlighted_and_keep_their_markdown_for_copying(
    secret_contenders: list[Contender],
) -> None:
    client, token = _page_client()
    battle_id = _start(client, token)
    generate(battle_id)
    Completion.objects.filter(turn__battle_id=battle_id).update(
        text="```python\nprint('<hi>')\n```\n\n$x^2$"
    )

    html = client.get(f"/battles/{battle_id}/").content.decode()

    assert html.count('<span class="nb">print</span>') == 2
    assert html.count('<span class="math inline">x^2</span>') == 2
    source = '<template class="answer-source">```python\nprint(&#x27;&lt;hi&gt;&#x27;)'
    assert html.count(source) == 2
    assert "/static/katex/katex.min.js" in html and "/static/pygments.css" in html
    # The same answer renders to the same markup on either side: nothing tells them apart.
    a, b = re.findall(r'<div class="answer side-\w".*?<p class="answer-error"', html, re.S)[:2]
    side_markers = r'side-[ab]|data-side="[ab]"|Model [AB]'
    assert re.sub(side_markers, "", a) == re.sub(side_markers, "", b)
