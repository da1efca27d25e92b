"""Errors and warnings raised by the rating numerics."""


class ConvergenceError(RuntimeError):
    """An iterative fit did not reach its tolerance within ``max_iter`` iterations."""


class RegularizationWarning(UserWarning):
    """The maximum-likelihood estimate does not exist, so a ridge penalty was applied.

    This happens when the comparison graph is not strongly connected: some group of
    contenders never lost (or never won) against the rest, or the graph falls apart
    into pieces that never met. Ratings across such a cut are then set by the penalty,
    not by the data.
    """
