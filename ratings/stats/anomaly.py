"""Anomalous-voter scores: how unlikely a voter's (or an IP's) votes are under the fit.

Pure functions over numpy arrays, no Django and no I/O. The statistical signals follow
the Chatbot Arena paper (Chiang et al. 2024, §5.2): each vote gets a p-value under the
current Bradley-Terry fit and a voter's p-values are combined with Fisher's method. Three
more signals catch what Fisher's method alone is blind to:

* favouritism -- a rigger votes for one contender whenever it appears. Each vote's
  p-value is then unremarkable (the target often *is* the favourite), but the voter's
  score for that contender, summed over its battles, is far above what the fit expects;
  a two-sided normal test per (voter, contender).
* side bias -- a bot that always clicks "A" (binomial test on decisive votes).
* speed and volume -- most votes cast within seconds of the last answer token (nobody
  reads two answers that fast), or implausibly many votes in one day.

The statistical verdicts use a Bonferroni correction over every test run in one pass,
so with ``alpha = 0.01`` an honest population rarely loses even one voter.

:class:`EvidenceAccumulator` folds votes in chunk by chunk (a periodic task streams them
from the database), keeping one small record per group (voter id or IP hash) -- memory
grows with the number of voters, not of votes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from scipy.stats import binom, chi2, norm

from ratings.stats.counts import A_WINS, B_WINS, FloatArray

IntArray = NDArray[np.int64]

SIGNAL_OUTCOMES = "outcomes"
SIGNAL_FAVOURITISM = "favouritism"
SIGNAL_SIDE = "side"
SIGNAL_SPEED = "speed"
SIGNAL_VOLUME = "volume"
SIGNALS = (SIGNAL_OUTCOMES, SIGNAL_FAVOURITISM, SIGNAL_SIDE, SIGNAL_SPEED, SIGNAL_VOLUME)


def vote_pvalues(theta_a: FloatArray, theta_b: FloatArray, outcome: IntArray) -> FloatArray:
    """Each vote's p-value under the Bradley-Terry fit.

    The probability of an outcome at least as unlikely as the one observed: picking the
    side the fit gives probability ``q < 1/2`` has p-value ``q``, picking the favourite
    (or a coin flip) has p-value 1. The fit models no ties, so a tie or "both bad" is
    uninformative (p-value 1). Under the fit ``P(p <= x) <= x``: the p-values are valid,
    if conservative (discrete).

    Parameters
    ----------
    theta_a, theta_b : ndarray, shape (N,)
        Log-odds strengths of the contenders on sides a and b.
    outcome : ndarray of int, shape (N,)
        Outcome codes (``A_WINS``, ``B_WINS``, ``TIE``, ``BOTH_BAD``).

    Returns
    -------
    ndarray, shape (N,)
        P-values in (0, 1].
    """
    p_a = expit(np.asarray(theta_a, dtype=np.float64) - np.asarray(theta_b, dtype=np.float64))
    outcome = np.asarray(outcome)
    chosen = np.where(outcome == A_WINS, p_a, np.where(outcome == B_WINS, 1.0 - p_a, 1.0))
    pvalues: FloatArray = np.where(chosen < 0.5, chosen, 1.0)
    # A probability that underflows to 0 would make -log infinite.
    return np.maximum(pvalues, np.finfo(np.float64).tiny)


def fisher_statistic(pvalues: FloatArray) -> float:
    """Fisher's statistic ``-2 sum(log p)`` of a set of p-values."""
    return float(-2.0 * np.log(np.asarray(pvalues, dtype=np.float64)).sum())


def fisher_pvalue(statistic: FloatArray | float, k: IntArray | int) -> FloatArray:
    """Combined p-value of ``k`` independent p-values with Fisher statistic ``statistic``.

    Under the null the statistic is chi-square with ``2k`` degrees of freedom.

    Parameters
    ----------
    statistic : float or ndarray
        ``-2 sum(log p_i)`` per group.
    k : int or ndarray of int
        Number of p-values per group (> 0).

    Returns
    -------
    ndarray
        ``P(chi2(2k) >= statistic)``.
    """
    return np.asarray(chi2.sf(statistic, 2 * np.asarray(k)), dtype=np.float64)


