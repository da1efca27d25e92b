"""The JSON shapes of the battles API (``battles.presenters`` fills them)."""

from typing import Literal

from ninja import Schema
from pydantic import Field


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
    notice: str = Field(
        default="",
        description="Why this battle does not count toward the leaderboard (an identity "
        "question in the prompt, a model named in an answer); empty when it counts.",
    )


class BattleReveal(RevealOut):
    outcome: str


class BattleOut(Schema):
    id: str
    status: Literal["generating", "ready", "voted", "failed", "abandoned"]
    turns: list[TurnOut]
    reveal: BattleReveal | None
