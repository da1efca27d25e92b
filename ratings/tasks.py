"""The periodic ratings recompute (scheduled by ``CELERY_BEAT_SCHEDULE`` in settings)."""

from __future__ import annotations

import logging

from celery import shared_task

from ratings.snapshots import RecomputeBusy, operator_options, recompute_ratings

logger = logging.getLogger(__name__)


@shared_task(name="ratings.recompute_ratings_task", ignore_result=True)
def recompute_ratings_task() -> int | None:
    """Write a snapshot when new votes exist; returns its id, or None when skipped."""
    try:
        snapshot = recompute_ratings(operator_options())
    except RecomputeBusy:
        logger.info("ratings recompute skipped: another one is running")
        return None
    return None if snapshot is None else snapshot.pk
