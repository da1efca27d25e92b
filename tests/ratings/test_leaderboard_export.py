"""GET /api/leaderboard/export: a snapshot as CSV or JSON, unrevealed names staff-only."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ratings.models import RatingSnapshot
from ratings.snapshots import recompute_ratings
from tests.ratings.helpers import contender, vote


@pytest.fixture
def two_snapshots() -> tuple[RatingSnapshot, RatingSnapshot]:
    gpt, claude, secret = contender("gpt"), contender("claude"), contender("secret", revealed=False)
    for _ in range(3):
        vote(gpt, claude, "a", categories=["coding"])
        vote(secret, gpt, "a")
    vote(claude, gpt, "a")
    first = recompute_ratings()
    vote(claude, gpt, "a", categories=["coding"])
    second = recompute_ratings()
    assert first is not None and second is not None
    return first, second


@pytest.mark.django_db
def test_csv_of_an_older_snapshot(client: Client, two_snapshots: tuple) -> None:
    first, _ = two_snapshots

    response = client.get("/api/leaderboard/export", {"format": "csv", "snapshot": first.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"leaderboard-snapshot-{first.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    coding = [r for r in rows if r["category"] == "coding"]
    assert [r["model"] for r in coding] == ["Gpt", "Claude"]
    assert coding[0]["votes"] == "3" and coding[0]["snapshot"] == str(first.pk)
    assert {r["category"] for r in rows} == {"overall", "exclude_ties", "coding"}
    assert "secret" not in response.content.decode().lower()


@pytest.mark.django_db
def test_json_of_the_latest_snapshot_and_staff_names(client: Client, two_snapshots: tuple) -> None:
    _, second = two_snapshots

    public = client.get("/api/leaderboard/export").json()
    client.force_login(User.objects.create_user("op", password="pw", is_staff=True))
    staff = client.get("/api/leaderboard/export", {"format": "json"}).json()

    assert public["snapshot"] == second.pk and public["votes"] == 8
    coding = [r for r in public["rows"] if r["category"] == "coding"]
    assert [(r["model"], r["votes"]) for r in coding] == [("Gpt", 4), ("Claude", 4)]
    assert "secret" in {r["model"] for r in staff["rows"]}
    assert "secret" not in {r["model"] for r in public["rows"]}


@pytest.mark.django_db
def test_unknown_snapshot_is_404(client: Client) -> None:
    assert client.get("/api/leaderboard/export", {"snapshot": 999}).status_code == 404
    assert client.get("/api/leaderboard/export", {"format": "xml"}).status_code == 400
