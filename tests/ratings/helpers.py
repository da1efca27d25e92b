"""Small builders for ratings tests: contenders and voted battles written as real rows."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from arena.models import Contender
from battles.models import (
    Battle,
    BattleCategory,
    BattleStatus,
    Completion,
    CompletionStatus,
    Turn,
    Vote,
)
from tests.factories import make_contender


def contender(codename: str, *, public_name: str = "", revealed: bool = True) -> Contender:
    named = {"public_name": public_name} if public_name else {}
    return make_contender(codename, revealed=revealed, **named)


def vote(
    a: Contender,
    b: Contender,
    outcome: str,
    *,
    categories: Iterable[str] = (),
    excluded_reason: str = "",
    status: str = BattleStatus.VOTED,
    pair_probability: float | None = None,
    pairs_allowed: int | None = None,
) -> Vote:
    battle = Battle.objects.create(
        voter="voter-1",
        contender_a=a,
        contender_b=b,
        status=status,
        excluded_reason=excluded_reason,
        pair_probability=pair_probability,
        pairs_allowed=pairs_allowed,
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


# The public votes beside the repository (../shared/data): the reference-data tests.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def require_shared_data(*paths: Path) -> None:
    """Skip on a laptop without ../shared; fail in CI, where the data must be there."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing and os.environ.get("CI"):
        pytest.fail(f"shared data missing in CI: {missing}")
    if missing:
        pytest.skip("shared data absent")
