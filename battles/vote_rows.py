"""What the vote transaction reads, in hand-written SQL.

A vote is the arena's most frequent write. Building these queries with the ORM cost
more CPU than the rest of the vote together (``benchmarks/bench_serving.py``); the
statements are plain SQL that PostgreSQL and SQLite both run.
"""

from typing import NamedTuple
from uuid import UUID

from django.db import connection

from arena.db.rows import key, select_rows, table
from arena.models import Contender
from battles.models import Battle, Completion, Turn


class Answer(NamedTuple):
    """One side of one turn of the conversation."""

    turn: int
    prompt: str
    side: str
    status: str
    text: str


def lock_battle(battle_id: UUID) -> Battle | None:
    """The battle, its row locked until the transaction ends (on PostgreSQL; SQLite
    serialises the transaction at its first write)."""
    lock = ""
    if connection.features.has_select_for_update:
        lock = " " + connection.ops.for_update_sql()
    rows = Battle.objects.raw(
        f"SELECT * FROM {table(Battle)} WHERE id = %s{lock}", [key(Battle, battle_id)]
    )
    return next(iter(rows), None)


def conversation(battle_id: UUID) -> list[Answer]:
    """Every turn's prompt and both answers in order; regenerated turns are no part of it."""
    index = connection.ops.quote_name("index")
    rows = select_rows(
        f"SELECT t.{index}, t.prompt, c.side, c.status, c.text FROM {table(Completion)} c "
        f"JOIN {table(Turn)} t ON t.id = c.turn_id "
        f"WHERE t.battle_id = %s AND t.superseded = %s ORDER BY t.{index}, c.side",
        [key(Battle, battle_id), False],
    )
    return [Answer(*row) for row in rows]


def attach_contenders(battle: Battle) -> None:
    """Load both contenders onto ``battle`` in one query (for the reveal)."""
    found = {
        c.pk: c
        for c in Contender.objects.raw(
            f"SELECT * FROM {table(Contender)} WHERE id IN (%s, %s)",
            [battle.contender_a_id, battle.contender_b_id],
        )
    }
    battle.contender_a = found[battle.contender_a_id]
    battle.contender_b = found[battle.contender_b_id]
