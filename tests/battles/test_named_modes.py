"""Named modes: side-by-side (two picked models, names shown, votes never counted) and a
direct chat with one model (no vote). Only revealed, sampleable models can be picked."""

import re

import pytest
from django.test import Client
from django.test.utils import override_settings

from arena.models import Contender, ContenderStatus
from battles.exclusions import include_battles
from battles.models import Battle, BattleMode, Vote
from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.battles.sse_helpers import read_stream, replay
from tests.factories import make_contender
from tests.fixtures.web import VoterClient, generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def named() -> dict[str, Contender]:
    """Two pickable models, and three that must never be offered."""
    return {
        "alpha": make_contender("alpha", revealed=True, public_name="Alpha One"),
        "bravo": make_contender("bravo", revealed=True, public_name="Bravo Two"),
        "secret": make_contender("zanzibar-owl", public_name="Quibblefrost Ultra"),
        "paused": make_contender("paused", revealed=True, status=ContenderStatus.PAUSED),
        "historic": make_contender("historic", revealed=True, historic=True),
    }


def test_only_revealed_sampleable_models_are_offered(named: dict[str, Contender]) -> None:
    models = Client().get("/api/models").json()

    assert models == [
        {"id": named["alpha"].id, "name": "Alpha One", "organisation": ""},
        {"id": named["bravo"].id, "name": "Bravo Two", "organisation": ""},
    ]
    for page in ("/side-by-side/", "/direct/"):
        html = Client().get(page).content.decode()
        assert "Alpha One" in html and "Bravo Two" in html
        for hidden in ("zanzibar-owl", "Quibblefrost", "Paused", "Historic"):
            assert hidden not in html


