"""Each snapshot carries what the sampler needs; the weighted fit uses the stored weights."""

import numpy as np
import pytest
from django.core.management import call_command
from django.test import override_settings

from ratings.models import RatingRow, RatingSnapshot
from ratings.sampling_state import current_sampling_state, forget_sampling_state
from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.ratings.helpers import contender, vote

pytestmark = pytest.mark.django_db


def _arena() -> dict[str, object]:
    """Three well-measured contenders and a newcomer with a handful of votes."""
    models = {n: contender(n) for n in ["alpha", "bravo", "charlie", "newcomer"]}
    for x, y in [("alpha", "bravo"), ("bravo", "charlie"), ("alpha", "charlie")]:
        for _ in range(30):
            vote(models[x], models[y], "a")
        for _ in range(20):
            vote(models[y], models[x], "a")
    vote(models["newcomer"], models["alpha"], "a")
    vote(models["bravo"], models["newcomer"], "a")
    return models


def test_recompute_stores_votes_and_pair_scores_for_the_sampler() -> None:
    models = _arena()

    snapshot = recompute_ratings()

    assert snapshot is not None
    state = current_sampling_state()
    assert state is not None and state.snapshot_id == snapshot.pk
    ids = {name: m.pk for name, m in models.items()}  # type: ignore[attr-defined]
    assert state.votes_of(ids["alpha"]) == 101
    assert state.votes_of(ids["newcomer"]) == 2
    scores = state.scores
    assert scores.max() == pytest.approx(1.0)
    np.testing.assert_allclose(scores, scores.T)
    newcomer = state.index[ids["newcomer"]]
    alpha, bravo = state.index[ids["alpha"]], state.index[ids["bravo"]]
    # the newcomer's pairs are the useful ones
    assert scores[newcomer].max() == pytest.approx(1.0)
    assert scores[alpha, bravo] < 0.2


@override_settings(ARENA_SAMPLING_STATE_TTL=3600.0)
def test_the_state_is_cached_and_only_the_latest_snapshot_keeps_it() -> None:
    _arena()
    first = recompute_ratings()
    assert first is not None
    cached = current_sampling_state()

    # a later read within the TTL is the same object, without a query
    assert current_sampling_state() is cached
    second = recompute_ratings(force=True)
    assert second is not None

    # recompute in this process drops the cache; the old snapshot's state is cleared
    assert current_sampling_state().snapshot_id == second.pk  # type: ignore[union-attr]
    assert RatingSnapshot.objects.get(pk=first.pk).sampling == {}
    assert RatingSnapshot.objects.get(pk=second.pk).sampling["contenders"]


def test_no_snapshot_means_no_state() -> None:
    forget_sampling_state()
    assert current_sampling_state() is None


def _skewed_votes() -> None:
    """A pair the sampler favoured 10x (weight 0.1 each) whose votes go one way."""
    a, b, c = contender("alpha"), contender("bravo"), contender("charlie")
    for _ in range(40):
        vote(a, b, "a", pair_probability=0.9, pairs_allowed=3)  # weight 1 / 2.7
    for _ in range(10):
        vote(b, a, "a", pair_probability=0.9, pairs_allowed=3)
    for x, y in [(a, c), (b, c)]:
        for _ in range(6):
            vote(x, y, "a", pair_probability=0.05, pairs_allowed=3)  # weight 6.67
        for _ in range(4):
            vote(y, x, "a", pair_probability=0.05, pairs_allowed=3)


def _ratings(snapshot: RatingSnapshot) -> dict[str, float]:
    rows = RatingRow.objects.filter(snapshot=snapshot, category="overall")
    return {r.contender.codename: r.rating for r in rows.select_related("contender")}


def test_weighted_and_unweighted_snapshots_differ_and_say_so() -> None:
    _skewed_votes()

    weighted = recompute_ratings()
    unweighted = recompute_ratings(RecomputeOptions(weighted=False), force=True)

    assert weighted is not None and unweighted is not None
    assert weighted.method["weighting"] == "inverse pair probability"
    assert unweighted.method["weighting"] == "none"
    w, u = _ratings(weighted), _ratings(unweighted)
    assert abs(w["alpha"] - u["alpha"]) > 1.0
    # votes are counted, not weighed
    rows = RatingRow.objects.filter(snapshot=weighted, category="overall")
    assert sorted(r.votes for r in rows) == [20, 60, 60]


def test_the_command_can_switch_weighting_off() -> None:
    _skewed_votes()

    call_command("recompute_ratings", "--weighting", "none", stdout=None)

    snapshot = RatingSnapshot.latest_or_none()
    assert snapshot is not None and snapshot.method["weighting"] == "none"
