"""How many votes active sampling saves over uniform sampling, in simulation.

An arena of the 53 models of the public 140k-vote file, with their fitted overall
Bradley-Terry ratings as the truth, plus a newcomer (``chocolate``) placed
``--newcomer-margin`` points above the best of them. Votes are Bradley-Terry draws from
the true ratings (no ties). The ratings are refitted every 2 % of the votes so far (at
least every ``--min-step`` votes), as the arena's periodic snapshot would; between
refits the sampler's pair distribution is fixed, as between two snapshots.

Policies: ``uniform`` (every pair alike) and ``active`` (the arena's rule,
``ratings.stats.active``: a share ``1 - floor`` of the draws in proportion to the
reduction of the CI half-widths of the contenders that could rank in the top
``--focus`` from one more vote, the rest uniform; a pair with an unrated contender
scores the maximum). The published fit weights each vote by the inverse of its
pair's sampling probability (as the arena does), with sandwich intervals.

Measured per run, in votes, each both when first reached and from when on it held at
every later refit up to ``--horizon`` votes (a noisy criterion is first met by luck):

(a) until the newcomer is confirmed first: the literal "its rank upper bound is 1"
    holds from its first few votes (a wide interval is never below anyone), so the
    measure is its lower bound exceeding every other contender's upper bound, i.e.
    every other contender's rank upper bound is at least 2;
(b) until every contender of the fitted top 10 has a CI half-width below 10 points.

Usage::

    .venv/bin/python benchmarks/bench_sampling.py [--runs 20] [--seed 0]
        [--newcomer-margin 30] [--focus 10] [--floor 0.2] [--horizon 300000]
        [--weighting inverse-probability|none]

Prints the median (and quartiles) over the runs for each policy and the saving.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ratings.datasets import load_votes  # noqa: E402
from ratings.stats.active import active_pair_scores, mix_with_floor  # noqa: E402
from ratings.stats.bradley_terry import fit_bradley_terry  # noqa: E402
from ratings.stats.exceptions import RegularizationWarning  # noqa: E402
from ratings.stats.intervals import sandwich_covariance  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "arena_140k_votes.csv.gz"
ELO = 400.0 / math.log(10.0)
Z = 1.959963984540054
HESSIAN_RIDGE = 1e-5

FloatArray = NDArray[np.float64]


def true_strengths(path: Path, margin: float) -> FloatArray:
    """Natural log-odds strengths: the 140k file's overall fit, then the newcomer (last)."""
    loaded = load_votes(path)
    counts = loaded.counts
    c = counts.category_index("overall")
    played = np.flatnonzero(counts.votes[c] > 0)
    sub = np.ix_(played, played)
    theta = fit_bradley_terry(counts.wins[c][sub], counts.ties[c][sub]).params
    return np.append(theta, theta.max() + margin / ELO)


@dataclass
class Arena:
    """Running counts of one simulated arena: raw, weighted and squared-weight wins."""

    wins: FloatArray
    weighted: FloatArray
    squared: FloatArray

    @classmethod
    def empty(cls, n: int) -> Arena:
        return cls(np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n)))


@dataclass(frozen=True)
class Fit:
    rating: FloatArray  # Elo scale, mean 0
    half: FloatArray  # CI half-widths, points
    played: NDArray[np.intp]  # contenders with votes (indices into the arena)
    theta: FloatArray


def fit(arena: Arena, *, weighted: bool = True) -> Fit | None:
    """(Weighted) Bradley-Terry with sandwich intervals over the contenders with votes."""
    total = arena.wins + arena.wins.T
    played = np.flatnonzero(total.sum(axis=1) > 0)
    if played.size < 2:
        return None
    sub = np.ix_(played, played)
    raw = arena.wins[sub]
    w, w2 = (arena.weighted[sub], arena.squared[sub]) if weighted else (raw, raw)
    # Normalise: the weights' total equals the vote count (PairCounts.fit_counts).
    scale = raw.sum() / w.sum()
    w, w2 = w * scale, w2 * scale**2
    zeros = np.zeros_like(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RegularizationWarning)
        result = fit_bradley_terry(w, zeros)
    cov = sandwich_covariance(
        w,
        zeros,
        result.params,
        ridge=result.ridge,
        hessian_ridge=HESSIAN_RIDGE,
        wins_sq=w2,
        ties_sq=zeros,
    )
    half = Z * np.sqrt(np.maximum(np.diag(cov), 0.0)) * ELO
    return Fit(result.params * ELO, half, played, result.params)


def pair_distribution(
    policy: str, arena: Arena, current: Fit | None, n: int, focus: int, floor: float
) -> FloatArray:
    """Upper-triangular pair probabilities of ``policy`` given the latest fit."""
    base = np.triu(np.ones((n, n)), k=1)
    if policy == "uniform" or current is None:
        return base / base.sum()
    played = current.played
    sub = np.ix_(played, played)
    known = active_pair_scores(
        arena.wins[sub], np.zeros((played.size, played.size)), current.theta, top=focus
    )
    # A pair with an unrated contender scores the maximum, as in battles.sampling.
    scores = np.full((n, n), known.max() if known.max() > 0 else 1.0)
    scores[sub] = known
    return mix_with_floor(base, scores, floor)


