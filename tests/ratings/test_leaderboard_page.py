"""The /leaderboard/ page: tabs, table, plots with local plotly.js, anonymity, empty state."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ratings.snapshots import recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def two_snapshots() -> None:
    gpt, claude = contender("gpt", public_name="GPT Public"), contender("claude")
    chocolate = contender("chocolate", revealed=False)
    for _ in range(4):
        vote(chocolate, gpt, "a", categories=["coding"])
        vote(gpt, claude, "a", categories=["coding"])
        vote(claude, chocolate, "tie")
    recompute_ratings()
    vote(claude, gpt, "a", categories=["coding"])
    vote(gpt, chocolate, "b")
    recompute_ratings()


@pytest.mark.django_db
def test_empty_state(client: Client) -> None:
    response = client.get("/leaderboard/")

    assert response.status_code == 200
    assert "No ratings yet" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("two_snapshots")
def test_public_page_hides_unrevealed_everywhere(client: Client) -> None:
    response = client.get("/leaderboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "GPT Public" in html and "Claude" in html
    assert "chocolate" not in html.lower()
    assert "1 unrevealed contender hidden" in html
    # Plots are present and plotly.js comes from this server, not a CDN.
    assert html.count("Plotly.newPlot") == 4  # CI, win rate, battles, history
    assert '<script src="/leaderboard/plotly.min.js">' in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
@pytest.mark.usefixtures("two_snapshots")
def test_staff_see_codenames_on_the_preliminary_board_only(client: Client) -> None:
    client.force_login(User.objects.create_user("op", password="pw", is_staff=True))

    public = client.get("/leaderboard/").content.decode()
    preliminary = client.get("/leaderboard/preliminary/").content.decode()

    assert "chocolate" not in public.lower()
    assert "/leaderboard/preliminary/" in public
    assert "chocolate" in preliminary
    assert "unrevealed contender hidden" not in preliminary


@pytest.mark.django_db
@pytest.mark.usefixtures("two_snapshots")
def test_category_tabs_switch_the_table(client: Client) -> None:
    overall = client.get("/leaderboard/").content.decode()
    coding = client.get("/leaderboard/", {"category": "coding"}).content.decode()
    unknown = client.get("/leaderboard/", {"category": "nope"})

    tab = 'href="?category=coding&amp;style=1&amp;retired=0"'
    assert tab in overall
    assert f"{tab} aria-current" not in overall
    assert f'{tab} aria-current="page"' in coding
    assert f"{tab}>Coding</a>" in overall  # the public label (arena.categories)
    assert "9 votes in this category" in coding
    assert unknown.status_code == 404
    assert "Unknown category" in unknown.content.decode()


@pytest.mark.django_db
def test_plotly_js_is_served_locally(client: Client) -> None:
    response = client.get("/leaderboard/plotly.min.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()
