"""Can a rigger move a contender, and does the anomalous-voter filter stop them?

A seeded simulation through the real filter (``ratings.stats.anomaly``, the functions
the periodic ``ratings.flag_voters_task`` runs) and the real Bradley-Terry fit and
sandwich intervals (``ratings.stats``):

* honest voters follow known strengths, each with a taste of their own (per-voter noise
  on every strength, sd ``--taste`` log-odds), ties a quarter of the time, a
  heavy-tailed number of votes per voter, human voting speed, most on an IP of their own
  and some behind shared (NAT) addresses;
* an attacker who recognises the target contender from its answers (perfectly: an upper
  bound on the attacker) and votes for it in every battle it appears in, with 250, 500
  and 1,000 votes in sessions of 5 votes -- from 5 IPs, or from one IP per session
  ("many IPs"); both at honest-looking speed, so only the statistics can see them.

For each attack it prints the target's rank and rating (Elo scale) without the attack,
with it, and with it after filtering, the CI half-width (95 %, sandwich), attack votes
caught and the share of honest voters wrongly flagged.

Usage::

    .venv/bin/python benchmarks/bench_rigging.py [--seed 1] [--seeds 3] [--voters 4000] \
        [--taste 0.2]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ratings.stats import (  # noqa: E402
    A_WINS,
    B_WINS,
    TIE,
    fit_bradley_terry,
    sandwich_covariance,
    to_rating_scale,
)
from ratings.stats.anomaly import AnomalyThresholds, EvidenceAccumulator  # noqa: E402
from ratings.stats.options import ELO_SCALE  # noqa: E402

N_MODELS = 20
TARGET_RANK = 12  # the attacker's model: in the lower middle of the board
SESSION_VOTES = 5
ATTACK_SIZES = (250, 500, 1000)
FEW_IPS = 5


@dataclass
class Votes:
    """One simulated vote log; ``honest`` marks the honest voters' votes."""

    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray
    voter: list[str]
    ip: list[str]
    seconds: np.ndarray
    day: np.ndarray
    honest: np.ndarray

    def __add__(self, other: Votes) -> Votes:
        return Votes(
            np.concatenate([self.a, other.a]),
            np.concatenate([self.b, other.b]),
            np.concatenate([self.outcome, other.outcome]),
            self.voter + other.voter,
            self.ip + other.ip,
            np.concatenate([self.seconds, other.seconds]),
            np.concatenate([self.day, other.day]),
            np.concatenate([self.honest, other.honest]),
        )

    def where(self, keep: np.ndarray) -> Votes:
        idx = np.flatnonzero(keep)
        return Votes(
            self.a[idx],
            self.b[idx],
            self.outcome[idx],
            [self.voter[i] for i in idx],
            [self.ip[i] for i in idx],
            self.seconds[idx],
            self.day[idx],
            self.honest[idx],
        )


def true_strengths() -> np.ndarray:
    # Best first: contender k has rank k + 1 (log-odds from +1.5 down to -1.5).
    return np.linspace(1.5, -1.5, N_MODELS)


def random_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    a = rng.integers(0, N_MODELS, n)
    b = (a + rng.integers(1, N_MODELS, n)) % N_MODELS
    return a, b


def human_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    # Reading two answers: median 12 s, a long tail; a few people are quick.
    return rng.lognormal(np.log(12.0), 0.8, n)


def honest_votes(rng: np.random.Generator, theta: np.ndarray, n_voters: int, taste: float) -> Votes:
    per_voter = np.minimum(np.ceil(rng.lognormal(np.log(6.0), 1.1, n_voters)), 300).astype(int)
    # 85 % of voters on an address of their own, the rest behind 40 shared ones.
    shared = rng.random(n_voters) < 0.15
    ips = np.where(shared, rng.integers(0, 40, n_voters), 1000 + np.arange(n_voters))
    a_parts, b_parts, o_parts, voters, addresses = [], [], [], [], []
    for v, n in enumerate(per_voter):
        a, b = random_pairs(rng, n)
        own = theta + rng.normal(0.0, taste, N_MODELS)
        p_a = expit(own[a] - own[b])
        outcome = np.where(rng.random(n) < p_a, A_WINS, B_WINS)
        outcome = np.where(rng.random(n) < 0.25, TIE, outcome)
        a_parts.append(a)
        b_parts.append(b)
        o_parts.append(outcome)
        voters += [f"honest-{v}"] * n
        addresses += [f"ip-{ips[v]}"] * n
    total = int(per_voter.sum())
    return Votes(
        np.concatenate(a_parts),
        np.concatenate(b_parts),
        np.concatenate(o_parts),
        voters,
        addresses,
        human_seconds(rng, total),
        rng.integers(0, 7, total),
        np.ones(total, dtype=bool),
    )


def attack_votes(rng: np.random.Generator, target: int, n: int, *, many_ips: bool) -> Votes:
    opponent = (target + rng.integers(1, N_MODELS, n)) % N_MODELS
    target_on_a = rng.random(n) < 0.5
    a = np.where(target_on_a, target, opponent)
    b = np.where(target_on_a, opponent, target)
    outcome = np.where(target_on_a, A_WINS, B_WINS)
    session = np.arange(n) // SESSION_VOTES
    ip = session if many_ips else session % FEW_IPS
    return Votes(
        a,
        b,
        outcome,
        [f"attack-{s}" for s in session],
        [f"attack-ip-{i}" for i in ip],
        human_seconds(rng, n),
        rng.integers(0, 7, n),
        np.zeros(n, dtype=bool),
    )


