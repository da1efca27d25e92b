"""recompute_ratings writes a snapshot: rows per category, matrices, anchor, lease."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from arena.models import Contender
from ratings.models import CategoryResult, RatingRow, RatingSnapshot, RecomputeLease
from ratings.snapshots import (
    RecomputeBusy,
    RecomputeOptions,
    UnknownAnchor,
    recompute_ratings,
)
from tests.ratings.helpers import contender, vote


def _votes() -> None:
    strong, middle, weak = contender("strong"), contender("middle"), contender("weak")
    for _ in range(8):
        vote(strong, middle, "a", categories=["coding"])
        vote(middle, weak, "a", categories=["coding"])
        vote(strong, weak, "a")
    for _ in range(3):
        vote(middle, strong, "a", categories=["coding"])
        vote(weak, middle, "a")
        vote(weak, strong, "tie")


@pytest.mark.django_db
def test_recompute_writes_ranked_rows_for_each_category() -> None:
    _votes()

    snapshot = recompute_ratings()

    assert snapshot is not None
    assert snapshot.votes == 33
    assert snapshot.categories() == ["overall", "exclude_ties", "coding"]
    overall = list(snapshot.visible_rows("overall", staff=False))
    assert [r.contender.codename for r in overall] == ["strong", "middle", "weak"]
    assert [r.rank for r in overall] == [1, 2, 3]
    assert all(r.ci_lower is not None and r.ci_lower < r.rating < r.ci_upper for r in overall)
    assert overall[0].votes == 8 + 8 + 3 + 3
    coding_votes = sum(r.votes for r in snapshot.visible_rows("coding", staff=False))
    assert coding_votes == 2 * 19  # each battle counts for both sides
    assert snapshot.method["ci"] == "sandwich"
    assert snapshot.last_vote_id > 0


@pytest.mark.django_db
def test_matrices_follow_rank_order() -> None:
    _votes()

    snapshot = recompute_ratings()

    assert snapshot is not None
    result = CategoryResult.objects.get(snapshot=snapshot, category="overall")
    by_id = Contender.objects.in_bulk(result.contenders)
    codenames = [by_id[c].codename for c in result.contenders]
    assert codenames == ["strong", "middle", "weak"]
    # strong vs middle: 8 + 3 battles; strong won 8 of them.
    assert result.battles[0][1] == 11
    assert result.win_rate[0][1] == pytest.approx(8 / 11, abs=1e-4)
    assert result.win_rate[0][0] is None


@pytest.mark.django_db
def test_anchor_pins_a_contender_by_codename_or_public_name() -> None:
    _votes()

    by_codename = recompute_ratings(RecomputeOptions(anchor=("weak", 1200.0)), force=True)
    by_name = recompute_ratings(RecomputeOptions(anchor=("Middle", 900.0)), force=True)

    assert by_codename is not None and by_name is not None
    weak = by_codename.rows.get(category="overall", contender__codename="weak")
    middle = by_name.rows.get(category="overall", contender__codename="middle")
    assert weak.rating == pytest.approx(1200.0)
    assert middle.rating == pytest.approx(900.0)
    with pytest.raises(UnknownAnchor):
        recompute_ratings(RecomputeOptions(anchor=("nobody", 1000.0)), force=True)


@pytest.mark.django_db
def test_second_recompute_is_refused_while_one_holds_the_lease() -> None:
    _votes()
    assert RecomputeLease.claim("someone-else", timedelta(minutes=5))

    with pytest.raises(RecomputeBusy):
        recompute_ratings()
    assert not RatingSnapshot.objects.exists()

    RecomputeLease.release("someone-else")
    assert recompute_ratings() is not None


@pytest.mark.django_db
def test_command_writes_snapshot_and_rejects_bad_anchor() -> None:
    _votes()

    call_command("recompute_ratings", "--ci", "bootstrap", "--rounds", "20", "--seed", "1")
    with pytest.raises(CommandError, match="MODEL=RATING"):
        call_command("recompute_ratings", "--anchor", "weak")

    snapshot = RatingSnapshot.objects.get()
    assert snapshot.method["ci"] == "bootstrap"
    assert snapshot.method["rounds"] == 20


@pytest.mark.django_db
def test_old_snapshots_are_thinned_and_old_matrices_dropped() -> None:
    # given: three snapshots on one day a week ago, one yesterday, then a new one now
    x, y = contender("xray"), contender("yankee")
    week_ago = timezone.now().replace(hour=12) - timedelta(days=7)
    stamps = [week_ago, week_ago + timedelta(hours=1), week_ago + timedelta(hours=2)]
    stamps.append(timezone.now() - timedelta(days=1))
    for at in stamps:
        vote(x, y, "a")
        snap = recompute_ratings()
        assert snap is not None
        RatingSnapshot.objects.filter(pk=snap.pk).update(computed_at=at)
    vote(y, x, "a")

    # when
    latest = recompute_ratings()

    # then: the first of the old day survives, the recent one and the new one too
    assert latest is not None
    kept = list(
        RatingSnapshot.objects.order_by("computed_at").values_list("computed_at", flat=True)
    )
    assert kept == [stamps[0], stamps[3], latest.computed_at]
    assert RatingRow.objects.filter(snapshot__computed_at=stamps[0]).exists()
    assert set(CategoryResult.objects.values_list("snapshot_id", flat=True)) == {latest.pk}
