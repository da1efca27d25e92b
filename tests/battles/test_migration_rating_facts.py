"""Migration 0004 fills the rating facts of votes and tags that existed before 0003."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

BEFORE = [("battles", "0002_housekeeping_indexes")]
AFTER = [("battles", "0005_vote_rating_facts_not_null")]


def migrate_to(targets: list[tuple[str, str]]) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps() -> Iterator[StateApps]:
    apps = migrate_to(BEFORE)
    yield apps
    # Back to the latest schema for the tests that follow.
    migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_votes_and_tags_get_their_battles_facts(old_apps: StateApps) -> None:
    # given: rows as the schema before 0003 stored them
    contender = old_apps.get_model("arena", "Contender")
    battle = old_apps.get_model("battles", "Battle")
    vote = old_apps.get_model("battles", "Vote")
    tag = old_apps.get_model("battles", "BattleCategory")
    x, y = (contender.objects.create(codename=c, backend="demo") for c in ("xray", "yankee"))
    counted = battle.objects.create(voter="v", contender_a=y, contender_b=x, status="voted")
    leaked = battle.objects.create(
        voter="v", contender_a=x, contender_b=y, status="voted", excluded_reason="identity leak"
    )
    unvoted = battle.objects.create(voter="v", contender_a=x, contender_b=y, status="ready")
    vote.objects.create(battle=counted, outcome="b", voter="v")
    vote.objects.create(battle=leaked, outcome="tie", voter="v")
    for b, category in ((counted, "coding"), (leaked, "math"), (unvoted, "coding")):
        tag.objects.create(battle=b, category=category)

    # when
    apps = migrate_to(AFTER)

    # then
    votes = apps.get_model("battles", "Vote").objects
    facts = set(votes.values_list("battle_id", "contender_a_id", "contender_b_id", "counted"))
    assert facts == {(counted.id, y.id, x.id, True), (leaked.id, x.id, y.id, False)}
    tags = apps.get_model("battles", "BattleCategory").objects
    rows = set(
        tags.values_list("battle_id", "contender_a_id", "contender_b_id", "outcome", "counted")
    )
    assert rows == {
        (counted.id, y.id, x.id, "b", True),
        (leaked.id, x.id, y.id, "tie", False),
        (unvoted.id, x.id, y.id, "", False),
    }
