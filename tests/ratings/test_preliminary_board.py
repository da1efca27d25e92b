"""The preliminary leaderboard (staff and analysts) and the provisional mark after a reveal."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client, override_settings

from arena import lifecycle
from arena.models import Contender, ContenderStatus
from ratings.snapshots import recompute_ratings
from tests.ratings.helpers import contender, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def board() -> dict[str, Contender]:
    gpt, claude = contender("gpt", public_name="GPT Public"), contender("claude")
    chocolate = contender("chocolate", revealed=False)
    for _ in range(5):
        vote(chocolate, gpt, "a")
        vote(gpt, claude, "a")
        vote(claude, chocolate, "b")
    recompute_ratings()
    return {"gpt": gpt, "claude": claude, "chocolate": chocolate}


def _login(client: Client, username: str, *, staff: bool = False, analyst: bool = False) -> None:
    user = User.objects.create_user(username, password="pw", is_staff=staff)
    if analyst:
        user.groups.add(Group.objects.get_or_create(name="analysts")[0])
    client.force_login(user)


@pytest.mark.usefixtures("board")
def test_nobody_else_can_open_it(client: Client) -> None:
    assert client.get("/leaderboard/preliminary/").status_code == 404
    _login(client, "visitor")
    assert client.get("/leaderboard/preliminary/").status_code == 404


@pytest.mark.usefixtures("board")
@pytest.mark.parametrize("role", [{"staff": True}, {"analyst": True}])
def test_staff_and_analysts_see_unrevealed_codenames_with_intervals(
    client: Client, role: dict[str, bool]
) -> None:
    _login(client, "insider", **role)

    response = client.get("/leaderboard/preliminary/")
    public = client.get("/leaderboard/").content.decode()

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preliminary leaderboard" in html
    row = html.split(">chocolate<")[1].split("</tr>")[0]
    assert 'class="tag">unrevealed' in row
    assert '<td class="ci">' in row and "\u2013" in row  # its own interval
    # The public board lists revealed contenders only, for insiders too.
    assert "chocolate" not in public.lower()
    assert "/leaderboard/preliminary/" in public


@pytest.mark.usefixtures("board")
def test_analysts_get_codenames_from_the_api_too(client: Client) -> None:
    _login(client, "analyst", analyst=True)

    names = [r["name"] for r in client.get("/api/leaderboard").json()["rows"]]

    assert "chocolate" in names


@override_settings(ARENA_PROVISIONAL_VOTES=8)
def test_a_revealed_model_is_provisional_until_enough_votes_after_its_reveal(
    client: Client, board: dict[str, Contender]
) -> None:
    call_command("reveal_contender", "chocolate", "--public-name", "Choco", stdout=StringIO())
    recompute_ratings(force=True)

    def provisional() -> dict[str, bool]:
        rows = client.get("/api/leaderboard").json()["rows"]
        return {r["name"]: r["provisional"] for r in rows}

    # 10 votes before the reveal do not count; the others were revealed from the start
    # and have 10 votes, which is enough.
    assert provisional() == {"Choco": True, "GPT Public": False, "Claude": False}
    assert ">provisional</span>" in client.get("/leaderboard/").content.decode()
    for _ in range(8):
        vote(board["chocolate"], board["gpt"], "a")
    recompute_ratings(force=True)
    assert provisional()["Choco"] is False


def test_a_retired_model_stays_in_old_snapshots_listed_with_its_date(
    client: Client, board: dict[str, Contender]
) -> None:
    lifecycle.change_status(board["claude"], ContenderStatus.RETIRED)

    rows = client.get("/api/leaderboard?show_retired=true").json()["rows"]
    hidden = client.get("/api/leaderboard").json()

    claude = next(r for r in rows if r["name"] == "Claude")
    assert claude["retired"] is True and claude["retired_at"] is not None
    assert "Claude" not in [r["name"] for r in hidden["rows"]]
    assert hidden["retired_hidden"] == 1
    page = client.get("/leaderboard/?retired=1").content.decode()
    assert 'class="tag">retired 20' in page


def test_the_public_model_page_shows_the_history_once_revealed(
    client: Client, board: dict[str, Contender]
) -> None:
    chocolate = board["chocolate"]
    lifecycle.log_added(chocolate, via="command")
    assert client.get(f"/leaderboard/model/{chocolate.pk}/").status_code == 404

    call_command("reveal_contender", "chocolate", "--public-name", "Choco", stdout=StringIO())
    lifecycle.change_status(chocolate, ContenderStatus.PAUSED, note="private reason")
    page = client.get(f"/leaderboard/model/{chocolate.pk}/").content.decode()

    assert "<h2>History</h2>" in page
    assert "added (active)" in page and "revealed" in page and "active \u2192 paused" in page
    assert "private reason" not in page and "command" not in page
