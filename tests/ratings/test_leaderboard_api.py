"""GET /api/leaderboard: category switch, unrevealed hidden from the public, empty state."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def ratings_with_secret() -> None:
    gpt, claude = contender("gpt", public_name="GPT Public"), contender("claude")
    chocolate = contender("chocolate", revealed=False)
    for _ in range(5):
        vote(chocolate, gpt, "a", categories=["coding"])
        vote(gpt, claude, "a", categories=["math"])
        vote(claude, chocolate, "b")
    vote(gpt, chocolate, "a")
    vote(claude, gpt, "a", categories=["math"])
    vote(claude, chocolate, "a", categories=["coding"])
    recompute_ratings(RecomputeOptions(anchor=("chocolate", 1100.0)))


@pytest.mark.django_db
def test_empty_state_before_any_snapshot(client: Client) -> None:
    body = client.get("/api/leaderboard").json()

    assert body["computed_at"] is None
    assert body["rows"] == [] and body["categories"] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("ratings_with_secret")
def test_public_sees_only_revealed_contenders(client: Client) -> None:
    response = client.get("/api/leaderboard")

    body = response.json()
    assert response.status_code == 200
    assert [r["name"] for r in body["rows"]] == ["GPT Public", "Claude"]
    assert body["hidden"] == 1
    assert "chocolate" not in response.content.decode().lower()
    assert body["method"]["anchor"]["model"] == "(unrevealed contender)"
    assert body["categories"] == ["overall", "exclude_ties", "coding", "math"]
    row = body["rows"][0]
    assert set(row) == {
        "id",
        "name",
        "revealed",
        "retired",
        "p_first",
        "rating",
        "ci_lower",
        "ci_upper",
        "rank",
        "rank_ub",
        "votes",
        "win_rate",
        "provisional",
        "retired_at",
    }
    assert row["ci_lower"] <= row["rating"] <= row["ci_upper"]


@pytest.mark.django_db
@pytest.mark.usefixtures("ratings_with_secret")
def test_staff_see_unrevealed_codenames(client: Client) -> None:
    staff = User.objects.create_user("op", password="pw", is_staff=True)
    client.force_login(staff)

    body = client.get("/api/leaderboard").json()

    names = {r["name"]: r for r in body["rows"]}
    assert set(names) == {"chocolate", "GPT Public", "Claude"}
    assert names["chocolate"]["revealed"] is False
    assert names["chocolate"]["rating"] == pytest.approx(1100.0, abs=0.01)
    assert body["hidden"] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("ratings_with_secret")
def test_category_switch_and_unknown_category(client: Client) -> None:
    math = client.get("/api/leaderboard", {"category": "math"}).json()
    unknown = client.get("/api/leaderboard", {"category": "poetry"})

    assert math["category"] == "math"
    assert math["category_votes"] == 6
    assert {r["name"]: r["votes"] for r in math["rows"]} == {"GPT Public": 6, "Claude": 6}
    assert unknown.status_code == 404
    assert "unknown category 'poetry'" in unknown.json()["detail"]
