"""The periodic recompute fits style control from the completions' style features."""

import random

import pytest
from django.test import Client

from arena.models import Contender
from battles.models import Battle, Completion, Turn
from ratings.aggregation import aggregate_votes, style_battles
from ratings.models import RatingSnapshot
from ratings.snapshots import RecomputeOptions, recompute_ratings
from ratings.stats import ConvergenceError
from tests.ratings.helpers import contender, live_votes, vote


def _length_decides(verbose: Contender, terse: Contender, other: Contender, n: int) -> None:
    """Voters prefer the longer answer; ``verbose`` answers long far more often."""
    rng = random.Random(7)
    typical = {verbose.pk: 1600, terse.pk: 400, other.pk: 900}
    battles = []
    for _ in range(n):
        a, b = rng.sample([verbose, terse, other], 2)
        len_a = max(10, int(rng.gauss(typical[a.pk], 400)))
        len_b = max(10, int(rng.gauss(typical[b.pk], 400)))
        p_a = 0.5 + 0.4 * (len_a - len_b) / (len_a + len_b)
        outcome = "a" if rng.random() < p_a else "b"
        battles.append((a, b, outcome, (len_a, 0, 1, 0), (len_b, 0, 1, 0)))
    live_votes(battles, categories=["coding"])


@pytest.mark.django_db
def test_style_control_discounts_the_model_that_wins_by_length() -> None:
    verbose, terse, other = contender("verbose"), contender("terse"), contender("other")
    _length_decides(verbose, terse, other, 1500)

    snapshot = recompute_ratings(RecomputeOptions(seed=1))

    assert snapshot is not None
    plain = snapshot.leaderboard("overall", staff=False, style_control=False)
    styled = snapshot.leaderboard("overall", staff=False, style_control=True)
    rating = {
        fit: {r["name"]: r["rating"] for r in board["rows"]}
        for fit, board in (("plain", plain), ("style", styled))
    }
    assert plain["style_control"] is False and styled["style_control"] is True
    assert styled["style_votes"] == 1500
    gap_plain = rating["plain"]["Verbose"] - rating["plain"]["Terse"]
    gap_style = rating["style"]["Verbose"] - rating["style"]["Terse"]
    assert gap_plain > 100
    assert abs(gap_style) < gap_plain / 3
    coefs = styled["style_coefficients"]
    assert set(coefs) == {"length", "headers", "lists", "bold"}
    assert coefs["length"]["ci_lower"] > 0
    # every category with style-featured battles gets its own style fit
    assert snapshot.style_categories() == {"overall", "exclude_ties", "coding"}


@pytest.mark.django_db
def test_page_defaults_to_style_control_and_toggles_it_off(client: Client) -> None:
    verbose, terse, other = contender("verbose"), contender("terse"), contender("other")
    _length_decides(verbose, terse, other, 600)
    recompute_ratings(RecomputeOptions(seed=1))

    on = client.get("/leaderboard/").content.decode()
    off = client.get("/leaderboard/", {"style": "0"}).content.decode()
    api_on = client.get("/api/leaderboard").json()
    api_off = client.get("/api/leaderboard", {"style_control": "false"}).json()

    assert "with style control (600 battles" in on and "Style coefficients" in on
    assert "with style control" not in off and "Style coefficients" not in off
    assert api_on["style_control"] is True and api_on["style_coefficients"]["length"]["coef"] > 0
    assert api_off["style_control"] is False and api_off["style_coefficients"] == {}


@pytest.mark.django_db
def test_battles_without_completions_fall_back_to_the_plain_fit(client: Client) -> None:
    # Imported (historic) battles have no completions, hence no style features.
    a, b = contender("alpha"), contender("bravo")
    for _ in range(5):
        vote(a, b, "a")
    vote(b, a, "a")
    recompute_ratings()

    body = client.get("/api/leaderboard").json()
    html = client.get("/leaderboard/").content.decode()

    snapshot = RatingSnapshot.objects.get()
    assert not snapshot.rows.filter(style_control=True).exists()
    assert body["style_control"] is False and body["style_available"] is False
    assert [r["name"] for r in body["rows"]] == ["Alpha", "Bravo"]
    assert "Style control is not available in this category" in html


@pytest.mark.django_db
def test_style_fit_can_be_switched_off_by_the_operator() -> None:
    verbose, terse, other = contender("verbose"), contender("terse"), contender("other")
    _length_decides(verbose, terse, other, 200)

    snapshot = recompute_ratings(RecomputeOptions(style_control=False))

    assert snapshot is not None
    assert snapshot.style_categories() == set()
    assert snapshot.method["style"] is None


@pytest.mark.django_db
def test_a_failed_style_fit_still_writes_the_plain_snapshot(monkeypatch) -> None:
    verbose, terse, other = contender("verbose"), contender("terse"), contender("other")
    _length_decides(verbose, terse, other, 200)

    def diverge(*args: object, **kwargs: object) -> None:
        raise ConvergenceError("style-control Newton did not converge")

    monkeypatch.setattr("ratings.snapshots.compute_style_leaderboard", diverge)
    snapshot = recompute_ratings()

    assert snapshot is not None
    assert snapshot.rows.filter(style_control=False).count() == 3 * 3
    assert snapshot.style_categories() == set()


@pytest.mark.django_db
def test_style_rows_sum_every_turn_and_skip_battles_without_features() -> None:
    a, b = contender("alpha"), contender("bravo")
    live_votes([(a, b, "a", (100, 1, 2, 3), (50, 0, 0, 1))], categories=["coding"])
    # a second turn of the same battle adds to both sides' sums
    battle = Battle.objects.get()
    turn = Turn.objects.create(battle=battle, index=1, prompt="And then?")
    for side, who, length in (("a", a, 10), ("b", b, 20)):
        Completion.objects.create(
            turn=turn, side=side, contender=who, status="done", length_chars=length,
            header_count=1, list_count=0, bold_count=0,
        )  # fmt: skip
    # an answer without features (never finished) keeps its battle out of the style fit
    live_votes([(b, a, "b", (70, 0, 0, 0), (80, 0, 0, 0))], categories=["math"])
    Completion.objects.filter(length_chars=70).update(length_chars=None)
    vote(a, b, "tie", categories=["math"])  # imported-like: no completions at all

    battles = style_battles(aggregate_votes())

    assert battles.size == 1
    assert battles.style.tolist() == [[110, 2, 2, 3, 70, 1, 0, 1]]
    categories = aggregate_votes().counts.categories
    assert dict(zip(categories, battles.category_mask[:, 0].tolist(), strict=True)) == {
        "overall": True, "exclude_ties": True, "coding": True, "math": False,
    }  # fmt: skip
