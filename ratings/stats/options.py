"""The options of a leaderboard fit and its rating scale, as two frozen values.

Every leaderboard function takes a :class:`FitOptions` rather than the same dozen
keywords, so the snapshot writer, the commands and the benchmarks state a fit once and
pass it through; its :meth:`FitOptions.method` record is what a snapshot stores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ratings.stats.bradley_terry import to_rating_scale

CiMethod = Literal["sandwich", "bootstrap", "none"]
Resample = Literal["poisson", "multinomial"]

#: How ``p_first`` is estimated, per interval method (recorded in the method).
FIRST_PLACE_NOTE = {
    "bootstrap": "share of bootstrap replicates in which the contender rates highest",
    "sandwich": "share of draws from the sandwich normal approximation (rounds draws)",
    "none": None,
}
#: Added to the Hessian diagonal (times the number of votes) before it is inverted.
HESSIAN_RIDGE = 1e-5


@dataclass(frozen=True)
class RatingScale:
    """How log-odds strengths become ratings: ``init + scale * log_base(odds)``.

    Attributes
    ----------
    scale, base, init : float
        The Elo convention (400, 10, 1000): a 400-point gap is 10:1 odds, and ratings
        average ``init`` unless anchored.
    anchor : (str, float), optional
        Pin this contender to this rating; intervals are then for the difference to it.
    """

    scale: float = 400.0
    base: float = 10.0
    init: float = 1000.0
    anchor: tuple[str, float] | None = None

    @property
    def points_per_logit(self) -> float:
        """Rating points of one unit of natural log-odds."""
        return self.scale / math.log(self.base)

    def ratings(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map natural log-odds strengths (any shape) to this scale, anchor not applied."""
        return to_rating_scale(params, scale=self.scale, base=self.base, init=self.init)

    def log_odds(self, ratings: NDArray[np.float64]) -> NDArray[np.float64]:
        """Back from ratings to natural log-odds strengths (up to a common shift)."""
        return (np.asarray(ratings, dtype=np.float64) - self.init) / self.points_per_logit

    def anchor_index(self, names: list[str], notes: list[str]) -> int | None:
        """Position of the anchor contender in ``names``, noting when it is absent."""
        if self.anchor is None:
            return None
        if self.anchor[0] not in names:
            notes.append(
                f"anchor {self.anchor[0]!r} has no votes here; ratings are centred on {self.init:g}"
            )
            return None
        return names.index(self.anchor[0])

    def record(self) -> dict[str, Any]:
        anchor = self.anchor
        return {
            "anchor": None if anchor is None else {"model": anchor[0], "rating": anchor[1]},
            "scale": self.scale,
            "base": self.base,
            "init": self.init,
        }


#: The public arena's scale: 400 points for 10:1 odds, centred on 1000, no anchor.
ELO_SCALE = RatingScale()


@dataclass(frozen=True)
class FitOptions:
    """Everything a leaderboard fit can be asked, with the defaults of the public arena.

    Attributes
    ----------
    ci : {"sandwich", "bootstrap", "none"}
        Interval method. With "none", ``ci_lower``/``ci_upper`` are ``None`` and
        ``rank_ub`` equals ``rank``.
    rounds : int
        Bootstrap replicates (and sandwich draws for ``p_first``).
    seed : int, optional
        Seed of the random draws (reproducible when given); category ``k`` uses
        ``seed + k``.
    significance : float
        Two-sided level of the intervals (0.05 gives 95% intervals).
    resample : {"poisson", "multinomial"}
        Bootstrap draw of the pair-count fit, see
        :func:`~ratings.stats.intervals.bootstrap_bradley_terry`.
    weighted : bool
        Weight each vote by the inverse of its pair's sampling probability when the
        counts carry weights. Ratings, intervals and ranks use the weights; ``votes``
        and ``win_rate`` stay raw.
    min_votes : int
        Contenders with fewer votes in a category are not ranked (they still take
        part in the fit, so the threshold moves no one else's rating).
    min_votes_by_category : mapping
        ``min_votes`` of particular categories.
    keep_unranked : bool
        Keep the rows under ``min_votes`` (``rank`` and ``rank_ub`` None, "not enough
        votes") instead of leaving them out.
    first_place : bool
        Add ``p_first``, the probability of being #1 among the ranked rows.
    scale : RatingScale
        The rating scale and anchor.
    """

    ci: CiMethod = "sandwich"
    rounds: int = 100
    seed: int | None = None
    significance: float = 0.05
    resample: Resample = "poisson"
    weighted: bool = True
    min_votes: int = 0
    min_votes_by_category: Mapping[str, int] = field(default_factory=dict)
    keep_unranked: bool = False
    first_place: bool = False
    scale: RatingScale = ELO_SCALE

    def __post_init__(self) -> None:
        if self.ci not in ("sandwich", "bootstrap", "none"):
            raise ValueError(f"unknown ci method {self.ci!r}")
        if self.resample not in ("poisson", "multinomial"):
            raise ValueError(f"unknown resample {self.resample!r}")
        if self.rounds < 1:
            raise ValueError("rounds must be at least 1")
        if not 0.0 < self.significance < 1.0:
            raise ValueError("significance must lie between 0 and 1")

    def for_category(self, position: int, category: str) -> FitOptions:
        """The options of one category: its own seed and vote threshold."""
        return replace(
            self,
            seed=None if self.seed is None else self.seed + position,
            min_votes=self.min_votes_by_category.get(category, self.min_votes),
        )

    def method(self, model: str) -> dict[str, Any]:
        """The ``"method"`` record of a leaderboard: its parameters and conventions."""
        record: dict[str, Any] = {
            "model": model,
            "ci": self.ci,
            "rounds": self.rounds if self.ci == "bootstrap" else None,
            "seed": self.seed,
            "significance": self.significance,
            **self.scale.record(),
            "min_votes": self.min_votes,
            "min_votes_by_category": dict(self.min_votes_by_category),
            "ties": "half a win each way (both bad included)",
            "hessian_ridge": HESSIAN_RIDGE,
        }
        if self.first_place:
            record["p_first"] = FIRST_PLACE_NOTE[self.ci]
        return record
