"""Small builders for ratings tests: contenders and voted battles written as real rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from arena.models import BackendKind, Contender
from battles.models import (
    Battle,
    BattleCategory,
    BattleStatus,
    Completion,
    CompletionStatus,
    Turn,
    Vote,
)


def contender(codename: str, *, public_name: str = "", revealed: bool = True) -> Contender:
    return Contender.objects.create(
        codename=codename,
        public_name=public_name or (codename.title() if revealed else ""),
        backend=BackendKind.DEMO,
        revealed_at=timezone.now() if revealed else None,
    )


def vote(
    a: Contender,
    b: Contender,
    outcome: str,
    *,
    categories: Iterable[str] = (),
    excluded_reason: str = "",
    status: str = BattleStatus.VOTED,
) -> Vote:
    battle = Battle.objects.create(
        voter="voter-1",
        contender_a=a,
        contender_b=b,
        status=status,
        excluded_reason=excluded_reason,
    )
    cast = Vote.for_battle(battle, outcome, "voter-1")
    cast.save()
    BattleCategory.objects.bulk_create(BattleCategory.for_vote(cast, c) for c in categories)
    return cast


def live_votes(
    battles: Iterable[tuple[Contender, Contender, str, tuple[int, ...], tuple[int, ...]]],
    *,
    categories: Iterable[str] = (),
) -> None:
    """Voted battles with one turn and two finished completions carrying style features.

    Each item is ``(a, b, outcome, style_a, style_b)``, a style being
    ``(length_chars, header_count, list_count, bold_count)``.
    """
    tags = list(categories)
    rows, turns, completions, votes, labels = [], [], [], [], []
    for a, b, outcome, style_a, style_b in battles:
        battle = Battle(voter="voter-1", contender_a=a, contender_b=b, status=BattleStatus.VOTED)
        turn = Turn(battle=battle, index=0, prompt="Tell me something.")
        for side, who, style in (("a", a, style_a), ("b", b, style_b)):
            completions.append(
                Completion(
                    turn=turn,
                    side=side,
                    contender=who,
                    status=CompletionStatus.DONE,
                    text="x" * style[0],
                    length_chars=style[0],
                    header_count=style[1],
                    list_count=style[2],
                    bold_count=style[3],
                )
            )
        cast = Vote.for_battle(battle, outcome, "voter-1")
        rows.append(battle)
        turns.append(turn)
        votes.append(cast)
        labels += [BattleCategory.for_vote(cast, c) for c in tags]
    Battle.objects.bulk_create(rows)
    Turn.objects.bulk_create(turns)
    Completion.objects.bulk_create(completions)
    Vote.objects.bulk_create(votes)
    BattleCategory.objects.bulk_create(labels)
