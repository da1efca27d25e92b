"""How a battle becomes what its voter may see (the API's JSON and the pages).

Before the vote nothing here may tell the sides apart by identity: only ``a``/``b``,
texts, statuses and a generic error message. Names and reasoning traces (which tend to
name their makers) come only with a voted battle -- or from the start in a named mode,
where the voter picked the models. A shared battle is public: its unrevealed contenders
stay nameless there, as on the leaderboard.
"""

from typing import Any

from django.urls import reverse

from battles.exclusions import exclusion_kind
from battles.models import (
    Battle,
    BattleStatus,
    Completion,
    CompletionStatus,
    SharedBattle,
    Side,
)
from battles.rendering import render_markdown

# The backend's own error stays with operators: it could name the provider or model.
GENERIC_ERROR = "This answer could not be generated."


def completion_dict(completion: Completion | None) -> dict[str, Any]:
    if completion is None:
        return {"text": "", "html": "", "status": CompletionStatus.PENDING, "error": ""}
    failed = completion.status == CompletionStatus.FAILED
    return {
        "text": completion.text,
        "html": render_markdown(completion.text) if completion.text else "",
        "status": completion.status,
        "error": GENERIC_ERROR if failed else "",
    }


def _reasoning_dict(by_side: dict[str, Completion]) -> dict[str, str]:
    return {side: by_side[side].reasoning if side in by_side else "" for side in Side.values}


IDENTITY_QUESTION_NOTICE = (
    "Thanks for your vote. Your prompt asked the models who they are, so this battle "
    "does not count toward the leaderboard: the answers to that question tell the models "
    "apart, and the ratings only use votes cast without knowing which model is which. "
    "Any other question counts as usual."
)
IDENTITY_LEAK_NOTICE = (
    "Thanks for your vote. An answer named a model or its maker ({detail}), so this "
    "battle does not count toward the leaderboard: a comparison is fair only while the "
    "models stay anonymous. You did nothing wrong."
)


def exclusion_notice(battle: Battle) -> str:
    """What the voter is told after the vote about a battle that does not count; only
    their own prompt or a leak: other reasons (flagged voters, caps) stay with operators."""
    kind = exclusion_kind(battle.excluded_reason)
    if kind == "identity_question":
        return IDENTITY_QUESTION_NOTICE
    if kind == "identity_leak":
        detail = battle.excluded_reason.partition(":")[2].strip() or "an identity"
        return IDENTITY_LEAK_NOTICE.format(detail=detail)
    return ""


def names_dict(battle: Battle) -> dict[str, Any]:
    """Both names: after the vote, or from the start in a named mode."""
    return {"a": battle.contender_a.reveal_dict(), "b": battle.contender_b.reveal_dict()}


def reveal_dict(battle: Battle) -> dict[str, Any]:
    """Both names and any notice; only for a voted battle (after the vote)."""
    return {**names_dict(battle), "notice": exclusion_notice(battle)}


def _turn_dicts(battle: Battle, *, traces: bool, superseded: bool = True) -> list[dict[str, Any]]:
    turns = []
    # .all() uses get_battle's prefetch (turns in order, completions by side).
    for turn in sorted(battle.turns.all(), key=lambda t: t.index):
        if turn.superseded and not superseded:
            continue
        by_side = {c.side: c for c in turn.completions.all()}
        turns.append(
            {
                "prompt": turn.prompt,
                "superseded": turn.superseded,
                "a": completion_dict(by_side.get(Side.A)),
                "b": completion_dict(by_side.get(Side.B)),
                "reasoning": _reasoning_dict(by_side) if traces else None,
            }
        )
    return turns


def share_dict(share: SharedBattle) -> dict[str, str]:
    return {"token": share.token, "url": reverse("battles:shared", args=[share.token])}


def _share_of(battle: Battle) -> dict[str, str] | None:
    try:
        return share_dict(battle.share)
    except SharedBattle.DoesNotExist:
        return None


def _replaced_by(battle: Battle) -> str | None:
    """The battle a "new pair" regeneration replaced this one with, if any."""
    if battle.status != BattleStatus.ABANDONED:
        return None
    newer = battle.regenerations.order_by("-created_at").values_list("id", flat=True).first()
    return str(newer) if newer else None


def battle_dict(battle: Battle) -> dict[str, Any]:
    """The voter's view of a battle; names and reasoning traces only once it is voted
    (from the start in a named mode)."""
    voted = battle.status == BattleStatus.VOTED
    disclosed = voted or not battle.is_blind
    reveal = None
    if voted:
        vote = battle.vote  # voted implies the vote row exists (same transaction)
        reveal = {**reveal_dict(battle), "outcome": vote.outcome}
    return {
        "id": str(battle.id),
        "mode": battle.mode,
        "status": battle.status,
        "turns": _turn_dicts(battle, traces=disclosed),
        "names": None if battle.is_blind else names_dict(battle),
        "reveal": reveal,
        "share": _share_of(battle) if voted else None,
        "replaced_by": _replaced_by(battle),
    }


def _public_name(battle: Battle, side: str) -> dict[str, Any]:
    contender = battle.contender(side)
    return {"name": contender.name_for(codename_allowed=False), "revealed": contender.is_revealed}


def shared_battle_dict(battle: Battle) -> dict[str, Any]:
    """A shared (voted) battle as anyone with the link sees it: the conversation as voted
    on and who was who; no reasoning traces, no codenames, nothing of the voter's."""
    return {
        "mode": battle.mode,
        "turns": _turn_dicts(battle, traces=False, superseded=False),
        "reveal": {
            **{side: _public_name(battle, side) for side in Side.values},
            "outcome": battle.vote.outcome,
        },
    }
