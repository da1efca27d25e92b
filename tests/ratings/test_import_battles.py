"""import_battles: historic revealed contenders, categories, idempotency, bad rows."""

import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client

from arena.models import Contender
from battles.models import Battle, BattleCategory, Vote
from ratings.aggregation import aggregate_votes

FIXTURES = Path(__file__).parent / "fixtures"


def fastchat_file(tmp_path: Path, extra: list[str] | None = None) -> Path:
    records = [
        {
            "question_id": "q1",
            "model_a": "gpt-4",
            "model_b": "claude-2",
            "winner": "model_a",
            "tstamp": 1700000000.0,
            "language": "English",
            "turn": 1,
            "anony": True,
            "is_code": True,
        },
        {
            "question_id": "q2",
            "model_a": "claude-2",
            "model_b": "gpt-4",
            "winner": "tie",
            "tstamp": 1700000100.0,
            "language": "German",
            "turn": 2,
            "anony": True,
            "is_code": False,
        },
        {
            "question_id": "q3",
            "model_a": "llama-2",
            "model_b": "gpt-4",
            "winner": "tie (bothbad)",
            "tstamp": 1700000200.0,
            "language": "English",
            "turn": 1,
            "anony": True,
            "is_code": False,
        },
        {
            "question_id": "q4",
            "model_a": "llama-2",
            "model_b": "claude-2",
            "winner": "model_b",
            "tstamp": 1700000300.0,
            "language": "English",
            "turn": 1,
            "anony": False,
            "is_code": False,
        },
    ]
    lines = [json.dumps(r) for r in records] + (extra or [])
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot_of_counts() -> tuple[list[str], list[str], list[list[list[float]]], list[float]]:
    pc = aggregate_votes().counts
    return pc.models, pc.categories, pc.wins.tolist(), pc.ties.sum(axis=(1, 2)).tolist()


@pytest.mark.django_db
def test_fastchat_import_creates_historic_revealed_votes_with_categories(tmp_path: Path) -> None:
    call_command("import_battles", str(fastchat_file(tmp_path)), verbosity=0)

    # the non-anonymous battle (q4) is dropped, as on the public leaderboard
    assert Vote.objects.count() == 3
    gpt = Contender.objects.get(public_name="gpt-4")
    assert gpt.historic and gpt.is_revealed and gpt.sampling_weight == 0
    assert gpt.status == "retired"
    battle = Battle.objects.get(source_id="fastchat:q1")
    assert battle.vote.outcome == "a"
    assert battle.contender_a == gpt
    assert battle.created_at.timestamp() == 1700000000.0
    assert set(battle.category_tags.values_list("category", flat=True)) == {
        "coding",
        "language_english",
    }
    tie = Battle.objects.get(source_id="fastchat:q2")
    assert set(tie.category_tags.values_list("category", flat=True)) == {
        "multi_turn",
        "language_german",
    }
    assert Battle.objects.get(source_id="fastchat:q3").vote.outcome == "bothbad"
    assert not BattleCategory.objects.filter(category__in=["overall", "exclude_ties"]).exists()


@pytest.mark.django_db
def test_import_writes_the_rating_facts_on_votes_and_tags(tmp_path: Path) -> None:
    # PostgreSQL writes through COPY, SQLite through bulk_create: both must fill them.
    call_command("import_battles", str(fastchat_file(tmp_path)), verbosity=0)

    for battle in Battle.objects.select_related("vote"):
        sides = (battle.contender_a_id, battle.contender_b_id)
        assert (battle.vote.contender_a_id, battle.vote.contender_b_id) == sides
        assert battle.vote.counted is True
        tags = set(
            battle.category_tags.values_list(
                "contender_a_id", "contender_b_id", "outcome", "counted"
            )
        )
        assert tags == {(*sides, battle.vote.outcome, True)}


@pytest.mark.django_db
def test_importing_twice_adds_nothing(tmp_path: Path) -> None:
    path = fastchat_file(tmp_path)
    call_command("import_battles", str(path), verbosity=0)
    before = snapshot_of_counts()
    contenders = Contender.objects.count()

    call_command("import_battles", str(path), verbosity=0)

    assert snapshot_of_counts() == before
    assert Vote.objects.count() == 3
    assert Contender.objects.count() == contenders