def criteria(current: Fit, newcomer: int) -> tuple[bool, bool]:
    """(a) newcomer's lower bound above every other upper bound; (b) top-10 half < 10."""
    where = np.flatnonzero(current.played == newcomer)
    separated = False
    if where.size:
        k = int(where[0])
        lower = current.rating - current.half
        upper = current.rating + current.half
        others = np.delete(upper, k)
        separated = bool(lower[k] > others.max())
    top10 = np.argsort(-current.rating)[:10]
    narrow = current.played.size >= 10 and bool(np.all(current.half[top10] < 10.0))
    return separated, narrow


def simulate(
    policy: str,
    theta: FloatArray,
    rng: np.random.Generator,
    *,
    focus: int,
    floor: float,
    min_step: int,
    horizon: int,
    weighted: bool = True,
) -> NDArray[np.float64]:
    """One run to ``horizon`` votes: for (a) and (b), the votes when first reached and
    from when on they held at every later refit (``inf``: not by the horizon)."""
    n = theta.size
    newcomer = n - 1
    iu = np.triu_indices(n, k=1)
    n_pairs = iu[0].size
    p_win = 1.0 / (1.0 + np.exp(-(theta[iu[0]] - theta[iu[1]])))
    arena = Arena.empty(n)
    current: Fit | None = None
    votes = 0
    first = [math.inf, math.inf]
    held_since = [math.inf, math.inf]
    while votes < horizon:
        prob = pair_distribution(policy, arena, current, n, focus, floor)[iu]
        prob = prob / prob.sum()
        step = max(min_step, round(0.02 * votes))
        drawn = rng.multinomial(step, prob)
        first_wins = rng.binomial(drawn, p_win)
        # The inverse-probability weight, relative to a uniform draw (Battle.rating_weight).
        weight = 1.0 / (n_pairs * prob)
        for matrix, (x, y) in ((first_wins, iu), (drawn - first_wins, (iu[1], iu[0]))):
            arena.wins[x, y] += matrix
            arena.weighted[x, y] += matrix * weight
            arena.squared[x, y] += matrix * weight**2
        votes += step
        current = fit(arena, weighted=weighted)
        if current is None:
            continue
        for k, ok in enumerate(criteria(current, newcomer)):
            if ok:
                first[k] = min(first[k], votes)
                held_since[k] = min(held_since[k], votes)
            else:
                held_since[k] = math.inf
    return np.array([first[0], held_since[0], first[1], held_since[1]], dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--newcomer-margin", type=float, default=30.0, help="points above #1")
    parser.add_argument("--focus", type=int, default=10, help="ARENA_ACTIVE_FOCUS")
    parser.add_argument("--floor", type=float, default=0.2, help="ARENA_ACTIVE_FLOOR")
    parser.add_argument("--min-step", type=int, default=200, help="fewest votes between refits")
    parser.add_argument("--horizon", type=int, default=300_000, help="votes per run")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--weighting",
        choices=["inverse-probability", "none"],
        default="inverse-probability",
        help="the fit whose intervals are measured (the arena publishes the weighted one)",
    )
    args = parser.parse_args()

    theta = true_strengths(args.data, args.newcomer_margin)
    print(
        f"{theta.size} contenders (newcomer {args.newcomer_margin:g} points above #1), "
        f"{args.runs} runs, focus top {args.focus}, floor {args.floor:g}, "
        f"weighting {args.weighting}"
    )
    results: dict[str, NDArray[np.float64]] = {}
    for policy in ("uniform", "active"):
        started = time.perf_counter()
        runs = []
        for run in range(args.runs):
            # The same seed per run for both policies: paired comparisons.
            rng = np.random.default_rng([args.seed, run])
            runs.append(
                simulate(
                    policy,
                    theta,
                    rng,
                    focus=args.focus,
                    floor=args.floor,
                    min_step=args.min_step,
                    horizon=args.horizon,
                    weighted=args.weighting != "none",
                )
            )
        results[policy] = np.array(runs)
        print(f"  {policy}: {args.runs} runs in {time.perf_counter() - started:.1f}s")
    labels = (
        "(a) newcomer confirmed #1, first",
        "(a) ... and from then on",
        "(b) top-10 half < 10, first",
        "(b) ... and from then on",
    )
    print(f"\n{'votes until':<34} {'uniform':>26} {'active':>26} {'saving':>7}")
    for k, label in enumerate(labels):
        cells = []
        medians = []
        for policy in ("uniform", "active"):
            column = results[policy][:, k]
            # No interpolation: a median of "never" stays inf rather than NaN.
            q1, med, q3 = np.quantile(column, [0.25, 0.5, 0.75], method="inverted_cdf")
            medians.append(med)
            missed = int(np.isinf(column).sum())
            note = f" ({missed} never)" if missed else ""
            cells.append(f"{med:,.0f} [{q1:,.0f}-{q3:,.0f}]{note}")
        saving = 1.0 - medians[1] / medians[0] if math.isfinite(medians[0]) else math.nan
        print(f"{label:<34} {cells[0]:>26} {cells[1]:>26} {saving:>7.0%}")
    print(
        "\nmedian [quartiles] over the runs; saving = 1 - active / uniform (medians); "
        f"'never': not by {args.horizon:,} votes"
    )


if __name__ == "__main__":
    main()
