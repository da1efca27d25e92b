"""Rating numerics: Bradley-Terry, intervals, ranks, online Elo, style control, active sampling.

Pure functions over numpy arrays; no Django, no I/O.
"""

from ratings.stats.active import (
    active_pair_scores,
    fisher_covariance,
    mix_with_floor,
    one_vote_reduction,
    top_focus,
)
from ratings.stats.bradley_terry import (
    DEFAULT_RIDGE,
    BradleyTerryFit,
    comparison_components,
    fit_bradley_terry,
    to_rating_scale,
)
from ratings.stats.counts import (
    A_WINS,
    B_WINS,
    BOTH_BAD,
    TIE,
    FitCounts,
    PairCounts,
    VoteWeights,
    counts_from_battles,
)
from ratings.stats.elo import online_elo
from ratings.stats.exceptions import ConvergenceError, RegularizationWarning
from ratings.stats.intervals import BootstrapResult, bootstrap_bradley_terry, sandwich_covariance
from ratings.stats.leaderboard import (
    category_leaderboard,
    compute_leaderboard,
    interval_from_covariance,
    interval_from_samples,
    leaderboard_rows,
)
from ratings.stats.matrices import battle_counts, pairwise_win_rates, predicted_win_rates
from ratings.stats.options import ELO_SCALE, CiMethod, FitOptions, RatingScale, Resample
from ratings.stats.ranks import probability_first, rank_by_rating, rank_upper_bound
from ratings.stats.results import CategoryBoard, Leaderboard, LeaderboardRow, StyleCoefficient
from ratings.stats.style import (
    STYLE_FEATURES,
    StyleBattles,
    StyleFit,
    fit_style_control,
    outcome_scores,
    style_covariates,
)
from ratings.stats.style_intervals import bootstrap_style_control, style_sandwich_covariance
from ratings.stats.style_leaderboard import compute_style_leaderboard

__all__ = [
    "A_WINS",
    "BOTH_BAD",
    "B_WINS",
    "DEFAULT_RIDGE",
    "ELO_SCALE",
    "STYLE_FEATURES",
    "TIE",
    "BootstrapResult",
    "BradleyTerryFit",
    "CategoryBoard",
    "CiMethod",
    "ConvergenceError",
    "FitCounts",
    "FitOptions",
    "Leaderboard",
    "LeaderboardRow",
    "PairCounts",
    "RatingScale",
    "RegularizationWarning",
    "Resample",
    "StyleBattles",
    "StyleCoefficient",
    "StyleFit",
    "VoteWeights",
    "active_pair_scores",
    "battle_counts",
    "bootstrap_bradley_terry",
    "bootstrap_style_control",
    "category_leaderboard",
    "comparison_components",
    "compute_leaderboard",
    "compute_style_leaderboard",
    "counts_from_battles",
    "fisher_covariance",
    "fit_bradley_terry",
    "fit_style_control",
    "interval_from_covariance",
    "interval_from_samples",
    "leaderboard_rows",
    "mix_with_floor",
    "one_vote_reduction",
    "online_elo",
    "outcome_scores",
    "pairwise_win_rates",
    "predicted_win_rates",
    "probability_first",
    "rank_by_rating",
    "rank_upper_bound",
    "sandwich_covariance",
    "style_covariates",
    "style_sandwich_covariance",
    "to_rating_scale",
    "top_focus",
]