def test_side_by_side_shows_the_names_and_stores_an_uncounted_vote(
    voter_client: VoterClient, named: dict[str, Contender]
) -> None:
    alpha, bravo = named["alpha"], named["bravo"]

    response = voter_client.post(
        "/api/side-by-side", {"prompt": "Name a prime", "model_a": bravo.id, "model_b": alpha.id}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["mode"] == "side_by_side"
    assert body["names"] == {
        "a": {"name": "Bravo Two", "revealed": True},
        "b": {"name": "Alpha One", "revealed": True},
    }
    generate(body["id"])
    page = voter_client.get(f"/battles/{body['id']}/").content.decode()
    assert "Side-by-side · you chose these models" in page
    assert "· Bravo Two" in page and "· Alpha One" in page
    voted = voter_client.post(f"/api/battles/{body['id']}/vote", {"outcome": "a"})
    assert voted.status_code == 200
    vote = Vote.objects.get(battle_id=body["id"])
    assert vote.outcome == "a" and vote.counted is False
    # an operator's "include" cannot make it count either
    include_battles(Battle.objects.filter(pk=vote.battle_id))
    assert Vote.objects.get(battle_id=body["id"]).counted is False


def test_unrevealed_or_unknown_models_are_refused_alike(
    voter_client: VoterClient, named: dict[str, Contender]
) -> None:
    alpha = named["alpha"].id
    missing = max(c.id for c in named.values()) + 100
    answers = [
        voter_client.post("/api/side-by-side", {"prompt": "Hi", "model_a": alpha, "model_b": other})
        for other in (named["secret"].id, missing, named["paused"].id)
    ]
    direct = voter_client.post("/api/direct", {"prompt": "Hi", "model": named["secret"].id})
    same = voter_client.post(
        "/api/side-by-side", {"prompt": "Hi", "model_a": alpha, "model_b": alpha}
    )

    assert {(r.status_code, r.json()["detail"]) for r in [*answers, direct]} == {
        (400, "Choose the models from the list offered.")
    }
    assert same.status_code == 400 and "two different" in same.json()["detail"]
    assert not Battle.objects.exists()


def test_direct_chat_streams_one_side_and_has_no_vote(
    voter_client: VoterClient, named: dict[str, Contender]
) -> None:
    created = voter_client.post(
        "/api/direct", {"prompt": "Name a prime", "model": named["alpha"].id}
    )
    battle_id = created.json()["id"]
    assert created.status_code == 201 and created.json()["mode"] == "direct"

    generate(battle_id)
    stream = read_stream(voter_client.http.cookies, f"/api/battles/{battle_id}/events")

    assert {e.data.get("side") for e in stream.events if e.event == "end"} == {"a"}
    assert stream.events[-1].event == "done"
    detail = voter_client.get(f"/api/battles/{battle_id}").json()
    assert detail["status"] == "ready"
    assert replay(stream.events)["a"] == detail["turns"][0]["a"]["text"]
    assert detail["turns"][0]["b"]["text"] == ""
    vote = voter_client.post(f"/api/battles/{battle_id}/vote", {"outcome": "a"})
    assert vote.status_code == 409 and "no vote" in vote.json()["detail"]
    follow = voter_client.post(f"/api/battles/{battle_id}/turns", {"prompt": "Another?"})
    assert follow.status_code == 201
    generate(battle_id)
    assert voter_client.get(f"/api/battles/{battle_id}").json()["status"] == "ready"
    page = voter_client.get(f"/battles/{battle_id}/").content.decode()
    assert "Direct chat with Alpha One" in page
    assert 'data-side="b"' not in page


def test_named_modes_are_rate_limited(
    voter_client: VoterClient, named: dict[str, Contender]
) -> None:
    with override_settings(ARENA_BATTLES_PER_HOUR_PER_VOTER=1):
        first = voter_client.post("/api/direct", {"prompt": "Hi", "model": named["alpha"].id})
        second = voter_client.post(
            "/api/side-by-side",
            {"prompt": "Hi", "model_a": named["alpha"].id, "model_b": named["bravo"].id},
        )

    assert first.status_code == 201
    assert second.status_code == 429
    assert Battle.objects.count() == 1


def test_recomputed_ratings_ignore_side_by_side_votes(
    voter_client: VoterClient, named: dict[str, Contender]
) -> None:
    # given one blind vote for alpha, and three side-by-side votes for bravo
    from tests.ratings.helpers import vote

    alpha, bravo = named["alpha"], named["bravo"]
    vote(alpha, bravo, "a")
    for _ in range(3):
        battle = voter_client.post(
            "/api/side-by-side", {"prompt": "Hi", "model_a": alpha.id, "model_b": bravo.id}
        ).json()
        generate(battle["id"])
        voter_client.post(f"/api/battles/{battle['id']}/vote", {"outcome": "b"})
    assert Battle.objects.filter(mode=BattleMode.SIDE_BY_SIDE, status="voted").count() == 3

    # when the ratings are recomputed
    snapshot = recompute_ratings(RecomputeOptions(seed=1), force=True)

    # then only the blind vote is in them
    assert snapshot is not None
    board = snapshot.leaderboard("overall", staff=True, style_control=False)
    rows = {row["name"]: row for row in board["rows"]}
    assert rows["Alpha One"]["votes"] == 1 and rows["Bravo Two"]["votes"] == 1
    assert rows["Alpha One"]["rating"] > rows["Bravo Two"]["rating"]


def _csrf(page: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    return token.group(1)


def test_the_forms_work_without_javascript_and_keep_bad_input(
    named: dict[str, Contender],
) -> None:
    client = Client()
    form = client.get("/side-by-side/").content.decode()
    assert "Compare two models you choose" in form and "not counted" in form

    refused = client.post(
        "/side-by-side/",
        {"prompt": "Keep me", "model_a": str(named["alpha"].id), "model_b": str(named["secret"].id),
         "csrfmiddlewaretoken": _csrf(form)},
    )  # fmt: skip
    started = client.post(
        "/direct/",
        {"prompt": "Hello", "model": str(named["bravo"].id), "csrfmiddlewaretoken": _csrf(form)},
    )

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose the models from the list offered." in html and "Keep me" in html
    assert f'<option value="{named["alpha"].id}" selected>' in html
    assert started.status_code == 302
    battle = Battle.objects.get()
    assert battle.mode == BattleMode.DIRECT and battle.contender_a == named["bravo"]
    assert started["Location"] == f"/battles/{battle.id}/"


def test_operators_see_side_by_side_votes_as_not_counted(
    admin_client: Client, named: dict[str, Contender]
) -> None:
    from tests.ratings.helpers import vote

    blind = vote(named["alpha"], named["bravo"], "a")
    shown = Battle.objects.create(
        voter="v", mode=BattleMode.SIDE_BY_SIDE, status="voted",
        contender_a=named["alpha"], contender_b=named["bravo"],
    )  # fmt: skip
    Vote.for_battle(shown, "b", "v").save()

    counted = admin_client.get("/admin/battles/vote/?excluded=no").content.decode()
    excluded = admin_client.get("/admin/battles/vote/?excluded=yes").content.decode()

    assert str(blind.battle_id) in counted and str(shown.id) not in counted
    assert str(shown.id) in excluded and "Side-by-side: names were shown" in excluded
