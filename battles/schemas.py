"""The JSON shapes of the battles API, and how a battle becomes one for its voter.

Before the vote nothing here may tell the sides apart by identity: only ``a``/``b``,
texts, statuses and a generic error message. Names and reasoning traces (which tend to
name their makers) come only with a voted battle.
"""

from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from battles.models import Battle, BattleStatus, Completion, CompletionStatus, Side
from battles.rendering import render_markdown

# The backend's own error stays with operators: it could name the provider or model.
GENERIC_ERROR = "This answer could not be generated."


class SessionOut(Schema):
    csrf_token: str


class PromptIn(Schema):
    prompt: str = Field(description="What to ask both models.")


class VoteIn(Schema):
    outcome: Literal["a", "b", "tie", "bothbad"]


class ErrorOut(Schema):
    detail: str


class CompletionOut(Schema):
    text: str
    html: str = Field(description="The text as sanitised HTML (Markdown rendered).")
    status: Literal["pending", "streaming", "done", "failed"]
    error: str


class ReasoningOut(Schema):
    a: str = Field(description="Side a's reasoning trace as plain text; empty without one.")
    b: str = Field(description="Side b's reasoning trace as plain text; empty without one.")


class TurnOut(Schema):
    prompt: str
    a: CompletionOut
    b: CompletionOut
    reasoning: ReasoningOut | None = Field(
        description="The reasoning models' traces; null until the battle is voted."
    )


class RevealedContender(Schema):
    name: str
    revealed: bool = Field(description="False while the name shown is still a codename.")


class RevealOut(Schema):
    a: RevealedContender
    b: RevealedContender


class BattleReveal(RevealOut):
    outcome: str


class BattleOut(Schema):
    id: str
    status: Literal["generating", "ready", "voted", "failed", "abandoned"]
    turns: list[TurnOut]
    reveal: BattleReveal | None


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


def reveal_dict(battle: Battle) -> dict[str, Any]:
    return {"a": battle.contender_a.reveal_dict(), "b": battle.contender_b.reveal_dict()}


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
