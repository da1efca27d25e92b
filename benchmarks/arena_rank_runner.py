"""Run LMArena's ``arena-rank`` on a vote file, per category, and dump JSON.

Runs under a separate interpreter that has ``arena-rank`` installed (it pins its own
jax/numpy), e.g. ``/work/arena-rank-venv/bin/python benchmarks/arena_rank_runner.py``.
Category membership comes from our reader so that both sides rate the same battles;
the fitting is arena-rank's own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratings.datasets import load_votes

OUTCOMES = np.array(["model_a", "model_b", "tie", "both_bad"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--categories", default="all")
    parser.add_argument(
        "--ci", default="sandwich", help="comma list of sandwich, bootstrap (or none)"
    )
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--output", required=True)
    parser.add_argument(
        "--tight",
        action="store_true",
        help="run arena-rank's L-BFGS to convergence (ftol=0, gtol=1e-12, 10000 iterations) "
        "instead of its defaults (ftol=gtol=1e-9, 1000 iterations)",
    )
    args = parser.parse_args()

    from arena_rank.models.bradley_terry import BradleyTerry
    from arena_rank.utils.data_utils import PairDataset

    t0 = time.perf_counter()
    votes = load_votes(args.input)
    battles = votes.battles
    assert battles is not None, "arena-rank runner needs per-battle input"
    names = np.array(battles.models)
    frame = pd.DataFrame(
        {
            "model_a": names[battles.model_a],
            "model_b": names[battles.model_b],
            "winner": OUTCOMES[battles.outcome],
        }
    )
    parse_s = time.perf_counter() - t0
    wanted = battles.categories if args.categories == "all" else args.categories.split(",")
    result: dict[str, object] = {"parse_s": parse_s, "categories": {}}
    for cat in wanted:
        mask = battles.category_mask[battles.categories.index(cat)]
        sub = frame[mask]
        t = time.perf_counter()
        dataset = PairDataset.from_pandas(sub)
        tol = {"ftol": 0.0, "gtol": 1e-12, "max_iter": 10000} if args.tight else {}
        model = BradleyTerry(n_competitors=len(dataset.competitors), **tol)
        model.fit(dataset)
        fit_s = time.perf_counter() - t
        out: dict[str, object] = {"fit_s": fit_s}
        scale = model.alpha
        out["ratings"] = [float(x) * scale + 1000.0 for x in model.params["ratings"]]
        for method in [m for m in args.ci.split(",") if m != "none"]:
            t = time.perf_counter()
            res = model.compute_ratings_and_cis(
                dataset, ci_method=method, num_bootstrap=args.rounds, n_jobs=-1
            )
            out[f"{method}_s"] = time.perf_counter() - t
            out[f"{method}_lower"] = [float(x) for x in res["rating_lower"]]
            out[f"{method}_upper"] = [float(x) for x in res["rating_upper"]]
        if "sandwich_lower" in out:
            out["lower"], out["upper"] = out["sandwich_lower"], out["sandwich_upper"]
        out["models"] = list(dataset.competitors)
        result["categories"][cat] = out  # type: ignore[index]
        timing = {k: round(v, 3) for k, v in out.items() if k.endswith("_s")}
        print(f"{cat}: {timing}", file=sys.stderr, flush=True)
    Path(args.output).write_text(json.dumps(result))


if __name__ == "__main__":
    mp.set_start_method("spawn")
    main()
