"""Operators see why votes are excluded: kinds from stored reasons, counts per contender
and overall (operator page, admin filter), and the share on the public leaderboard."""

import pytest
from django.test import Client

from battles.exclusion_stats import exclusion_totals, exclusions_by_contender
from battles.exclusions import (
    KIND_LABELS,
    exclude_battles,
    exclusion_kind,
    exclusion_kind_expression,
    kind_q,
)
from battles.models import Battle
from ratings.snapshots import recompute_ratings
from tests.ratings.helpers import contender, vote

pytestmark = pytest.mark.django_db

REASONS = {
    "": "counted",
    'identity leak: side a names "ChatGPT"': "identity_leak",
    "identity leak: side b": "identity_leak",  # as stored before terms were named
    "identity question": "identity_question",
    "duplicate cap: 25 votes on this prompt already count": "duplicate_cap",
    "flagged voter: fisher p=1e-9": "flagged_voter",
    "failed side b": "failed_side",
    "operator: spam": "other",
}


@pytest.mark.parametrize(("reason", "kind"), REASONS.items())
def test_a_stored_reason_has_one_kind_in_python_and_in_sql(reason: str, kind: str) -> None:
    x, y = contender("xray"), contender("yankee")
    battle = vote(x, y, "a", excluded_reason=reason).battle

    assert exclusion_kind(reason) == kind
    in_sql = Battle.objects.annotate(kind=exclusion_kind_expression()).get(pk=battle.pk)
    assert in_sql.kind == kind
    assert list(Battle.objects.filter(kind_q(kind))) == [battle]


@pytest.fixture
def votes() -> dict[str, int]:
    x, y, z = contender("xray"), contender("yankee"), contender("zulu")
    vote(x, y, "a")
    vote(x, y, "b")
    vote(y, z, "a")
    vote(x, z, "a", excluded_reason='identity leak: side a names "Claude"')
    vote(y, z, "tie", excluded_reason="identity question")
    flagged = vote(x, y, "a").battle
    # h2's anomalous-voter filter excludes through the one helper, by its reason prefix.
    exclude_battles(Battle.objects.filter(pk=flagged.id), "flagged voter: p=1e-12 over 40 votes")
    return {"xray": x.pk, "yankee": y.pk, "zulu": z.pk}


def test_counts_overall_and_per_contender(votes: dict[str, int]) -> None:
    totals = exclusion_totals()
    assert (totals.votes, totals.counted, totals.excluded_total) == (6, 3, 3)
    assert {k: n for k, n in totals.excluded.items() if n} == {
        "identity_leak": 1,
        "identity_question": 1,
        "flagged_voter": 1,
    }
    by = exclusions_by_contender()
    assert (by[votes["xray"]].counted, by[votes["xray"]].excluded_total) == (2, 2)
    assert by[votes["zulu"]].excluded["identity_question"] == 1
    assert by[votes["yankee"]].excluded["flagged_voter"] == 1
    assert by[votes["yankee"]].votes == 5


def test_the_operator_page_is_for_staff_only(
    votes: dict[str, int], admin_client: Client, client: Client
) -> None:
    assert client.get("/operator/exclusions/").status_code == 302  # to the admin login

    page = admin_client.get("/operator/exclusions/")

    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Identity leak", "Identity question", "Duplicate cap", "Flagged voter"):
        assert label in html
    # One row per contender (by name), and the overall row.
    assert "Xray" in html and "All contenders" in html and "50.0%" in html


def test_the_admin_filters_battles_and_votes_by_kind(
    votes: dict[str, int], admin_client: Client
) -> None:
    battles = admin_client.get("/admin/battles/battle/", {"kind": "flagged_voter"})
    assert [b.excluded_reason for b in battles.context["cl"].result_list] == [
        "flagged voter: p=1e-12 over 40 votes"
    ]
    counted = admin_client.get("/admin/battles/vote/", {"kind": "counted"})
    assert len(counted.context["cl"].result_list) == 3
    assert KIND_LABELS["identity_leak"] in battles.content.decode()  # in the filter list


def test_the_public_leaderboard_states_the_share_excluded(
    votes: dict[str, int], client: Client
) -> None:
    recompute_ratings(force=True)

    board = client.get("/api/leaderboard").json()
    page = client.get("/leaderboard/").content.decode()

    assert board["excluded"] == {
        "votes": 6,
        "excluded": 3,
        "share": 0.5,
        "by_kind": {"identity_leak": 1, "identity_question": 1, "flagged_voter": 1},
    }
    assert "50.0% of 6 votes are kept but not counted in the ratings" in page
