"""The vote's statements, prepared once per PostgreSQL connection (``arena.db.prepared``)."""

import pytest
from django.db import connection, transaction
from pytest_django.fixtures import Settings

from arena.db.rows import key, select_rows, table
from battles.models import Battle
from tests.factories import make_contender

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL prepares statements; SQLite runs them as they are")


def _battle(voter: str) -> Battle:
    a, b = make_contender(f"{voter}-a"), make_contender(f"{voter}-b")
    return Battle.objects.create(voter=voter, contender_a=a, contender_b=b)


def _voter_of(battle: Battle) -> list[tuple[str, ...]]:
    return select_rows(f"SELECT voter FROM {table(Battle)} WHERE id = %s", [key(Battle, battle.pk)])


def _prepared_here() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cur.fetchall()}


def test_a_statement_is_prepared_once_then_run_with_each_calls_values() -> None:
    first, second = _battle("first"), _battle("second")
    before = _prepared_here()

    assert _voter_of(first) == [("first",)]
    added = _prepared_here() - before
    assert _voter_of(second) == [("second",)]

    assert len(added) == 1
    assert _prepared_here() - before == added  # executed again, not prepared again


def test_a_rolled_back_transaction_keeps_what_it_prepared() -> None:
    battle = _battle("kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        _voter_of(battle)
        raise RuntimeError("rolled back")
    prepared = _prepared_here()

    assert _voter_of(battle) == [("kept",)]
    assert _prepared_here() == prepared


def test_behind_pgbouncer_nothing_is_prepared(settings: Settings) -> None:
    settings.ARENA_BEHIND_PGBOUNCER = True
    battle = _battle("pooled")
    before = _prepared_here()

    assert _voter_of(battle) == [("pooled",)]
    assert _prepared_here() == before


def test_a_statement_with_named_or_escaped_placeholders_is_refused() -> None:
    with pytest.raises(ValueError, match="positional"):
        select_rows(f"SELECT voter FROM {table(Battle)} WHERE voter LIKE 'a%%' AND id = %s", [1])
