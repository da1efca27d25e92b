"""Compare our leaderboard with arena-rank's (JSON from ``arena_rank_runner.py``).

For every category and every contender with at least ``--min-votes`` votes there, the
rating minus the mean over those contenders is compared, as are sandwich CI
half-widths (relative difference).

Usage::

    /work/arena-rank-venv/bin/python benchmarks/arena_rank_runner.py \
        --input ../shared/data/arena_140k_votes.csv.gz --output /tmp/ar.json
    .venv/bin/python benchmarks/compare_arena_rank.py \
        --input ../shared/data/arena_140k_votes.csv.gz --reference /tmp/ar.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.datasets import load_votes
from ratings.stats import FitOptions, compute_leaderboard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--min-votes", type=int, default=50)
    args = parser.parse_args()
    ref = json.loads(Path(args.reference).read_text())["categories"]
    ours = compute_leaderboard(load_votes(args.input).counts, FitOptions(ci="sandwich"))[
        "categories"
    ]
    worst_r, worst_w = 0.0, 0.0
    print(f"{'category':24s} {'models':>6s} {'max|Δrating|':>13s} {'max rel Δhalfwidth':>19s}")
    for cat, r in ref.items():
        rows = {row["model"]: row for row in ours[cat]["rows"]}
        keep = [k for k, m in enumerate(r["models"]) if rows[m]["votes"] >= args.min_votes]
        names = [r["models"][k] for k in keep]
        theirs = np.array([r["ratings"][k] for k in keep])
        mine = np.array([rows[m]["rating"] for m in names])
        d_rating = np.abs((mine - mine.mean()) - (theirs - theirs.mean())).max()
        hw_theirs = np.array([(r["upper"][k] - r["lower"][k]) / 2 for k in keep])
        hw_mine = np.array([(rows[m]["ci_upper"] - rows[m]["ci_lower"]) / 2 for m in names])
        d_width = np.abs(hw_mine / hw_theirs - 1).max()
        worst_r, worst_w = max(worst_r, d_rating), max(worst_w, d_width)
        print(f"{cat:24s} {len(keep):6d} {d_rating:13.2e} {100 * d_width:18.2e}%")
    print(f"worst: rating {worst_r:.2e} points, half-width {100 * worst_w:.2e}%")


if __name__ == "__main__":
    main()
