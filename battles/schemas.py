"""The JSON shapes of the battles API (``battles.presenters`` fills them)."""

from typing import Literal

from ninja import Schema
from pydantic import Field


class SessionOut(Schema):
    csrf_token: str


class PromptIn(Schema):
    prompt: str = Field(description="What to ask both models.")


class SideBySideIn(PromptIn):
    model_a: int = Field(description="Id of the model on side a (from GET /api/models).")
    model_b: int = Field(description="Id of the model on side b, another one.")


class DirectChatIn(PromptIn):
    model: int = Field(description="Id of the model to chat with (from GET /api/models).")


class RegenerateIn(Schema):
    pair: Literal["same", "new"] = Field(
        description="same: new answers from the same two models (sides kept); new: a new "
        "battle with a new pair, asked the latest prompt (blind arena only)."
    )


class NamedModelOut(Schema):
    id: int
    name: str
    organisation: str


class ShareOut(Schema):
    token: str
    url: str = Field(description="The public read-only page of the battle.")


class VoteIn(Schema):
    outcome: Literal["a", "b", "tie", "bothbad"]


class HumanCheckOut(Schema):
    kind: Literal["off", "pow", "turnstile", "hcaptcha"]
    challenge: str = Field(description="pow: the signed challenge to solve.")
    difficulty: int = Field(description="pow: leading zero bits the SHA-256 must have.")
    site_key: str = Field(description="turnstile / hcaptcha: the widget's site key.")


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
    superseded: bool = Field(
        description="Regenerated: answered again by a later turn; never counted."
    )
    a: CompletionOut
    b: CompletionOut
    reasoning: ReasoningOut | None = Field(
        description="The reasoning models' traces; null until the battle is voted."
    )


class RevealedContender(Schema):
    name: str
    revealed: bool = Field(description="False while the name shown is still a codename.")


class NamesOut(Schema):
    a: RevealedContender
    b: RevealedContender


class RevealOut(NamesOut):
    notice: str = Field(
        default="",
        description="Why this battle does not count toward the leaderboard (an identity "
        "question in the prompt, a model named in an answer); empty when it counts.",
    )


class BattleReveal(RevealOut):
    outcome: str


BattleMode = Literal["arena", "side_by_side", "direct"]


class BattleOut(Schema):
    id: str
    mode: BattleMode = Field(description="arena (blind) or a named mode (never counted).")
    status: Literal["generating", "ready", "voted", "failed", "abandoned"]
    turns: list[TurnOut]
    names: NamesOut | None = Field(
        description="The models, from the start in a named mode; null in the blind arena "
        "(see reveal). A direct chat has only side a."
    )
    reveal: BattleReveal | None
    share: ShareOut | None = Field(description="The public link, once the voter made one.")
    replaced_by: str | None = Field(
        description="The battle that replaced this one (regenerated with a new pair)."
    )


class SharedBattleOut(Schema):
    mode: BattleMode
    turns: list[TurnOut]
    reveal: BattleReveal = Field(
        description="Who was who; an unrevealed model's name is empty (revealed false)."
    )
