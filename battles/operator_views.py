"""Operators' (staff) pages: which votes count, which are excluded and why."""

from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arena.models import Contender
from battles.exclusion_stats import ExclusionCounts, exclusion_totals, exclusions_by_contender
from battles.exclusions import EXCLUDED_KINDS, KIND_LABELS


def _row(name: str, counts: ExclusionCounts) -> dict[str, Any]:
    return {
        "name": name,
        "votes": counts.votes,
        "counted": counts.counted,
        "excluded": [counts.excluded[kind] for kind in EXCLUDED_KINDS],
        "share": f"{100 * counts.excluded_share:.1f}%",
    }


@staff_member_required
@require_GET
def exclusions(request: HttpRequest) -> HttpResponse:
    """Votes counted and excluded by kind, overall and per contender (codenames shown)."""
    by_contender = exclusions_by_contender()
    names = Contender.objects.filter(pk__in=by_contender).in_bulk()
    rows = sorted(
        (
            _row(names[pk].name_for(codename_allowed=True), counts)
            for pk, counts in by_contender.items()
            if pk in names
        ),
        key=lambda row: (-row["votes"], row["name"]),
    )
    context = {
        "kinds": [(kind, KIND_LABELS[kind]) for kind in EXCLUDED_KINDS],
        "overall": _row("All contenders", exclusion_totals()),
        "rows": rows,
    }
    return render(request, "battles/exclusions.html", context)
