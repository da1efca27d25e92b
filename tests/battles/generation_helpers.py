"""Helpers for the battle-engine tests: battles with pending completions, stream reading."""

import asyncio
import random

from arena.models import BackendKind, Contender
from battles.actions import start_battle
from battles.channel import START, Entry, get_channel, stream_key
from battles.models import Battle, Completion
from tests.factories import make_contender

# One loop for the whole session: the Redis channel keeps one async client per loop.
_LOOP = asyncio.new_event_loop()


def openai_contenders(base_url: str, scenario_a: str, scenario_b: str = "ok") -> list[Contender]:
    return [
        make_contender(
            "left-one", backend=BackendKind.OPENAI, base_url=base_url, provider_model=scenario_a
        ),
        make_contender(
            "right-one", backend=BackendKind.OPENAI, base_url=base_url, provider_model=scenario_b
        ),
    ]


def new_battle(prompt: str = "Name three rivers.", voter: str = "voter-1") -> Battle:
    """A battle through the real entry point; in a ``db`` test its tasks never enqueue."""
    return start_battle(voter=voter, ip_hash="ip-1", prompt=prompt, rng=random.Random(7))


def completion_of(battle: Battle, codename: str, turn: int = 0) -> Completion:
    return Completion.objects.get(
        turn__battle=battle, turn__index=turn, contender__codename=codename
    )


def stream_entries(completion: Completion) -> list[Entry]:
    """Everything published on the completion's token stream, in order."""

    async def read() -> list[Entry]:
        found = await get_channel().read({stream_key(completion.id): START}, block_ms=1)
        return [entry for _, entry in found]

    return _LOOP.run_until_complete(read())


def shown_text(entries: list[Entry]) -> str:
    """What a viewer shows after replaying ``entries``: deltas since the last reset."""
    text = ""
    for entry in entries:
        if entry.kind == "reset":
            text = ""
        elif entry.kind == "delta":
            text += entry.text
    return text


def generate_all(battle: Battle) -> None:
    """Run every pending generation of the battle here, synchronously (demo: no delay)."""
    from django.test import override_settings

    from battles.generation import run_generation

    with override_settings(ARENA_DEMO_TOKEN_DELAY=0):
        for completion in Completion.objects.filter(turn__battle=battle, status="pending"):
            run_generation(completion.id)


def bare_battle(contender_a: Contender, contender_b: Contender, prompt: str = "Hi") -> Battle:
    """Battle rows written directly, enqueuing nothing (for tests that run tasks by hand
    with a committing database, where start_battle's on-commit hooks would fire)."""
    battle = Battle.objects.create(
        voter="voter-1", ip_hash="ip-1", contender_a=contender_a, contender_b=contender_b
    )
    turn = battle.turns.create(index=0, prompt=prompt)
    for side, contender in (("a", contender_a), ("b", contender_b)):
        Completion.objects.create(turn=turn, side=side, contender=contender)
    return battle
