"""How a battle becomes what its voter may see (the API's JSON and the pages).

Before the vote nothing here may tell the sides apart by identity: only ``a``/``b``,
texts, statuses and a generic error message. Names and reasoning traces (which tend to
name their makers) come only with a voted battle.
"""

from typing import Any

from battles.exclusions import exclusion_kind
from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Side
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


def reveal_dict(battle: Battle) -> dict[str, Any]:
    """Both names and any notice; only for a voted battle (after the vote)."""
    return {
        "a": battle.contender_a.reveal_dict(),
        "b": battle.contender_b.reveal_dict(),
        "notice": exclusion_notice(battle),
    }


def battle_dict(battle: Battle) -> dict[str, Any]:
    """The voter's view of a battle; names and reasoning traces only once it is voted."""
    voted = battle.status == BattleStatus.VOTED
    turns = []
    # .all() uses get_battle's prefetch (turns in order, completions by side).
    for turn in sorted(battle.turns.all(), key=lambda t: t.index):
        by_side = {c.side: c for c in turn.completions.all()}
        turns.append(
            {
                "prompt": turn.prompt,
                "a": completion_dict(by_side.get(Side.A)),
                "b": completion_dict(by_side.get(Side.B)),
                "reasoning": _reasoning_dict(by_side) if voted else None,
            }
        )
    reveal = None
    if voted:
        vote = battle.vote  # voted implies the vote row exists (same transaction)
        reveal = {**reveal_dict(battle), "outcome": vote.outcome}
    return {"id": str(battle.id), "status": battle.status, "turns": turns, "reveal": reveal}
