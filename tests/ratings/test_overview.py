"""The overview across categories (page and JSON): ranks per category, #1 marked, sorting,
vote threshold, retired toggle, anonymity."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from arena.models import ContenderStatus
from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def three_categories() -> None:
    """'ace' leads coding, 'bee' math and (just) overall; 'old' is retired; 'secret' unrevealed.
    'rare' has only 3 votes: below the threshold of 5."""
    ace, bee, cat = contender("ace"), contender("bee"), contender("cat")
    old = contender("old")
    old.set_status(ContenderStatus.RETIRED)
    secret = contender("secret", revealed=False)
    rare = contender("rare")
    for _ in range(6):
        vote(ace, bee, "a", categories=["coding"])
        vote(ace, cat, "a", categories=["coding"])
        vote(bee, cat, "a", categories=["coding"])
        vote(bee, ace, "a", categories=["math"])
        vote(cat, old, "a")
        vote(secret, cat, "a")
    vote(bee, cat, "b")
    vote(ace, bee, "b", categories=["math"])
    vote(cat, ace, "a", categories=["coding"])
    vote(secret, ace, "b")
    for _ in range(3):
        vote(rare, cat, "a")
    recompute_ratings(RecomputeOptions(min_votes=5, seed=0))


def _api(client: Client, **params: str) -> dict:
    response = client.get("/api/leaderboard/overview", params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_every_model_has_a_rank_in_every_category(client: Client) -> None:
    body = _api(client)

    assert body["categories"] == ["overall", "exclude_ties", "coding", "math"]
    rows = {r["name"]: r for r in body["rows"]}
    assert set(rows) == {"Ace", "Bee", "Cat", "Rare"}  # no retired, no unrevealed
    ace, bee = rows["Ace"], rows["Bee"]
    coding, math = body["categories"].index("coding"), body["categories"].index("math")
    assert ace["ranks"][coding]["rank"] == 1
    assert bee["ranks"][math]["rank"] == 1 and bee["ranks"][math]["first"] is True
    assert rows["Cat"]["ranks"][math] is None  # never played in math
    assert ace["votes"] == 21
    # sorted by overall rank: 'rare' (3 straight wins, unranked) rates higher yet comes last
    assert [r["name"] for r in body["rows"]][:3] == ["Bee", "Ace", "Cat"]
    assert body["rows"][-1]["name"] == "Rare" and rows["Rare"]["rating"] > ace["rating"]
    # first = rank upper bound 1
    for row in body["rows"]:
        for cell in row["ranks"]:
            if cell is not None:
                assert cell["first"] == (cell["rank_ub"] == 1)


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_below_the_threshold_a_model_is_listed_not_ranked(client: Client) -> None:
    body = _api(client)
    html = client.get("/leaderboard/overview/").content.decode()

    rare = next(r for r in body["rows"] if r["name"] == "Rare")
    assert rare["ranks"][0]["rank"] is None and rare["ranks"][0]["votes"] == 3
    assert "not enough votes" in html
    board = client.get("/api/leaderboard").json()
    assert next(r for r in board["rows"] if r["name"] == "Rare")["rank"] is None
    assert board["min_votes"] == 5
    assert board["rows"][-1]["name"] == "Rare"  # unranked rows come last


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_page_marks_number_one_cells_and_sorts_by_a_category(client: Client) -> None:
    by_math = client.get("/leaderboard/overview/", {"sort": "math"}).content.decode()
    by_name = client.get("/leaderboard/overview/", {"sort": "name"}).content.decode()

    assert by_math.index(">Bee<") < by_math.index(">Ace<")
    assert by_math.index(">Ace<") < by_math.index(">Cat<")  # Cat has no math cell: last
    assert 'class="first"' in by_math
    positions = [by_name.index(f">{n}<") for n in ("Ace", "Bee", "Cat", "Rare")]
    assert positions == sorted(positions)


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_json_sorts_like_the_page(client: Client) -> None:
    by_votes = _api(client, sort="votes")
    reverse = _api(client, sort="name", descending="true")

    votes = [r["votes"] for r in by_votes["rows"]]
    assert votes == sorted(votes, reverse=True)
    assert [r["name"] for r in reverse["rows"]] == ["Rare", "Cat", "Bee", "Ace"]
    assert client.get("/api/leaderboard/overview", {"sort": "nope"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_retired_models_only_on_request(client: Client) -> None:
    hidden = _api(client)
    shown = _api(client, show_retired="true")
    page = client.get("/leaderboard/overview/", {"retired": "1"}).content.decode()
    board = client.get("/api/leaderboard").json()

    assert "Old" not in {r["name"] for r in hidden["rows"]}
    old = next(r for r in shown["rows"] if r["name"] == "Old")
    assert old["retired"] is True
    assert "retired</span>" in page
    assert board["retired_hidden"] == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("three_categories")
def test_unrevealed_codenames_only_for_staff(client: Client) -> None:
    public = client.get("/leaderboard/overview/").content.decode()
    public_json = client.get("/api/leaderboard/overview").content.decode()
    client.force_login(User.objects.create_user("op", password="pw", is_staff=True))
    staff = _api(client)

    assert "secret" not in public.lower() and "secret" not in public_json.lower()
    assert "secret" in {r["name"] for r in staff["rows"]}


@pytest.mark.django_db
def test_empty_overview(client: Client) -> None:
    assert _api(client)["rows"] == []
    assert "No ratings yet" in client.get("/leaderboard/overview/").content.decode()
