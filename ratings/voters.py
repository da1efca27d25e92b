"""Anomalous voters: flag them from the latest fit, exclude their votes, restore on review.

The periodic ``flag_voters_task`` streams the recent blind votes from the database in
chunks (never all of them at once), scores every voter (session) and every IP hash with
``ratings.stats.anomaly`` against the latest snapshot's overall Bradley-Terry ratings,
and records a :class:`~ratings.models.FlaggedVoter` per new verdict. A flagged group's
counted votes are excluded (``battles.exclusions``) with the flag's reason, now and on
every later run; a vote cast after the flag is excluded inside its own transaction
(:func:`flag_reason_sql`). Votes are never deleted; an operator's restore lets them
count again and keeps the filter from flagging that group again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from arena.db.rows import table
from battles.exclusions import exclude_battles, include_battles
from battles.models import Battle, BattleMode, Completion, Vote
from ratings.aggregation import OUTCOME_CODES
from ratings.models import FlaggedVoter, RatingRow, RatingSnapshot
from ratings.stats.anomaly import SIGNALS, AnomalyThresholds, EvidenceAccumulator, Verdict
from ratings.stats.options import ELO_SCALE

CHUNK = 5000


@dataclass(frozen=True)
class FlagReport:
    """What one pass found: votes scored, new flags, and votes newly excluded."""

    votes: int
    verdicts: list[tuple[str, Verdict]]
    flagged: list[FlaggedVoter]
    excluded: int


def thresholds(kind: str) -> AnomalyThresholds:
    """The settings' thresholds for voters or for IP addresses."""
    per_day = (
        settings.ARENA_VOTER_FLAG_VOTES_PER_DAY
        if kind == FlaggedVoter.Kind.VOTER
        else settings.ARENA_VOTER_FLAG_VOTES_PER_DAY_PER_IP
    )
    return AnomalyThresholds(
        alpha=settings.ARENA_VOTER_ALPHA,
        min_votes=settings.ARENA_VOTER_MIN_VOTES,
        fast_seconds=settings.ARENA_VOTER_FAST_SECONDS,
        fast_share=settings.ARENA_VOTER_FAST_SHARE,
        max_votes_per_day=per_day,
    )


def flag_voters(*, now: datetime | None = None, dry_run: bool = False) -> FlagReport:
    """Score the recent votes, record new flags and exclude flagged groups' votes.

    ``dry_run``: only the verdicts; nothing is written.
    """
    now = now or timezone.now()
    theta = _latest_strengths()
    kinds = (FlaggedVoter.Kind.VOTER, FlaggedVoter.Kind.IP)
    verdicts: list[tuple[str, Verdict]] = []
    scored = 0
    if theta:
        index = {cid: k for k, cid in enumerate(theta)}
        accumulators = {kind: EvidenceAccumulator(np.array(list(theta.values()))) for kind in kinds}
        for chunk in _vote_chunks(now, index):
            scored += len(chunk.voters)
            for kind, keys in ((kinds[0], chunk.voters), (kinds[1], chunk.ips)):
                picked = [k for k, key in enumerate(keys) if key]
                accumulators[kind].add(
                    [keys[k] for k in picked],
                    chunk.model_a[picked],
                    chunk.model_b[picked],
                    chunk.outcome[picked],
                    chunk.seconds[picked],
                    chunk.day[picked],
                    fast_seconds=settings.ARENA_VOTER_FAST_SECONDS,
                )
        for kind in kinds:
            verdicts += [(kind, v) for v in accumulators[kind].verdicts(thresholds(kind))]
    if dry_run:
        return FlagReport(scored, verdicts, [], 0)
    flagged = _record_flags(verdicts, now)
    excluded = sum(
        exclude_battles(_battles_of(flag), flag.reason)
        for flag in FlaggedVoter.objects.filter(restored_at=None)
    )
    return FlagReport(scored, verdicts, flagged, excluded)


def restore_flag(flag_id: int, *, by: str = "") -> int:
    """Clear a flag: the votes it excluded count again (unless another active flag also
    covers them); how many now count. ``ValueError`` when unknown or already restored."""
    with transaction.atomic():
        flag = FlaggedVoter.objects.select_for_update().filter(pk=flag_id).first()
        if flag is None:
            raise ValueError(f"No flagged voter #{flag_id}.")
        if not flag.is_active:
            raise ValueError(f"Flagged voter #{flag_id} was already restored.")
        flag.restored_at = timezone.now()
        flag.reviewed_by = by[:150]
        flag.save(update_fields=["restored_at", "reviewed_by"])
        # Exactly the votes this flag excluded: other reasons (an identity leak, another
        # flag that came first) stay as they are.
        mine = Battle.objects.filter(excluded_reason__startswith=flag.reason_prefix)
        voters = set(mine.values_list("voter", flat=True))
        ips = set(mine.exclude(ip_hash="").values_list("ip_hash", flat=True))
        restored = include_battles(mine)
        # A vote of this voter from a still-flagged IP (or the other way round) stays out.
        still = FlaggedVoter.objects.filter(restored_at=None).filter(
            Q(kind=FlaggedVoter.Kind.VOTER, key__in=voters)
            | Q(kind=FlaggedVoter.Kind.IP, key__in=ips)
        )
        again = sum(exclude_battles(_battles_of(other), other.reason) for other in still)
    return restored - again


