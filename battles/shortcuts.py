"""Keyboard shortcuts of the battle page, defined once here and rendered into the page
(the buttons carry their key; the page documents them; ``battle.js`` reads them)."""

from dataclasses import dataclass

from battles.models import Outcome

VOTE_KEYS = {Outcome.A: "a", Outcome.B: "b", Outcome.TIE: "t", Outcome.BOTH_BAD: "x"}
NEW_BATTLE_KEY = "n"


@dataclass(frozen=True)
class VoteButton:
    outcome: str
    label: str
    key: str


def vote_buttons() -> list[VoteButton]:
    """The vote buttons in page order, each with its shortcut key."""
    return [
        VoteButton(outcome=value, label=str(label), key=VOTE_KEYS[Outcome(value)])
        for value, label in Outcome.choices
    ]
