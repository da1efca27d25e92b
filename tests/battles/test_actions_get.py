"""get_battle: the owner's battle with turns and completions in order."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arena.errors import Forbidden, NotFound
from battles.actions import add_turn, get_battle
from tests.battles.generation_helpers import generate_all, make_contender, new_battle

pytestmark = pytest.mark.django_db


def test_owner_gets_turns_and_completions_prefetched() -> None:
    make_contender("first-one")
    make_contender("second-one")
    battle = new_battle("one", voter="owner")
    generate_all(battle)
    add_turn(battle_id=battle.id, voter="owner", prompt="two")

    with CaptureQueriesContext(connection) as queries:
        found = get_battle(battle_id=battle.id, voter="owner")
    with CaptureQueriesContext(connection) as more:
        shape = [
            (t.index, t.prompt, [c.side for c in t.completions.all()]) for t in found.turns.all()
        ]
        names = (found.contender_a.codename, found.contender_b.codename)

    assert shape == [(0, "one", ["a", "b"]), (1, "two", ["a", "b"])]
    assert set(names) == {"first-one", "second-one"}
    assert found.latest_turn().index == 1
    assert len(queries) == 3 and len(more) == 0


def test_someone_elses_battle_is_forbidden() -> None:
    make_contender("first-one")
    make_contender("second-one")
    battle = new_battle(voter="owner")
    with pytest.raises(Forbidden):
        get_battle(battle_id=battle.id, voter="other")


def test_missing_battle_is_not_found() -> None:
    with pytest.raises(NotFound, match="does not exist"):
        get_battle(battle_id=uuid.uuid4(), voter="owner")