def flag_reason_sql(battle: str) -> tuple[str, list[object]]:
    """The reason of the oldest active flag on the voter or IP of the battle row aliased
    ``battle``, as an SQL expression (NULL when none).

    Read in the vote's locking statement (``battles.vote_rows``), so a vote cast after the
    flag is excluded inside its own transaction.
    """
    sql = (
        f"(SELECT flag.reason FROM {table(FlaggedVoter)} flag WHERE flag.restored_at IS NULL "
        f"AND ((flag.kind = %s AND flag.key = {battle}.voter) OR ({battle}.ip_hash <> '' "
        f"AND flag.kind = %s AND flag.key = {battle}.ip_hash)) ORDER BY flag.id LIMIT 1)"
    )
    return sql, [FlaggedVoter.Kind.VOTER.value, FlaggedVoter.Kind.IP.value]


def _battles_of(flag: FlaggedVoter) -> QuerySet[Battle]:
    if flag.kind == FlaggedVoter.Kind.VOTER:
        return Battle.objects.filter(voter=flag.key)
    return Battle.objects.filter(ip_hash=flag.key)


def _record_flags(verdicts: list[tuple[str, Verdict]], now: datetime) -> list[FlaggedVoter]:
    by_group: dict[tuple[str, str], list[Verdict]] = {}
    for kind, verdict in verdicts:
        by_group.setdefault((kind, verdict.key), []).append(verdict)
    known = {
        (kind, key)
        for kind, key in FlaggedVoter.objects.filter(
            key__in={key for _, key in by_group}
        ).values_list("kind", "key")
    }
    created = []
    for (kind, key), found in by_group.items():
        if (kind, key) in known:  # flagged already, or restored by an operator
            continue
        found.sort(key=lambda v: SIGNALS.index(v.signal))
        first = found[0]
        with transaction.atomic():
            flag = FlaggedVoter.objects.create(
                kind=kind,
                key=key,
                signal=first.signal,
                score=first.score,
                votes=first.votes,
                flagged_at=now,
            )
            details = "; ".join(f"{v.signal}: {v.detail}" for v in found)
            flag.reason = f"{flag.reason_prefix} {kind} {details}"[:200]
            flag.save(update_fields=["reason"])
        created.append(flag)
    return created


def _latest_strengths() -> dict[int, float]:
    """Contender id -> log-odds strength, from the latest snapshot's plain overall fit."""
    snapshot = RatingSnapshot.latest_or_none()
    if snapshot is None:
        return {}
    rows = RatingRow.objects.filter(
        snapshot=snapshot, category="overall", style_control=False
    ).values_list("contender_id", "rating")
    # Log-odds up to a common shift, which no p-value depends on.
    return {cid: float(ELO_SCALE.log_odds(np.array(rating))) for cid, rating in rows}


@dataclass(frozen=True)
class _Chunk:
    voters: list[str]
    ips: list[str]
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    seconds: np.ndarray
    day: np.ndarray


def _vote_chunks(now: datetime, index: dict[int, int]) -> Iterator[_Chunk]:
    """The blind votes of the window between rated contenders, ``CHUNK`` at a time."""
    last_answer = (
        Completion.objects.filter(turn__battle_id=OuterRef("battle_id"), turn__superseded=False)
        .order_by("-finished_at")
        .values("finished_at")[:1]
    )
    rows = (
        Vote.objects.filter(
            created_at__gte=now - timedelta(days=settings.ARENA_VOTER_WINDOW_DAYS),
            battle__mode=BattleMode.ARENA,
            contender_a_id__in=list(index),
            contender_b_id__in=list(index),
        )
        .annotate(last_answer=Subquery(last_answer))
        .values_list(
            "voter",
            "battle__ip_hash",
            "contender_a_id",
            "contender_b_id",
            "outcome",
            "created_at",
            "last_answer",
        )
        .order_by()
    )
    buffer: list[tuple[str, str, int, int, str, datetime, datetime | None]] = []
    for row in rows.iterator(chunk_size=CHUNK):
        buffer.append(row)
        if len(buffer) >= CHUNK:
            yield _to_chunk(buffer, index)
            buffer = []
    if buffer:
        yield _to_chunk(buffer, index)


def _to_chunk(
    rows: list[tuple[str, str, int, int, str, datetime, datetime | None]], index: dict[int, int]
) -> _Chunk:
    seconds = [
        (voted - answered).total_seconds() if answered else math.nan for *_, voted, answered in rows
    ]
    return _Chunk(
        voters=[r[0] for r in rows],
        ips=[r[1] for r in rows],
        model_a=np.array([index[r[2]] for r in rows], dtype=np.int64),
        model_b=np.array([index[r[3]] for r in rows], dtype=np.int64),
        outcome=np.array([OUTCOME_CODES[r[4]] for r in rows], dtype=np.int64),
        seconds=np.array(seconds, dtype=np.float64),
        day=np.array([int(r[5].timestamp() // 86400) for r in rows], dtype=np.int64),
    )
