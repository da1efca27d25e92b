"""Sharing a finished battle: a public read-only link, only after the vote, deletable."""

import re

import pytest
from django.test import Client

from arena.models import Contender
from battles.models import Completion, SharedBattle
from tests.factories import make_contender
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


def _battle(client: VoterClient, *, vote: bool) -> str:
    battle = client.post("/api/battles", {"prompt": "Name a prime"}).json()
    generate(battle["id"])
    if vote:
        assert client.post(f"/api/battles/{battle['id']}/vote", {"outcome": "a"}).status_code == 200
    return str(battle["id"])


def test_no_link_before_the_vote(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _battle(voter_client, vote=False)

    response = voter_client.post(f"/api/battles/{battle_id}/share", {})

    assert response.status_code == 409
    assert "after your vote" in response.json()["detail"]
    assert not SharedBattle.objects.exists()
    assert voter_client.get(f"/api/battles/{battle_id}").json()["share"] is None


def test_after_the_vote_anyone_with_the_link_reads_the_battle(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    # given a voted battle of one revealed and one unrevealed model, with a trace
    secret_contenders[0].reveal("Quibblefrost Ultra")
    battle_id = _battle(voter_client, vote=True)
    Completion.objects.filter(turn__battle_id=battle_id).update(reasoning="private thoughts")

    # when its voter shares it
    created = voter_client.post(f"/api/battles/{battle_id}/share", {})
    again = voter_client.post(f"/api/battles/{battle_id}/share", {})

    # then there is one unguessable link, shown to the voter
    assert created.status_code == 201
    share = created.json()
    assert again.json() == share
    assert len(share["token"]) >= 32
    assert share["url"] == f"/shared/{share['token']}/"
    assert voter_client.get(f"/api/battles/{battle_id}").json()["share"] == share

    # and a stranger without any session reads the conversation and the reveal
    stranger = Client()
    data = stranger.get(f"/api/shared/{share['token']}").json()
    assert data["turns"][0]["prompt"] == "Name a prime"
    assert data["turns"][0]["a"]["text"] and data["turns"][0]["reasoning"] is None
    assert data["reveal"]["outcome"] == "a"
    names = {data["reveal"][side]["name"] for side in ("a", "b")}
    assert names == {"Quibblefrost Ultra", ""}  # the unrevealed one stays nameless
    page = stranger.get(share["url"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "Quibblefrost Ultra" in html and "a model not yet revealed" in html
    for hidden in ("marzipan-yak", "private thoughts"):
        assert hidden not in html and hidden not in str(data)
    # read-only: no forms, no CSRF token, no session started
    assert "<form" not in html and "csrfmiddlewaretoken" not in html
    assert not page.cookies


def test_only_the_voter_shares_and_deletes_and_a_deleted_link_is_gone(
    voter_client: VoterClient, secret_contenders: list[Contender]
) -> None:
    battle_id = _battle(voter_client, vote=True)
    token = voter_client.post(f"/api/battles/{battle_id}/share", {}).json()["token"]
    stranger = VoterClient()
    stranger.start_session()

    assert stranger.post(f"/api/battles/{battle_id}/share", {}).status_code == 403
    foreign = stranger.http.delete(
        f"/api/battles/{battle_id}/share", headers={"X-CSRFToken": stranger.csrf_token}
    )
    assert foreign.status_code == 403
    deleted = voter_client.http.delete(
        f"/api/battles/{battle_id}/share", headers={"X-CSRFToken": voter_client.csrf_token}
    )
    assert deleted.status_code == 204

    assert Client().get(f"/api/shared/{token}").status_code == 404
    gone = Client().get(f"/shared/{token}/")
    assert gone.status_code == 404 and "deleted" in gone.content.decode()
    assert gone["X-Robots-Tag"] == "noindex, nofollow"
    again = voter_client.http.delete(
        f"/api/battles/{battle_id}/share", headers={"X-CSRFToken": voter_client.csrf_token}
    )
    assert again.status_code == 404
    # a new link is a new token: the old one never comes back
    renewed = voter_client.post(f"/api/battles/{battle_id}/share", {}).json()["token"]
    assert renewed != token


def _csrf(page: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    return token.group(1)


def test_the_forms_share_and_unshare_without_javascript() -> None:
    make_contender("alpha", revealed=True)
    make_contender("bravo", revealed=True)
    client = Client()
    created = client.post(
        "/", {"prompt": "Hi", "csrfmiddlewaretoken": _csrf(client.get("/").content.decode())}
    )
    battle_url = created["Location"]
    generate(battle_url.strip("/").split("/")[-1])
    page = client.get(battle_url).content.decode()
    early = client.post(battle_url + "share/", {"csrfmiddlewaretoken": _csrf(page)})
    assert early.status_code == 409 and "after your vote" in early.content.decode()
    client.post(battle_url + "vote/", {"outcome": "tie", "csrfmiddlewaretoken": _csrf(page)})

    shared = client.post(battle_url + "share/", {"csrfmiddlewaretoken": _csrf(page)})
    voted_page = client.get(battle_url).content.decode()

    assert shared.status_code == 302
    link = re.search(r'id="share-link" href="(/shared/[^"]+/)"', voted_page)
    assert link and Client().get(link.group(1)).status_code == 200
    client.post(battle_url + "share/delete/", {"csrfmiddlewaretoken": _csrf(voted_page)})
    assert Client().get(link.group(1)).status_code == 404
    assert "Create a public link" in client.get(battle_url).content.decode()
