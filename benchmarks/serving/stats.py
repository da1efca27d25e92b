"""Quantiles and milliseconds, as every table of the serving benchmark shows them."""

from __future__ import annotations

import statistics


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def p50_p95_ms(values: list[float]) -> dict[str, float | None]:
    """``{"p50": ..., "p95": ...}`` of seconds, in milliseconds (``None`` without data)."""
    return {"p50": ms(quantile(values, 0.5)), "p95": ms(quantile(values, 0.95))}