@dataclass(frozen=True)
class Board:
    rank: int
    rating: float
    half_width: float


def pair_counts(votes: Votes) -> tuple[np.ndarray, np.ndarray]:
    """Wins (winner, loser) and symmetric ties per pair of models."""
    wins = np.zeros((N_MODELS, N_MODELS))
    ties = np.zeros((N_MODELS, N_MODELS))
    decisive = votes.outcome != TIE
    winner = np.where(votes.outcome == A_WINS, votes.a, votes.b)
    loser = np.where(votes.outcome == A_WINS, votes.b, votes.a)
    np.add.at(wins, (winner[decisive], loser[decisive]), 1.0)
    np.add.at(ties, (votes.a[~decisive], votes.b[~decisive]), 1.0)
    return wins, ties + ties.T


def board(votes: Votes, target: int) -> Board:
    wins, ties = pair_counts(votes)
    fit = fit_bradley_terry(wins, ties)
    cov = sandwich_covariance(wins, ties, fit.params)
    ratings = to_rating_scale(fit.params)
    rank = 1 + int((ratings > ratings[target]).sum())
    half = 1.96 * float(np.sqrt(cov[target, target])) * ELO_SCALE.points_per_logit
    return Board(rank, float(ratings[target]), half)


def flagged_mask(votes: Votes, thresholds: AnomalyThresholds) -> tuple[np.ndarray, set[str]]:
    """Votes of every voter or IP the filter flags, as the periodic task does it, and the
    signals that flagged someone."""
    theta = fit_bradley_terry(*pair_counts(votes)).params
    flagged: set[tuple[int, str]] = set()
    signals: set[str] = set()
    for kind, keys in ((0, votes.voter), (1, votes.ip)):
        acc = EvidenceAccumulator(theta)
        acc.add(
            keys,
            votes.a,
            votes.b,
            votes.outcome,
            votes.seconds,
            votes.day,
            fast_seconds=thresholds.fast_seconds,
        )
        verdicts = acc.verdicts(thresholds)
        flagged |= {(kind, v.key) for v in verdicts}
        signals |= {f"{'voter' if kind == 0 else 'IP'} {v.signal}" for v in verdicts}
    mask = np.array(
        [
            (0, voter) in flagged or (1, ip) in flagged
            for voter, ip in zip(votes.voter, votes.ip, strict=True)
        ]
    )
    return mask, signals


def run(
    seed: int, n_voters: int, taste: float, thresholds: AnomalyThresholds
) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    theta = true_strengths()
    target = TARGET_RANK - 1
    honest = honest_votes(rng, theta, n_voters, taste)
    baseline = board(honest, target)
    honest_voters = set(honest.voter)
    rows: list[dict[str, object]] = []
    for many_ips in (False, True):
        for size in ATTACK_SIZES:
            attack = attack_votes(rng, target, size, many_ips=many_ips)
            votes = honest + attack
            attacked = board(votes, target)
            flagged, signals = flagged_mask(votes, thresholds)
            filtered = board(votes.where(~flagged), target)
            wrongly = {v for v, f in zip(votes.voter, flagged, strict=True) if f} & honest_voters
            rows.append(
                {
                    "variant": f"{'many IPs' if many_ips else f'{FEW_IPS} IPs'}",
                    "attack": size,
                    "honest_votes": len(honest.voter),
                    "baseline": baseline,
                    "attacked": attacked,
                    "filtered": filtered,
                    "caught": int((flagged & ~votes.honest).sum()),
                    "fp": len(wrongly) / len(honest_voters),
                    "honest_excluded": int((flagged & votes.honest).sum()),
                    "signals": ", ".join(sorted(signals)) or "-",
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=1, help="runs with seeds seed, seed+1, ...")
    parser.add_argument("--voters", type=int, default=4000, help="honest voters")
    parser.add_argument(
        "--taste", type=float, default=0.2, help="sd of each honest voter's own strengths"
    )
    args = parser.parse_args()
    thresholds = AnomalyThresholds()
    print(f"thresholds: {thresholds}")
    header = (
        "| seed | attack | IPs | target rank: none → attacked → filtered "
        "| rating shift attacked / filtered | CI half-width | attack votes caught "
        "| honest voters flagged | signals that fired |"
    )
    print(header)
    print("|" + "---|" * 9)
    for seed in range(args.seed, args.seed + args.seeds):
        started = time.perf_counter()
        for row in run(seed, args.voters, args.taste, thresholds):
            base, att, fil = row["baseline"], row["attacked"], row["filtered"]
            assert isinstance(base, Board) and isinstance(att, Board) and isinstance(fil, Board)
            print(
                f"| {seed} | {row['attack']} | {row['variant']} "
                f"| {base.rank} → {att.rank} → {fil.rank} "
                f"| {att.rating - base.rating:+.1f} / {fil.rating - base.rating:+.1f} "
                f"| {base.half_width:.1f} | {row['caught']}/{row['attack']} "
                f"| {row['fp']:.2%} ({row['honest_excluded']} votes) | {row['signals']} |"
            )
        print(
            f"seed {seed}: {row['honest_votes']} honest votes, "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
