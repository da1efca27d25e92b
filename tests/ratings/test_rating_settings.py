"""Operator rating settings: the scale anchor, the vote threshold, one MODEL=RATING parser."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from ratings.anchor import parse_anchor
from ratings.models import RatingSettings
from ratings.snapshots import operator_options
from ratings.tasks import recompute_ratings_task
from tests.ratings.helpers import contender, vote


def test_parse_anchor_accepts_names_with_equals_and_rejects_junk() -> None:
    assert parse_anchor("mixtral-8x7b-instruct-v0.1=1114") == ("mixtral-8x7b-instruct-v0.1", 1114.0)
    assert parse_anchor("a=b=1200.5") == ("a=b", 1200.5)
    for bad in ("mixtral", "=1114", "mixtral=", "mixtral=high", "mixtral=nan"):
        with pytest.raises(ValueError, match="MODEL=RATING"):
            parse_anchor(bad)


@pytest.mark.django_db
def test_defaults_come_from_settings_until_saved(settings) -> None:
    settings.ARENA_RATINGS_ANCHOR = "gpt=1114"
    settings.ARENA_RATINGS_MIN_VOTES = 300
    contender("gpt")

    options = operator_options()

    assert options.anchor == ("gpt", 1114.0) and options.min_votes == 300
    assert options.style_control is True


@pytest.mark.django_db
def test_admin_row_rejects_a_malformed_anchor_or_threshold() -> None:
    with pytest.raises(ValidationError, match="MODEL=RATING"):
        RatingSettings(anchor="gpt").full_clean()
    with pytest.raises(ValidationError, match="whole number"):
        RatingSettings(min_votes_by_category={"coding": -1}).full_clean()


@pytest.mark.django_db
def test_periodic_task_pins_the_anchor_and_applies_the_thresholds(client: Client) -> None:
    gpt, claude, rare = contender("gpt"), contender("claude"), contender("rare")
    for _ in range(4):
        vote(gpt, claude, "a", categories=["coding"])
        vote(claude, rare, "a", categories=["coding"])
    vote(claude, gpt, "a")
    RatingSettings(anchor="Claude=1114", min_votes=5, min_votes_by_category={"coding": 1}).save()

    recompute_ratings_task.apply().get()

    overall = client.get("/api/leaderboard").json()
    coding = client.get("/api/leaderboard", {"category": "coding"}).json()
    by_name = {r["name"]: r for r in overall["rows"]}
    assert by_name["Claude"]["rating"] == 1114.0
    assert overall["method"]["anchor"] == {"model": "Claude", "rating": 1114.0}
    assert by_name["Rare"]["rank"] is None  # 4 votes < 5
    assert by_name["Gpt"]["rank"] == 1
    assert all(r["rank"] is not None for r in coding["rows"])  # threshold 1 there
    assert overall["min_votes"] == 5 and coding["min_votes"] == 1


@pytest.mark.django_db
def test_an_anchor_naming_nobody_is_ignored_not_fatal() -> None:
    RatingSettings(anchor="gone-model=1114").save()

    assert operator_options().anchor is None
