"""Keeping a battle's vote out of the ratings, or letting it back in; the kinds of reason.

The one place that changes ``Battle.excluded_reason`` after the vote: the ``counted``
flags on the vote and its category tags (what the ratings aggregation reads) change in
the same transaction, so they always agree with the battle.

A stored reason is free text ("identity leak: side a names \"ChatGPT\"", "flagged voter:
p=1e-9"); its *kind* is read from how it starts (``KIND_PREFIXES``), in Python
(:func:`exclusion_kind`) and in SQL (:func:`exclusion_kind_expression`) alike, so reasons
stored before a kind existed are classified too.
"""

from django.db import transaction
from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.utils import timezone

from battles.models import Battle, BattleCategory, BattleMode, BattleStatus, Vote

COUNTED = "counted"
OTHER = "other"
# (prefix of the stored reason, kind, label), in the order operators read them.
KIND_PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("identity leak", "identity_leak", "Identity leak"),
    ("identity question", "identity_question", "Identity question"),
    ("duplicate cap", "duplicate_cap", "Duplicate cap"),
    ("flagged voter", "flagged_voter", "Flagged voter"),
    ("failed", "failed_side", "Failed side"),
)
KIND_LABELS: dict[str, str] = {
    COUNTED: "Counted",
    **{kind: label for _, kind, label in KIND_PREFIXES},
    OTHER: "Other",
}
EXCLUDED_KINDS: tuple[str, ...] = (*(kind for _, kind, _ in KIND_PREFIXES), OTHER)

def exclusion_kind(reason: str) -> str:
    """The kind of a stored ``excluded_reason``: ``counted`` when empty."""
    if not reason:
        return COUNTED
    for prefix, kind, _ in KIND_PREFIXES:
        if reason.startswith(prefix):
            return kind
    return OTHER

def kind_q(kind: str, field: str = "excluded_reason") -> Q:
    """The rows whose reason is of ``kind`` (:func:`exclusion_kind` as a filter)."""
    if kind == COUNTED:
        return Q(**{field: ""})
    if kind == OTHER:
        known = Q(**{field: ""})
        for prefix, _, _ in KIND_PREFIXES:
            known |= Q(**{f"{field}__startswith": prefix})
        return ~known
    prefix = next(p for p, k, _ in KIND_PREFIXES if k == kind)
    return Q(**{f"{field}__startswith": prefix})

def exclusion_kind_expression(field: str = "excluded_reason") -> Case:
    """:func:`exclusion_kind` in SQL, for ``GROUP BY`` kind."""
    return Case(
        When(Q(**{field: ""}), then=Value(COUNTED)),
        *(When(kind_q(kind, field), then=Value(kind)) for _, kind, _ in KIND_PREFIXES),
        default=Value(OTHER),
        output_field=CharField(),
    )

def exclude_battles(battles: QuerySet[Battle], reason: str) -> int:
    """Keep the votes of ``battles`` out of the ratings, recording why; how many changed.

    Only counted blind votes change: a battle already excluded keeps its first reason."""
    if not reason.strip():
        raise ValueError("an exclusion needs a reason")
    counted = battles.filter(excluded_reason="", status=BattleStatus.VOTED, mode=BattleMode.ARENA)
    return _set_excluded_reasons(counted, reason.strip())

def include_battles(battles: QuerySet[Battle]) -> int:
    """Let every excluded one of ``battles`` count again (the caller narrows them, e.g.
    to one reason); how many changed. A vote that is not a blind one stays uncounted."""
    return _set_excluded_reasons(battles.exclude(excluded_reason=""), "")

_CHUNK = 2000

def _set_excluded_reasons(battles: QuerySet[Battle], reason: str) -> int:
    changed = 0
    with transaction.atomic():
        # Lock the rows first: a vote committing meanwhile must not end up with a
        # battle excluded but its vote still counted (or the other way round).
        rows = list(battles.select_for_update().values_list("pk", "status", "mode"))
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            ids = [pk for pk, _, _ in chunk]
            Battle.objects.filter(pk__in=ids).update(
                excluded_reason=reason, updated_at=timezone.now()
            )
            counting = {
                pk
                for pk, status, mode in chunk
                if Battle(status=status, mode=mode, excluded_reason=reason).counts_for_ratings
            }
            for counted, selected in ((True, list(counting)), (False, list(set(ids) - counting))):
                if selected:
                    Vote.objects.filter(battle_id__in=selected).update(counted=counted)
                    BattleCategory.objects.filter(battle_id__in=selected).update(counted=counted)
            changed += len(chunk)
    return changed