def side_bias_pvalue(a_picks: IntArray | int, b_picks: IntArray | int) -> FloatArray:
    """Two-sided binomial test that decisive votes pick side a and b equally often.

    Sides are assigned at random per battle, so an honest voter's picks are
    Binomial(n, 1/2) whatever the contenders; ``2 * min(tail)``, capped at 1.
    """
    a = np.asarray(a_picks, dtype=np.int64)
    n = a + np.asarray(b_picks, dtype=np.int64)
    low = binom.cdf(np.minimum(a, n - a), n, 0.5)
    return np.asarray(np.minimum(1.0, 2.0 * low), dtype=np.float64)


def favouritism_pvalue(score: FloatArray, expected: FloatArray, variance: FloatArray) -> FloatArray:
    """Two-sided normal test of a voter's total score for one contender against the fit.

    ``score`` sums the contender's results in the voter's battles (win 1, tie 1/2, loss
    0), ``expected`` the fit's win probabilities and ``variance`` their ``p (1 - p)``.
    """
    score = np.asarray(score, dtype=np.float64)
    sd = np.sqrt(np.maximum(np.asarray(variance, dtype=np.float64), 1e-12))
    z = np.abs(score - np.asarray(expected, dtype=np.float64)) / sd
    return np.asarray(2.0 * norm.sf(z), dtype=np.float64)


@dataclass(frozen=True)
class AnomalyThresholds:
    """When a group's evidence becomes a verdict.

    Attributes
    ----------
    alpha : float
        Family-wise error rate of each statistical signal per pass (Bonferroni over
        every test of that signal).
    min_votes : int
        Votes a group needs before any verdict (per contender, for favouritism).
    fast_seconds : float
        A vote cast sooner than this after the last answer token is "fast".
    fast_share : float
        Share of fast votes (among votes with a known answer time) that flags a group.
    max_votes_per_day : int
        More votes than this in one UTC day flags a group (0: never).
    """

    alpha: float = 0.01
    min_votes: int = 20
    fast_seconds: float = 2.0
    fast_share: float = 0.8
    max_votes_per_day: int = 0


@dataclass(frozen=True)
class Verdict:
    """One flagged group: which signal, its (Bonferroni-uncorrected) p-value or score."""

    key: str
    signal: str
    score: float
    votes: int
    detail: str


@dataclass
class _Group:
    votes: int = 0
    fisher: float = 0.0
    a_picks: int = 0
    b_picks: int = 0
    timed: int = 0
    fast: int = 0
    per_day: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # contender index -> [battles, score, expected, variance]
    per_contender: dict[int, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    )


