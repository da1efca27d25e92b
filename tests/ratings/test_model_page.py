"""A model's page (and JSON): every category, win rate per opponent, history with bands."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from arena.models import Contender
from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def arena() -> dict[str, Contender]:
    ace, bee, cat = contender("ace"), contender("bee"), contender("cat")
    secret = contender("secret", revealed=False)
    for _ in range(3):
        vote(ace, bee, "a", categories=["coding"])
        vote(ace, cat, "a")
        vote(cat, bee, "tie")
        vote(secret, ace, "a")
    vote(bee, ace, "a", categories=["coding"])
    recompute_ratings(RecomputeOptions(seed=0))
    vote(cat, ace, "a")
    recompute_ratings(RecomputeOptions(seed=0))
    return {"ace": ace, "bee": bee, "cat": cat, "secret": secret}


@pytest.mark.django_db
def test_model_json_lists_every_category_and_opponent(
    client: Client, arena: dict[str, Contender]
) -> None:
    body = client.get(f"/api/leaderboard/models/{arena['ace'].pk}").json()

    assert body["name"] == "Ace"
    cats = {c["category"]: c for c in body["categories"]}
    assert set(cats) == {"overall", "exclude_ties", "coding"}
    coding = cats["coding"]
    assert coding["votes"] == 4 and coding["win_rate"] == 0.75 and coding["rank"] == 1
    assert coding["ci_lower"] < coding["rating"] < coding["ci_upper"]
    opponents = {o["name"]: o for o in body["opponents"]}
    # the unrevealed opponent is not named to the public
    assert set(opponents) == {"Bee", "Cat"}
    assert opponents["Bee"] == {
        "id": arena["bee"].pk,
        "name": "Bee",
        "battles": 4,
        "win_rate": 0.75,
    }
    assert opponents["Cat"]["battles"] == 4 and opponents["Cat"]["win_rate"] == 0.75


@pytest.mark.django_db
def test_model_page_shows_categories_opponents_and_history_band(
    client: Client, arena: dict[str, Contender]
) -> None:
    html = client.get(f"/leaderboard/model/{arena['ace'].pk}/").content.decode()

    assert "<h1>Ace" in html
    assert ">coding</a>" in html and ">Bee</a>" in html
    assert "secret" not in html.lower()
    # the history figure: a filled interval band and the rating line, over two snapshots
    assert html.count("Plotly.newPlot") == 1
    assert '"fill": "toself"' in html
    assert '<script src="/leaderboard/plotly.min.js">' in html


@pytest.mark.django_db
def test_unrevealed_model_page_is_staff_only(client: Client, arena: dict[str, Contender]) -> None:
    url = f"/leaderboard/model/{arena['secret'].pk}/"

    assert client.get(url).status_code == 404
    assert client.get(f"/api/leaderboard/models/{arena['secret'].pk}").status_code == 404
    client.force_login(User.objects.create_user("op", password="pw", is_staff=True))
    assert "secret" in client.get(url).content.decode()


@pytest.mark.django_db
def test_leaderboard_rows_link_to_model_pages(client: Client, arena: dict[str, Contender]) -> None:
    html = client.get("/leaderboard/").content.decode()

    assert f'href="/leaderboard/model/{arena["ace"].pk}/"' in html
    assert "P(#1)" in html
