"""Over-frequent prompts: a prompt counts in the ratings at most ``cap`` times.

As on LMArena: a prompt asked thousands of times ("hi", a benchmark question pasted by
a bot) would otherwise weigh its pairs far beyond one person's judgement. The key is the
first prompt, normalised (Unicode NFKC, case, whitespace) and hashed (sha256), stored on
the battle. The cap is ``ARENA_DUPLICATE_CAP`` when set, else ``max(25, the 99.9th
percentile of votes per prompt)``, computed by the periodic recompute; votes past it are
kept and excluded with the reason ``"duplicate cap"``.
"""

import hashlib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from arena.db.rows import select_rows, table
from battles.exclusions import kind_q
from battles.models import Battle, BattleStatus, DuplicateCap, Turn

MIN_CAP = 25
PERCENTILE = 99.9
REASON = "duplicate cap"  # the prefix of battles.exclusions' duplicate_cap kind


def normalise_prompt(prompt: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", prompt).split()).casefold()


def prompt_hash(prompt: str) -> str:
    """The key two prompts share when they differ only in case and whitespace."""
    return hashlib.sha256(normalise_prompt(prompt).encode()).hexdigest()


def _cap_sql() -> tuple[str, list[int]]:
    """The cap as an SQL expression: the setting, else the one the recompute stored,
    else the minimum."""
    if settings.ARENA_DUPLICATE_CAP > 0:
        return "%s", [int(settings.ARENA_DUPLICATE_CAP)]
    return f"COALESCE((SELECT cap FROM {table(DuplicateCap)} WHERE id = 1), %s)", [MIN_CAP]


def current_cap() -> int:
    """The cap now."""
    cap, params = _cap_sql()
    return int(select_rows(f"SELECT {cap}", params)[0][0])


def duplicate_count_sql(battle: str) -> tuple[str, list[object]]:
    """Two SQL expressions over the battle row aliased ``battle``: how many other votes
    on its prompt already count, at most the cap, and the cap (for :func:`duplicate_reason`).

    Read in the vote's locking statement (``battles.vote_rows``): a COUNT over the
    prompt_hash index of at most ``cap`` rows, so a prompt voted on a million times costs
    no more than one at the cap. Two votes on the same prompt committing at the same
    instant may both count (one over the cap).
    """
    cap_sql, cap_params = _cap_sql()
    sql = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table(Battle)} other "
        f"WHERE other.prompt_hash = {battle}.prompt_hash AND other.status = %s "
        f"AND other.excluded_reason = '' AND other.id <> {battle}.id LIMIT {cap_sql}) AS counted), "
        f"{cap_sql}"
    )
    return sql, [BattleStatus.VOTED.value, *cap_params, *cap_params]


def duplicate_reason(prompt_hash: str, counted: int, cap: int) -> str:
    """``"duplicate cap: …"`` when ``cap`` other votes on this prompt already count."""
    if not prompt_hash or counted < cap:
        return ""
    return f"{REASON}: {cap} votes on this prompt already count"


def percentile_count(histogram: dict[int, int], percentile: float = PERCENTILE) -> int:
    """The ``percentile`` of per-prompt counts given ``{count: prompts with that count}``
    (nearest rank: the smallest count at or below which that share of prompts lie)."""
    total = sum(histogram.values())
    if total == 0:
        return 0
    needed = percentile / 100.0 * total
    seen = 0
    for count in sorted(histogram):
        seen += histogram[count]
        if seen >= needed - 1e-9:
            return count
    return max(histogram)


def vote_count_histogram() -> dict[int, int]:
    """``{votes on a prompt: how many prompts}`` over voted battles, in SQL (a group of
    groups: its size is the number of distinct counts, not of prompts)."""
    sql = (
        f"SELECT n, COUNT(*) FROM (SELECT COUNT(*) AS n FROM {table(Battle)} "
        "WHERE prompt_hash <> '' AND status = %s GROUP BY prompt_hash) AS per_prompt "
        "GROUP BY n"
    )
    return {int(n): int(prompts) for n, prompts in select_rows(sql, [BattleStatus.VOTED.value])}


@dataclass(frozen=True)
class CapRefresh:
    cap: int
    percentile_count: int
    prompts: int


def refresh_duplicate_cap() -> CapRefresh:
    """Recompute and store the automatic cap (part of the periodic recompute)."""
    histogram = vote_count_histogram()
    at_percentile = percentile_count(histogram)
    result = CapRefresh(max(MIN_CAP, at_percentile), at_percentile, sum(histogram.values()))
    DuplicateCap.objects.update_or_create(
        pk=1,
        defaults={
            "cap": result.cap,
            "percentile_count": result.percentile_count,
            "prompts": result.prompts,
            "computed_at": timezone.now(),
        },
    )
    return result


@dataclass(frozen=True)
class PromptStats:
    prompt_hash: str
    votes: int
    counted: int
    capped: int
    sample: str


def top_prompts(limit: int = 20, sample_chars: int = 60) -> list[PromptStats]:
    """The most-voted prompts: votes, counted, capped, and the start of one of them."""
    groups = (
        Battle.objects.filter(status=BattleStatus.VOTED)
        .exclude(prompt_hash="")
        .values("prompt_hash")
        .annotate(
            votes=Count("id"),
            counted=Count("id", filter=Q(excluded_reason="")),
            capped=Count("id", filter=kind_q("duplicate_cap")),
        )
        .order_by("-votes", "prompt_hash")[:limit]
    )
    found = []
    for group in groups:
        sample = (
            Turn.objects.filter(battle__prompt_hash=group["prompt_hash"], index=0)
            .values_list("prompt", flat=True)
            .first()
        ) or ""
        text = " ".join(sample.split())
        if len(text) > sample_chars:
            text = text[: sample_chars - 1] + "…"
        found.append(
            PromptStats(
                group["prompt_hash"], group["votes"], group["counted"], group["capped"], text
            )
        )
    return found


def capped_votes() -> int:
    """All votes excluded by the duplicate cap (the small excluded-battles index)."""
    return Battle.objects.filter(kind_q("duplicate_cap"), status=BattleStatus.VOTED).count()
