"""The duplicate cap: one prompt (normalised, hashed) counts at most ``cap`` times."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from arena.models import Contender
from battles.actions import cast_vote
from battles.duplicates import (
    MIN_CAP,
    current_cap,
    normalise_prompt,
    percentile_count,
    prompt_hash,
    refresh_duplicate_cap,
)
from battles.exclusions import exclude_battles
from battles.models import Battle, BattleStatus, DuplicateCap, Vote
from ratings.snapshots import recompute_ratings
from tests.battles.generation_helpers import generate_all, new_battle
from tests.factories import make_contender

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair() -> list[Contender]:
    return [make_contender("left-one"), make_contender("right-one")]


def voted(prompt: str, voter: str = "v") -> Battle:
    battle = new_battle(prompt, voter=voter)
    generate_all(battle)
    cast_vote(battle_id=battle.id, voter=voter, outcome="a")
    return Battle.objects.get(pk=battle.pk)


def bulk_voted(pair: list[Contender], prompt: str, n: int) -> None:
    """``n`` counted votes on ``prompt`` written as rows (no generation needed)."""
    key = prompt_hash(prompt)
    for _ in range(n):
        battle = Battle.objects.create(
            voter="bulk",
            contender_a=pair[0],
            contender_b=pair[1],
            status=BattleStatus.VOTED,
            prompt_hash=key,
        )
        Vote.for_battle(battle, "a", "bulk").save()


def test_case_and_whitespace_do_not_make_a_new_prompt() -> None:
    assert normalise_prompt("  Hello\n\tWORLD  ") == "hello world"
    assert prompt_hash("Hello   world") == prompt_hash("hello world\n")
    assert prompt_hash("Hello world") != prompt_hash("Hello, world")
    assert len(prompt_hash("x")) == 64


def test_the_first_prompt_is_hashed_on_the_battle(pair: list[Contender]) -> None:
    battle = new_battle("Name THREE rivers.")
    assert battle.prompt_hash == prompt_hash("name three rivers.")


@override_settings(ARENA_DUPLICATE_CAP=3)
def test_votes_past_the_cap_are_kept_but_excluded(pair: list[Contender]) -> None:
    bulk_voted(pair, "Tell me a joke", 3)

    over = voted("tell me a JOKE")
    other = voted("Tell me a story")

    assert over.excluded_reason == "duplicate cap: 3 votes on this prompt already count"
    assert Vote.objects.get(battle=over).counted is False
    assert other.excluded_reason == ""
    # Excluding a counted vote for another reason frees a place under the cap.
    first = Battle.objects.filter(voter="bulk").order_by("created_at")[:1]
    assert exclude_battles(Battle.objects.filter(pk__in=first), "flagged voter: test") == 1
    assert voted("Tell me a joke").excluded_reason == ""


def test_the_cap_defaults_to_the_minimum_then_follows_the_recompute(
    pair: list[Contender],
) -> None:
    assert current_cap() == MIN_CAP
    bulk_voted(pair, "hi", 40)
    bulk_voted(pair, "hello", 2)

    recompute_ratings(force=True)

    stored = DuplicateCap.objects.get(pk=1)
    # Two prompts: the 99.9th percentile is the larger count.
    assert (stored.cap, stored.percentile_count, stored.prompts) == (40, 40, 2)
    assert current_cap() == 40
    with override_settings(ARENA_DUPLICATE_CAP=5):
        assert current_cap() == 5


def test_the_percentile_of_per_prompt_counts() -> None:
    assert percentile_count({}) == 0
    assert percentile_count({1: 999, 500: 1}) == 1  # one prompt in a thousand is the tail
    assert percentile_count({1: 998, 500: 2}) == 500
    assert percentile_count({3: 10}) == 3
    assert refresh_duplicate_cap().cap == MIN_CAP  # no votes: the minimum


@override_settings(ARENA_DUPLICATE_CAP=2)
def test_the_command_reports_top_prompts_and_what_was_capped(pair: list[Contender]) -> None:
    bulk_voted(pair, "Write a haiku about rain", 2)
    voted("write a haiku about   rain")
    voted("Something else entirely")
    out = StringIO()

    call_command("duplicate_prompts", "--top", "5", stdout=out)

    text = out.getvalue()
    assert "Duplicate cap: 2 votes per prompt (ARENA_DUPLICATE_CAP)" in text
    assert "Votes excluded by the cap: 1" in text
    first = text.splitlines()[3].split()
    assert first[:4] == [prompt_hash("write a haiku about rain")[:16], "3", "2", "1"]
    assert "write a haiku about rain" in text.lower()
    assert "Something else entirely" in text


def test_imported_battles_get_the_hash_when_their_prompt_is_known(tmp_path: Path) -> None:
    records = [
        {
            "question_id": "q1",
            "model_a": "gpt-4",
            "model_b": "claude-2",
            "winner": "model_a",
            "conversation_a": [
                {"role": "user", "content": "What is  the capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ],
        },
        {"question_id": "q2", "model_a": "claude-2", "model_b": "gpt-4", "winner": "tie"},
    ]
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")

    call_command("import_battles", str(path), verbosity=0)

    hashes = dict(Battle.objects.values_list("source_id", "prompt_hash"))
    assert hashes == {
        "fastchat:q1": prompt_hash("what is the capital of france?"),
        "fastchat:q2": "",
    }
