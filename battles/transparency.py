"""The public transparency report: who got how many battles, how many private variants
each organisation tested, retirements, and the sampling policy -- from our own rows.

Anonymity rule (the blind test must stay blind):

* A contender that is not revealed is never named, and never attributed to its
  organisation while its test may still run: its battles go to one arena-wide
  "in blind testing" row, and the count of blind contenders is arena-wide only (the
  public leaderboard already says how many are hidden).
* A never-revealed variant is counted under its organisation only once its test is
  finished -- retired -- and ``ARENA_TRANSPARENCY_DELAY_DAYS`` have passed since. So
  no count moves while a test runs, and a count that moves says only that a test
  ended weeks ago; the organisation's row never appears or disappears because of a
  blind test (rows come only from revealed models or from those finished tests).

Every number is one SQL aggregate (``GROUP BY``), never a loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from arena.models import Contender, ContenderStatus, revealed_q
from battles.models import Battle

NO_ORGANISATION = "(organisation not given)"


@dataclass(frozen=True)
class Share:
    name: str
    organisation: str
    appearances: int
    share: float


def _finished_private(now: datetime, prefix: str = "") -> Q:
    """Never-revealed contenders whose test ended (retired) long enough ago to count."""
    cutoff = now - timedelta(days=settings.ARENA_TRANSPARENCY_DELAY_DAYS)
    return ~revealed_q(prefix) & Q(
        **{f"{prefix}status": ContenderStatus.RETIRED, f"{prefix}retired_at__lte": cutoff}
    )


def battle_shares(now: datetime, days: int) -> dict[str, Any]:
    """Share of battle appearances per revealed contender and per organisation over the
    last ``days``; unrevealed contenders' appearances as one anonymous total."""
    since = now - timedelta(days=days)
    recent = Battle.objects.filter(created_at__gte=since, created_at__lte=now)
    battles = recent.count()
    appearances: dict[int, int] = {}
    for side in ("contender_a", "contender_b"):
        for cid, n in recent.values_list(side).annotate(n=Count("id")).values_list(side, "n"):
            appearances[cid] = appearances.get(cid, 0) + n
    people = Contender.objects.only(
        "id", "codename", "public_name", "revealed_at", "organisation"
    ).in_bulk(list(appearances))
    total = 2 * battles
    models: list[Share] = []
    organisations: dict[str, int] = {}
    blind = 0
    for cid, n in appearances.items():
        c = people[cid]
        if not c.is_revealed:
            blind += n
            continue
        org = c.organisation or NO_ORGANISATION
        models.append(Share(c.public_name, org, n, n / total))
        organisations[org] = organisations.get(org, 0) + n
    models.sort(key=lambda s: (-s.appearances, s.name))
    orgs = [Share(o, o, n, n / total) for o, n in organisations.items()]
    orgs.sort(key=lambda s: (-s.appearances, s.name))
    return {
        "battles": battles,
        "models": models,
        "organisations": orgs,
        "blind_appearances": blind,
        "blind_share": blind / total if total else 0.0,
    }


def organisation_tests(now: datetime) -> list[dict[str, Any]]:
    """Per organisation: models revealed, and private variants tested but never revealed
    (finished tests only, see the module's rule)."""
    live = Contender.objects.filter(historic=False)
    rows = (
        live.filter(revealed_q() | _finished_private(now))
        .values("organisation")
        .annotate(
            revealed=Count("id", filter=revealed_q()),
            private=Count("id", filter=_finished_private(now)),
        )
        .order_by("organisation")
    )
    return [
        {
            "organisation": r["organisation"] or NO_ORGANISATION,
            "revealed": r["revealed"],
            "private": r["private"],
        }
        for r in rows
    ]


def variants_before_reveal(now: datetime) -> list[dict[str, Any]]:
    """Each revealed model with the never-revealed variants linked to it (``variant_of``,
    finished tests only), most variants first."""
    rows = (
        Contender.objects.filter(revealed_q(), historic=False)
        .annotate(private=Count("variants", filter=_finished_private(now, "variants__")))
        .filter(private__gt=0)
        .values_list("public_name", "organisation", "private")
        .order_by("-private", "public_name")
    )
    return [
        {"name": name, "organisation": org or NO_ORGANISATION, "private": n}
        for name, org, n in rows
    ]


def retirements() -> list[dict[str, Any]]:
    """Revealed models retired by an operator, newest first (never-revealed ones are only
    counted, above)."""
    rows = (
        Contender.objects.filter(revealed_q(), historic=False, status=ContenderStatus.RETIRED)
        .order_by("-retired_at", "public_name")
        .values_list("public_name", "organisation", "retired_at")
    )
    return [{"name": n, "organisation": o, "retired_at": at} for n, o, at in rows]


def private_test_counts(now: datetime) -> dict[str, int]:
    """Arena-wide: contenders in blind testing now, and finished private tests."""
    live = Contender.objects.filter(historic=False)
    return live.aggregate(
        blind_now=Count(
            "id", filter=~revealed_q() & ~Q(status=ContenderStatus.RETIRED)
        ),
        finished_private=Count("id", filter=_finished_private(now)),
    )


def sampling_policy() -> list[str]:
    """The pair sampling policy in effect, in words."""
    policy = settings.ARENA_SAMPLING
    words = {
        "uniform": "Every allowed pair of active models is equally likely.",
        "weighted": "A pair is drawn in proportion to the product of its two models' "
        "sampling weights.",
        "active": "Most pairs are drawn where one more vote narrows the leaderboard's "
        "confidence intervals most (the Chatbot Arena paper's active sampling); a share "
        f"of {settings.ARENA_ACTIVE_FLOOR:.0%} of draws follows the sampling weights alone, "
        "so every allowed pair stays possible.",
    }
    lines = [words[policy]]
    boost, votes = settings.ARENA_NEW_CONTENDER_BOOST, settings.ARENA_NEW_CONTENDER_VOTES
    if policy != "uniform" and boost != 1 and votes > 0:
        lines.append(
            f"A model with fewer than {votes} votes is drawn {boost:g} times as often, "
            "so new models get rated quickly."
        )
    if settings.ARENA_SEPARATE_UNREVEALED:
        lines.append("Two unrevealed models never meet each other, unless no other pair exists.")
    lines.append(
        "The probability of every drawn pair is stored with the battle and the ratings "
        "weight each vote by its inverse, so no policy biases the leaderboard."
        if settings.ARENA_RATINGS_WEIGHTED
        else "Votes are counted unweighted."
    )
    return lines


def transparency_report(now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    days = settings.ARENA_TRANSPARENCY_DAYS
    return {
        "now": now,
        "days": days,
        "delay_days": settings.ARENA_TRANSPARENCY_DELAY_DAYS,
        "shares": battle_shares(now, days),
        "organisations": organisation_tests(now),
        "variants": variants_before_reveal(now),
        "retirements": retirements(),
        "private": private_test_counts(now),
        "sampling": sampling_policy(),
    }
