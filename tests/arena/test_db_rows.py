"""The vote path's hand-written statements (``arena.db.rows``) on SQLite and PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from arena.db.rows import (
    from_row,
    insert_rows,
    key,
    select_list,
    select_rows,
    table,
    update_row,
    update_where,
)
from arena.models import Contender
from battles.models import Battle, BattleCategory, BattleStatus, Outcome, Vote
from tests.factories import make_contender

pytestmark = pytest.mark.django_db


@pytest.fixture
def battle() -> Battle:
    return Battle.objects.create(
        voter="v", ip_hash="h", contender_a=make_contender("r-a"), contender_b=make_contender("r-b")
    )


def test_one_inserted_row_gets_its_primary_key_and_every_field(battle: Battle) -> None:
    vote = Vote.for_battle(battle, Outcome.TIE, "v")

    insert_rows([vote])

    assert vote.pk is not None
    stored = Vote.objects.get(pk=vote.pk)
    assert (stored.battle_id, stored.outcome, stored.voter) == (battle.pk, "tie", "v")
    assert (stored.contender_a_id, stored.weight) == (battle.contender_a_id, 1.0)
    assert stored.created_at == vote.created_at


def test_rows_that_conflict_are_skipped_when_asked(battle: Battle) -> None:
    vote = Vote.for_battle(battle, Outcome.A, "v")
    insert_rows([vote])
    coding = BattleCategory.for_vote(vote, "coding")
    insert_rows([coding])

    again = BattleCategory.for_vote(vote, "coding")
    insert_rows([again], ignore_conflicts=True)
    insert_rows([BattleCategory.for_vote(vote, "math"), again], ignore_conflicts=True)

    tags = BattleCategory.objects.filter(battle=battle).values_list("category", flat=True)
    assert sorted(tags) == ["coding", "math"]


def test_an_updated_row_gets_its_fields_and_its_auto_now_time(battle: Battle) -> None:
    before = timezone.now() - timedelta(seconds=1)
    Battle.objects.filter(pk=battle.pk).update(updated_at=before)
    battle.status, battle.excluded_reason = BattleStatus.VOTED, "test reason"

    update_row(battle, ["status", "excluded_reason", "updated_at"])

    stored = Battle.objects.get(pk=battle.pk)
    assert (stored.status, stored.excluded_reason) == ("voted", "test reason")
    assert stored.updated_at > before
    assert stored.voter == "v"  # fields not named are left alone


def test_a_uuid_key_finds_its_row_on_either_database(battle: Battle) -> None:
    rows = select_rows(f"SELECT voter FROM {table(Battle)} WHERE id = %s", [key(Battle, battle.pk)])

    assert rows == [("v",)]


def test_a_row_read_by_its_select_list_becomes_the_stored_instance(battle: Battle) -> None:
    rows = select_rows(
        f"SELECT {select_list(Battle, 'b')} FROM {table(Battle)} b WHERE b.id = %s",
        [key(Battle, battle.pk)],
    )

    read = from_row(Battle, None, iter(rows[0]))

    stored = Battle.objects.get(pk=battle.pk)
    fields = [f.attname for f in Battle._meta.concrete_fields]
    assert [getattr(read, f) for f in fields] == [getattr(stored, f) for f in fields]
    # Converted as the ORM converts them, on SQLite too (hex text, ISO text there).
    assert isinstance(read.id, uuid.UUID)
    assert timezone.is_aware(read.created_at)
    assert read.get_deferred_fields() == set()


def test_fields_not_read_are_deferred_and_the_values_after_them_left(battle: Battle) -> None:
    contender = Contender.objects.get(pk=battle.contender_a_id)
    contender.reveal("Revealed Name", organisation="Its Maker")
    names = ("id", "codename", "revealed_at")
    rows = select_rows(
        f"SELECT {select_list(Contender, 'c', names)}, 42 FROM {table(Contender)} c "
        "WHERE c.id = %s",
        [contender.pk],
    )
    values = iter(rows[0])

    read = from_row(Contender, names, values)

    assert list(values) == [42]
    assert (read.pk, read.codename, read.revealed_at) == (
        contender.pk,
        "r-a",
        Contender.objects.get(pk=contender.pk).revealed_at,
    )
    assert {"public_name", "organisation"} <= read.get_deferred_fields()
    assert read.organisation == "Its Maker"  # a deferred field loads on access


def test_a_conditional_update_changes_only_matching_rows_and_counts_them(battle: Battle) -> None:
    other = Battle.objects.create(
        voter="w", ip_hash="h", contender_a=battle.contender_a, contender_b=battle.contender_b
    )
    Battle.objects.filter(pk=battle.pk).update(pairs_allowed=3)
    at = timezone.now() - timedelta(days=1)

    changed = update_where(
        Battle,
        {"status": BattleStatus.VOTED, "updated_at": at},
        {"id": battle.pk, "status": BattleStatus.GENERATING},
        add_one=["pairs_allowed"],
    )
    still_generating = {"id": battle.pk, "status": BattleStatus.GENERATING}
    again = update_where(Battle, {"status": BattleStatus.FAILED}, still_generating)

    assert (changed, again) == (1, 0)
    stored = Battle.objects.get(pk=battle.pk)
    assert (stored.status, stored.updated_at, stored.pairs_allowed) == (BattleStatus.VOTED, at, 4)
    assert Battle.objects.get(pk=other.pk).status == BattleStatus.GENERATING
