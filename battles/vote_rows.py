"""What the vote transaction reads, in hand-written SQL.

A vote is the arena's most frequent write. Building these queries with the ORM cost
more CPU than the rest of the vote together (``benchmarks/bench_serving.py``); the
statements are plain SQL that PostgreSQL and SQLite both run.
"""

from typing import NamedTuple
from uuid import UUID

from django.db import connection

from arena.db.rows import for_update, from_row, key, select_list, select_rows, table
from arena.models import Contender
from battles.duplicates import duplicate_count_sql
from battles.models import Battle, Completion, Turn
from ratings.voters import flag_reason_sql


class Answer(NamedTuple):
    """One side of one turn of the conversation."""

    turn: int
    prompt: str
    side: str
    status: str
    text: str


# What the reveal shows of a contender (Contender.reveal_dict); its other fields are
# deferred.
_REVEAL_FIELDS = ("id", "codename", "public_name", "revealed_at")


class LockedBattle(NamedTuple):
    """The battle, with both contenders for the reveal, and where it stands at the vote."""

    battle: Battle
    flag_reason: str  # the voter's or IP's active flag ("" when none)
    duplicates: int  # other counted votes on its prompt, at most the cap
    duplicate_cap: int


def lock_battle(battle_id: UUID) -> LockedBattle | None:
    """The battle, its row locked until the transaction ends (on PostgreSQL; SQLite
    serialises the transaction at its first write), in one statement with both
    contenders, the voter's flag and the prompt's count against the duplicate cap."""
    flag_sql, flag_params = flag_reason_sql("b")
    duplicates_sql, duplicates_params = duplicate_count_sql("b")
    rows = select_rows(
        f"SELECT {select_list(Battle, 'b')}, {select_list(Contender, 'ca', _REVEAL_FIELDS)}, "
        f"{select_list(Contender, 'cb', _REVEAL_FIELDS)}, {flag_sql}, {duplicates_sql} "
        f"FROM {table(Battle)} b "
        f"JOIN {table(Contender)} ca ON ca.id = b.contender_a_id "
        f"JOIN {table(Contender)} cb ON cb.id = b.contender_b_id WHERE b.id = %s{for_update('b')}",
        [*flag_params, *duplicates_params, key(Battle, battle_id)],
    )
    if not rows:
        return None
    values = iter(rows[0])
    battle = from_row(Battle, None, values)
    battle.contender_a = from_row(Contender, _REVEAL_FIELDS, values)
    battle.contender_b = from_row(Contender, _REVEAL_FIELDS, values)
    flag_reason, duplicates, cap = values
    return LockedBattle(battle, flag_reason or "", int(duplicates), int(cap))


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
