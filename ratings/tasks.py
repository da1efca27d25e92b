"""The periodic ratings recompute (scheduled by ``CELERY_BEAT_SCHEDULE`` in settings)."""

from __future__ import annotations

import logging

from celery import shared_task

from ratings.snapshots import RecomputeBusy, operator_options, recompute_ratings
from ratings.voters import flag_voters

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


# Scheduled every ARENA_FLAG_VOTERS_INTERVAL seconds (CELERY_BEAT_SCHEDULE; emulated in
# embedded mode): anomalous voters and IPs against the latest snapshot's fit.
@shared_task(name="ratings.flag_voters_task", ignore_result=True)
def flag_voters_task() -> dict[str, int]:
    report = flag_voters()
    if report.flagged:
        logger.warning(
            "flagged %d voter(s)/IP(s) as anomalous; %d votes excluded (manage.py review_voters)",
            len(report.flagged),
            report.excluded,
        )
    return {"votes": report.votes, "flagged": len(report.flagged), "excluded": report.excluded}