@pytest.mark.django_db
def test_bad_row_stops_the_import_unless_skipped(tmp_path: Path) -> None:
    bad = json.dumps(
        {
            "question_id": "q9",
            "model_a": "gpt-4",
            "model_b": "claude-2",
            "winner": "model_c",
            "anony": True,
        }
    )
    path = fastchat_file(tmp_path, extra=[bad, "{not json"])

    with pytest.raises(CommandError, match=r"line 5.*winner"):
        call_command("import_battles", str(path), verbosity=0)
    assert not Vote.objects.exists() and not Contender.objects.exists()

    call_command("import_battles", str(path), "--skip-bad", verbosity=0)
    assert Vote.objects.count() == 3


@pytest.mark.django_db
def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"nope\.jsonl"):
        call_command("import_battles", str(tmp_path / "nope.jsonl"), verbosity=0)


@pytest.mark.django_db
def test_pair_counts_import_is_idempotent_and_grows(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(
        "model_i,model_j,wins_i,wins_j,tie,tie_bothbad\nalpha,beta,3,1,2,1\nbeta,gamma,2,2,0,0\n"
    )
    call_command("import_battles", str(path), "--format", "pairs", verbosity=0)
    pc = aggregate_votes().counts
    a, b = pc.models.index("alpha"), pc.models.index("beta")
    assert (pc.wins[0, a, b], pc.wins[0, b, a], pc.ties[0, a, b]) == (3, 1, 3)
    assert pc.bothbad is not None and pc.bothbad[0, a, b] == 1
    assert Vote.objects.count() == 7 + 4

    call_command("import_battles", str(path), "--format", "pairs", verbosity=0)
    assert Vote.objects.count() == 11

    # a newer count file with two more alpha wins adds exactly those two battles
    path.write_text(
        "model_i,model_j,wins_i,wins_j,tie,tie_bothbad\nalpha,beta,5,1,2,1\nbeta,gamma,2,2,0,0\n"
    )
    call_command("import_battles", str(path), "--format", "pairs", verbosity=0)
    assert Vote.objects.count() == 13


@pytest.mark.django_db
def test_arena_csv_reuses_a_revealed_contender_of_the_same_name(tmp_path: Path) -> None:
    from django.utils import timezone

    live = Contender.objects.create(
        codename="chocolate", public_name="gpt-4o", backend="demo", revealed_at=timezone.now()
    )
    path = tmp_path / "arena.csv"
    path.write_text(
        "id,model_a,model_b,winner,category_tag.math_v0.1.math,language\n"
        "x1,gpt-4o,mistral-large,model_b,True,English\n"
        "x2,mistral-large,gpt-4o,model_b,False,English\n"
    )

    call_command("import_battles", str(path), verbosity=0)

    battle = Battle.objects.get(source_id="arena-csv:x1")
    assert battle.contender_a == live
    assert "math" in battle.category_tags.values_list("category", flat=True)
    assert Contender.objects.filter(historic=True).count() == 1


@pytest.mark.django_db
def test_a_slice_of_the_140k_file_gives_categories_and_a_leaderboard(client: Client) -> None:
    # The first 400 rows of LMArena's arena-human-preference-140k (CC-BY-4.0), as
    # ../shared/data ships it: what `make run VOTES=demo` imports.
    path = FIXTURES / "arena_140k_slice.csv.gz"
    frame = pd.read_csv(path)
    call_command("import_battles", str(path), verbosity=0)
    call_command("recompute_ratings", verbosity=0)

    counted = BattleCategory.objects.values("category").annotate(n=Count("id"))
    sizes = {row["category"]: row["n"] for row in counted}
    criteria = frame[[c for c in frame.columns if c.startswith("category_tag.criteria_v0.1.")]]
    assert sizes == {
        "math": int(frame["category_tag.math_v0.1.math"].sum()),
        "instruction_following": int(frame["category_tag.if_v0.1.if"].fillna(False).sum()),
        "creative_writing": int(frame["category_tag.creative_writing_v0.1.creative_writing"].sum()),
        "hard_prompts": int((criteria.sum(axis=1) >= 6).sum()),
    }
    body = client.get("/api/leaderboard").json()
    models = set(frame["model_a"]) | set(frame["model_b"])
    assert {r["name"] for r in body["rows"]} == models
    assert {"overall", "math", "hard_prompts", "creative_writing"} <= set(body["categories"])
    hard = client.get("/api/leaderboard?category=hard_prompts").json()
    assert hard["rows"] and all(r["rating"] is not None for r in hard["rows"])
