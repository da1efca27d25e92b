"""Agreement with published leaderboards computed from the shared public data."""

import numpy as np
import pandas as pd

from ratings.datasets import load_votes
from ratings.stats import FitOptions, RatingScale, compute_leaderboard
from tests.ratings.helpers import SHARED_DATA, require_shared_data

SHARED = SHARED_DATA
PAIRS = SHARED / "chatbotarena_20240814_pairs.csv"
VOTES_140K = SHARED / "arena_140k_votes.csv.gz"
PUBLISHED = SHARED / "refs" / "published_bt_20240813.csv"
README_TOP10 = SHARED / "refs" / "arena_rank_readme_bt_140k_top10.csv"


def test_refit_matches_published_lmsys_leaderboard():
    require_shared_data(PAIRS, PUBLISHED)
    counts = load_votes(PAIRS).counts.subset(["overall"])
    board = compute_leaderboard(
        counts, FitOptions(scale=RatingScale(anchor=("mixtral-8x7b-instruct-v0.1", 1114.0)))
    )
    ours = {r["model"]: r["rating"] for r in board["categories"]["overall"]["rows"]}
    published = pd.read_csv(PUBLISHED).set_index("model")["rating"]
    common = [m for m in published.index if m in ours]
    assert len(common) >= 120
    diff = np.array([ours[m] for m in common]) - published.loc[common].to_numpy()
    # the published fit used battles up to two days earlier
    assert np.abs(diff).mean() < 0.3
    assert np.median(np.abs(diff)) < 0.15


def test_matches_arena_rank_documented_top10():
    require_shared_data(VOTES_140K, README_TOP10)
    counts = load_votes(VOTES_140K).counts.subset(["overall"])
    rows = compute_leaderboard(counts, FitOptions(ci="none"))["categories"]["overall"]["rows"]
    ours = {r["model"]: r["rating"] for r in rows}
    top = pd.read_csv(README_TOP10)
    assert [r["model"] for r in rows[:10]] == top["model"].tolist()
    mine = np.array([ours[m] for m in top["model"]])
    theirs = top["rating"].to_numpy()
    # measured from the mean of these ten (the documented values are rounded to 0.01)
    np.testing.assert_allclose(mine - mine.mean(), theirs - theirs.mean(), atol=0.02)