class EvidenceAccumulator:
    """Per-group evidence, folded in chunk by chunk; :meth:`verdicts` judges it.

    Parameters
    ----------
    theta : ndarray, shape (M,)
        Log-odds strengths of the fit; votes refer to contenders by index into it.
    """

    def __init__(self, theta: FloatArray) -> None:
        self.theta = np.asarray(theta, dtype=np.float64)
        self.groups: dict[str, _Group] = defaultdict(_Group)

    def add(
        self,
        keys: list[str],
        model_a: IntArray,
        model_b: IntArray,
        outcome: IntArray,
        seconds_to_vote: FloatArray | None = None,
        day: IntArray | None = None,
        fast_seconds: float = 2.0,
    ) -> None:
        """Fold in one chunk of votes.

        Parameters
        ----------
        keys : list of str, length N
            The group of each vote (a voter id, or an IP hash).
        model_a, model_b : ndarray of int, shape (N,)
            Contender indices into ``theta``.
        outcome : ndarray of int, shape (N,)
            Outcome codes.
        seconds_to_vote : ndarray, shape (N,), optional
            Seconds from the last answer token to the vote; NaN when unknown.
        day : ndarray of int, shape (N,), optional
            The vote's day number (e.g. days since the epoch, UTC).
        fast_seconds : float
            Threshold of a fast vote.
        """
        model_a = np.asarray(model_a, dtype=np.int64)
        model_b = np.asarray(model_b, dtype=np.int64)
        outcome = np.asarray(outcome, dtype=np.int64)
        n = len(keys)
        if not n:
            return
        theta_a, theta_b = self.theta[model_a], self.theta[model_b]
        log_p = -2.0 * np.log(vote_pvalues(theta_a, theta_b, outcome))
        p_a = expit(theta_a - theta_b)
        score_a = np.where(outcome == A_WINS, 1.0, np.where(outcome == B_WINS, 0.0, 0.5))
        var = p_a * (1.0 - p_a)
        seconds = (
            np.full(n, np.nan) if seconds_to_vote is None else np.asarray(seconds_to_vote, float)
        )
        days = np.zeros(n, dtype=np.int64) if day is None else np.asarray(day, dtype=np.int64)
        for idx, key in enumerate(keys):
            g = self.groups[key]
            g.votes += 1
            g.fisher += float(log_p[idx])
            code = outcome[idx]
            g.a_picks += int(code == A_WINS)
            g.b_picks += int(code == B_WINS)
            if not np.isnan(seconds[idx]):
                g.timed += 1
                g.fast += int(seconds[idx] < fast_seconds)
            g.per_day[int(days[idx])] += 1
            for model, own, prob in (
                (model_a[idx], score_a[idx], p_a[idx]),
                (model_b[idx], 1.0 - score_a[idx], 1.0 - p_a[idx]),
            ):
                cell = g.per_contender[int(model)]
                cell[0] += 1
                cell[1] += own
                cell[2] += prob
                cell[3] += var[idx]

    def verdicts(self, thresholds: AnomalyThresholds) -> list[Verdict]:
        """Every group that a signal flags (a group may appear once per signal)."""
        t = thresholds
        eligible = {k: g for k, g in self.groups.items() if g.votes >= t.min_votes}
        found: list[Verdict] = []
        keys = list(eligible)
        if keys:
            stats = np.array([eligible[k].fisher for k in keys])
            counts = np.array([eligible[k].votes for k in keys])
            outcome_p = fisher_pvalue(stats, counts)
            found += _bonferroni(keys, outcome_p, counts, SIGNAL_OUTCOMES, t.alpha, _outcome_text)
            a = np.array([eligible[k].a_picks for k in keys])
            b = np.array([eligible[k].b_picks for k in keys])
            decisive = a + b
            side_keys = [k for k, d in zip(keys, decisive, strict=True) if d >= t.min_votes]
            mask = decisive >= t.min_votes
            if side_keys:
                side_p = side_bias_pvalue(a[mask], b[mask])
                found += _bonferroni(
                    side_keys, side_p, decisive[mask], SIGNAL_SIDE, t.alpha, _side_text
                )
        found += self._favouritism(t)
        for key, g in eligible.items():
            if g.timed >= t.min_votes and g.fast / g.timed >= t.fast_share:
                share = g.fast / g.timed
                found.append(
                    Verdict(
                        key,
                        SIGNAL_SPEED,
                        share,
                        g.votes,
                        f"{share:.0%} of votes within {t.fast_seconds:g} s of the answers",
                    )
                )
        if t.max_votes_per_day > 0:
            for key, g in self.groups.items():
                busiest = max(g.per_day.values(), default=0)
                if busiest > t.max_votes_per_day:
                    found.append(
                        Verdict(
                            key,
                            SIGNAL_VOLUME,
                            float(busiest),
                            g.votes,
                            f"{busiest} votes in one day",
                        )
                    )
        return found

    def _favouritism(self, t: AnomalyThresholds) -> list[Verdict]:
        keys: list[str] = []
        cells: list[list[float]] = []
        for key, g in self.groups.items():
            for cell in g.per_contender.values():
                if cell[0] >= t.min_votes:
                    keys.append(key)
                    cells.append(cell)
        if not cells:
            return []
        arr = np.array(cells)
        pvalues = favouritism_pvalue(arr[:, 1], arr[:, 2], arr[:, 3])
        cutoff = t.alpha / len(cells)
        best: dict[str, tuple[float, int]] = {}
        for key, p, n in zip(keys, pvalues, arr[:, 0], strict=True):
            if p < cutoff and (key not in best or p < best[key][0]):
                best[key] = (float(p), int(n))
        return [
            Verdict(
                key,
                SIGNAL_FAVOURITISM,
                p,
                self.groups[key].votes,
                f"one contender's results over {n} battles (p={p:.1e})",
            )
            for key, (p, n) in best.items()
        ]


def _bonferroni(
    keys: list[str],
    pvalues: FloatArray,
    votes: IntArray,
    signal: str,
    alpha: float,
    describe: Callable[[float, int], str],
) -> list[Verdict]:
    cutoff = alpha / len(keys)
    return [
        Verdict(key, signal, float(p), int(n), describe(float(p), int(n)))
        for key, p, n in zip(keys, pvalues, votes, strict=True)
        if p < cutoff
    ]


def _outcome_text(p: float, n: int) -> str:
    return f"{n} votes unlikely under the ratings (Fisher p={p:.1e})"


def _side_text(p: float, n: int) -> str:
    return f"{n} decisive votes lean to one side (p={p:.1e})"
