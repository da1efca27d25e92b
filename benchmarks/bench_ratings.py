"""Speed of the ratings numerics, and of arena-rank on the same data where available.

Measures, for the public 140k-vote file and for a seeded synthetic file (2 million
battles, 150 contenders, written to a temporary directory): parse, Bradley-Terry fit,
sandwich intervals and a 100-round bootstrap per category, the whole leaderboard end
to end, and the style-control fit and 100-round bootstrap (synthetic style features).

Usage::

    .venv/bin/python benchmarks/bench_ratings.py \
        [--arena-rank-python /work/arena-rank-venv/bin/python]

The arena-rank runs go through ``benchmarks/arena_rank_runner.py`` in that interpreter
(its bootstrap pool uses the ``spawn`` start method; ``fork`` deadlocks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ratings.datasets import load_votes  # noqa: E402
from ratings.stats import (  # noqa: E402
    FitOptions,
    bootstrap_bradley_terry,
    bootstrap_style_control,
    compute_leaderboard,
    fit_bradley_terry,
    fit_style_control,
    sandwich_covariance,
    style_covariates,
)

DEFAULT_VOTES = ROOT / ".." / "shared" / "data" / "arena_140k_votes.csv.gz"
CRITERIA = [
    "complexity", "creativity", "domain_knowledge", "problem_solving", "real_world",
    "specificity", "technical_accuracy",
]  # fmt: skip


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall-clock time of ``repeat`` runs (the machine may be shared), and a result."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def write_synthetic(path: Path, n: int, m: int, seed: int) -> np.ndarray:
    """Arena-CSV layout with category tags; returns raw style counts (n, 8)."""
    rng = np.random.default_rng(seed)
    strengths = rng.normal(0.0, 0.7, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(-(strengths[a] - strengths[b])))
    u = rng.random(n)
    winner = np.where(u < 0.8 * p, "model_a", "model_b").astype(object)
    winner[u >= 0.8] = "tie"
    winner[u >= 0.9] = "both_bad"
    names = np.array([f"model-{k:03d}" for k in range(m)], dtype=object)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "model_a": names[a],
            "model_b": names[b],
            "winner": winner,
            "category_tag.math_v0.1.math": rng.random(n) < 0.1,
            "category_tag.if_v0.1.if": rng.random(n) < 0.2,
            "category_tag.creative_writing_v0.1.creative_writing": rng.random(n) < 0.1,
            "is_code": rng.random(n) < 0.15,
            "language": rng.choice(
                ["English", "Chinese", "Russian", "German"], n, p=[0.6, 0.2, 0.1, 0.1]
            ),
        }
    )
    for c in CRITERIA:
        frame[f"category_tag.criteria_v0.1.{c}"] = rng.random(n) < 0.7
    frame.to_csv(path, index=False)
    tokens = rng.lognormal(6.0, 0.8, (n, 2))
    markup = rng.poisson([1.0, 3.0, 4.0], size=(n, 2, 3)).reshape(n, 6)
    return np.column_stack([tokens[:, 0], markup[:, :3], tokens[:, 1], markup[:, 3:]])


def bench_bt(path: Path, rounds: int) -> dict[str, Any]:
    """Our timings on one file (all categories)."""
    parse_s, votes = timed(lambda: load_votes(path))
    counts = votes.counts
    per_cat: dict[str, dict[str, float]] = {}
    for c, name in enumerate(counts.categories):
        played = np.flatnonzero(counts.votes[c] > 0)
        wins = counts.wins[c][np.ix_(played, played)]
        ties = counts.ties[c][np.ix_(played, played)]
        fit_s, fit = timed(lambda w=wins, t=ties: fit_bradley_terry(w, t), repeat=3)
        sand_s, _ = timed(
            lambda w=wins, t=ties, f=fit: sandwich_covariance(w, t, f.params), repeat=3
        )
        boot: dict[str, float] = {}
        for scheme in ("poisson", "multinomial"):
            boot[scheme], _ = timed(
                lambda w=wins, t=ties, f=fit, r=scheme: bootstrap_bradley_terry(
                    w, t, f.params, rounds=rounds, seed=0, ridge=f.ridge, resample=r
                ),
                repeat=3,
            )
        per_cat[name] = {
            "models": played.size,
            "fit": fit_s,
            "sandwich": sand_s,
            "bootstrap": boot["poisson"],
            "bootstrap_multinomial": boot["multinomial"],
        }
    lb_s, _ = timed(lambda: compute_leaderboard(counts, FitOptions(ci="sandwich")), repeat=3)
    end_to_end_s, _ = timed(
        lambda: compute_leaderboard(load_votes(path).counts, FitOptions(ci="sandwich")), repeat=2
    )
    tracemalloc.start()
    compute_leaderboard(counts.subset(["overall"]), FitOptions(ci="sandwich"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "battles": int(counts.n_battles[0]),
        "models": len(counts.models),
        "parse": parse_s,
        "categories": per_cat,
        "leaderboard_all_categories_sandwich": lb_s,
        "end_to_end_parse_plus_leaderboard": end_to_end_s,
        "overall_fit_peak_bytes": peak,
        "battles_obj": votes.battles,
    }


def bench_style(
    votes_battles: Any, style_counts: np.ndarray, n: int, rounds: int
) -> dict[str, float]:
    a = votes_battles.model_a[:n]
    b = votes_battles.model_b[:n]
    outcome = votes_battles.outcome[:n]
    feats, _, _ = style_covariates(style_counts[:n])
    m = len(votes_battles.models)
    fit_s, fit = timed(lambda: fit_style_control(a, b, outcome, feats, m), repeat=2)
    boot_s, _ = timed(
        lambda: bootstrap_style_control(a, b, outcome, feats, fit, rounds=rounds, seed=0),
        repeat=2 if n <= 500_000 else 1,
    )
    return {"battles": n, "fit": fit_s, "bootstrap": boot_s}


def run_arena_rank(
    python: str, path: Path, categories: str, rounds: int, ci: str
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ar.json"
        cmd = [
            python, str(ROOT / "benchmarks" / "arena_rank_runner.py"), "--input", str(path),
            "--output", str(out), "--categories", categories, "--ci", ci,
            "--rounds", str(rounds),
        ]  # fmt: skip
        subprocess.run(cmd, check=True, cwd=ROOT)
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def report(title: str, ours: dict[str, Any], theirs: dict[str, Any] | None) -> None:
    print(f"\n## {title}: {ours['battles']:,} battles, {ours['models']} models")
    print(f"parse {ours['parse']:.3f} s")
    head = (
        f"{'category':24s} {'M':>4s} {'fit s':>7s} {'sandw s':>8s} {'boot s':>7s} {'(multi)':>7s}"
    )
    print(head + f" {'AR fit s':>9s} {'AR sand s':>10s} {'AR boot s':>10s} {'ratio':>7s}")
    for name, row in ours["categories"].items():
        ar = (theirs or {}).get("categories", {}).get(name, {})
        ratio = ar["bootstrap_s"] / row["bootstrap"] if "bootstrap_s" in ar else None
        cells = [
            f"{ar.get('fit_s', float('nan')):9.3f}",
            f"{ar.get('sandwich_s', float('nan')):10.3f}",
            f"{ar.get('bootstrap_s', float('nan')):10.3f}",
            f"{ratio:6.0f}x" if ratio else f"{'-':>7s}",
        ]
        print(f"{name:24s} {row['models']:4d} {row['fit']:7.4f} {row['sandwich']:8.4f}"
              f" {row['bootstrap']:7.4f} {row['bootstrap_multinomial']:7.4f} "
              + " ".join(cells))  # fmt: skip
    lb, e2e = ours["leaderboard_all_categories_sandwich"], ours["end_to_end_parse_plus_leaderboard"]
    print(f"leaderboard, all categories, sandwich: {lb:.3f} s")
    print(f"end to end (parse + leaderboard): {e2e:.3f} s")
    peak = ours["overall_fit_peak_bytes"] / 1e6
    print(f"peak traced memory of the overall leaderboard from counts: {peak:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES)
    parser.add_argument("--synthetic-battles", type=int, default=2_000_000)
    parser.add_argument("--synthetic-models", type=int, default=150)
    parser.add_argument("--style-battles", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arena-rank-python", help="interpreter with arena-rank installed")
    parser.add_argument(
        "--arena-rank-categories", default="overall",
        help="categories to time arena-rank on (its bootstrap takes minutes per category)",
    )  # fmt: skip
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}  (timings are best of 2-3 runs)")

    if args.votes.exists():
        ours = bench_bt(args.votes, args.rounds)
        theirs = None
        if args.arena_rank_python:
            theirs = run_arena_rank(
                args.arena_rank_python, args.votes, args.arena_rank_categories, args.rounds,
                "sandwich,bootstrap",
            )  # fmt: skip
        report(f"{args.votes.name}", ours, theirs)
    if args.skip_synthetic:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic_votes.csv"
        gen_s, style_counts = timed(
            lambda: write_synthetic(path, args.synthetic_battles, args.synthetic_models, args.seed)
        )
        print(f"\n(generated {path.name} in {gen_s:.1f} s, {path.stat().st_size / 1e6:.0f} MB)")
        ours = bench_bt(path, args.rounds)
        theirs = None
        if args.arena_rank_python:
            theirs = run_arena_rank(
                args.arena_rank_python, path, args.arena_rank_categories, args.rounds,
                "sandwich,bootstrap",
            )  # fmt: skip
        report("synthetic", ours, theirs)
        battles = ours["battles_obj"]
        for n in sorted({min(args.style_battles, args.synthetic_battles), args.synthetic_battles}):
            st = bench_style(battles, style_counts, n, args.rounds)
            print(f"style control, {st['battles']:,} battles: fit {st['fit']:.3f} s, "
                  f"{args.rounds}-round bootstrap {st['bootstrap']:.3f} s")  # fmt: skip
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
