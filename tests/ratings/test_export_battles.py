"""export_battles: public layouts, conversations with an opt-in PII scrubber, anonymity,
and a round trip through import_battles that rebuilds the same leaderboard."""

import csv
import json
import random
from pathlib import Path

import pytest
from django.core.management import call_command

from battles.models import Battle, Completion, Turn
from ratings.models import RatingSnapshot
from ratings.snapshots import RecomputeOptions, recompute_ratings
from tests.ratings.helpers import contender, live_votes, vote

TAGS = [
    "coding", "math", "instruction_following", "creative_writing", "hard_prompts",
    "longer_query", "multi_turn", "language_english", "language_german",
]  # fmt: skip


@pytest.fixture
def arena() -> None:
    rng = random.Random(3)
    people = [contender(n) for n in ("ace", "bee", "cat", "dan")]
    strength = {"ace": 1.0, "bee": 0.5, "cat": 0.0, "dan": -0.5}
    for _ in range(400):
        a, b = rng.sample(people, 2)
        p = 1 / (1 + 10 ** (strength[b.codename] - strength[a.codename]))
        r = rng.random()
        outcome = "tie" if r < 0.1 else "bothbad" if r < 0.15 else "a" if rng.random() < p else "b"
        tags = [t for t in TAGS[:7] if rng.random() < 0.3]
        tags.append(rng.choice(TAGS[7:]))
        vote(a, b, outcome, categories=tags)
    secret = contender("secret", revealed=False)
    vote(secret, people[0], "a", categories=["coding"])
    live_votes(
        [(people[0], people[1], "a", (1200, 2, 3, 1), (300, 0, 0, 0))],
        categories=["coding", "language_english"],
    )
    turn = Turn.objects.get()
    turn.prompt = "I'm jane@example.com, call +1 (555) 123-4567"
    turn.save()
    Completion.objects.filter(side="a").update(text="See https://x.example/cb?access_token=s3cr3t")


def _board(snapshot: RatingSnapshot | None) -> dict[str, list[tuple]]:
    assert snapshot is not None
    out: dict[str, list[tuple]] = {}
    for category in snapshot.categories():
        rows = snapshot.leaderboard(category, staff=True, style_control=False)["rows"]
        out[category] = [
            (r["name"], round(r["rating"], 6), round(r["ci_lower"], 6), r["votes"], r["rank"])
            for r in rows
        ]
    return out


@pytest.mark.django_db
@pytest.mark.usefixtures("arena")
@pytest.mark.parametrize(("fmt", "name"), [("fastchat", "votes.jsonl"), ("arena-csv", "votes.csv")])
def test_round_trip_rebuilds_the_same_leaderboard(tmp_path: Path, fmt: str, name: str) -> None:
    # given: the leaderboard of the public battles (the unrevealed one is not exported)
    Battle.objects.filter(contender_a__codename="secret").delete()
    before = _board(recompute_ratings(RecomputeOptions(seed=0)))
    path = tmp_path / name
    call_command("export_battles", "--format", fmt, "--output", str(path))

    # when: the votes are gone and the export is imported instead
    Battle.objects.all().delete()
    call_command("import_battles", str(path))
    after = _board(recompute_ratings(RecomputeOptions(seed=0), force=True))

    # then
    assert set(after) == {"overall", "exclude_ties", *TAGS}
    assert after == before


@pytest.mark.django_db
@pytest.mark.usefixtures("arena")
def test_fastchat_layout_without_unrevealed_and_with_scrubbed_conversations(
    tmp_path: Path,
) -> None:
    path = tmp_path / "votes.jsonl"
    call_command("export_battles", "--output", str(path), "--conversations", "--scrub-pii")

    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 401  # the battle of the unrevealed contender is left out
    assert "secret" not in path.read_text().lower()
    record = records[-1]
    fields = {"question_id", "model_a", "model_b", "winner", "judge", "turn", "anony",
              "language", "tstamp", "is_code", "category_tag", "conv_metadata"}  # fmt: skip
    assert fields <= set(record)
    assert record["winner"] == "model_a" and record["language"] == "English"
    assert record["conv_metadata"]["header_count_a"] == 2
    prompt = record["conversation_a"][0]["content"]
    answer = record["conversation_a"][1]["content"]
    assert prompt == "I'm [email], call [phone]"
    assert answer == "See https://x.example/cb?[redacted]"
    assert {r["winner"] for r in records} == {"model_a", "model_b", "tie", "tie (bothbad)"}


@pytest.mark.django_db
@pytest.mark.usefixtures("arena")
def test_unscrubbed_csv_keeps_text_and_operators_may_include_unrevealed(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    call_command(
        "export_battles", "--format", "arena-csv", "--output", str(path), "--conversations",
        "--include-unrevealed",
    )  # fmt: skip

    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 402
    assert "secret" in {r["model_a"] for r in rows}
    assert {r["winner"] for r in rows} == {"model_a", "model_b", "tie", "both_bad"}
    live = next(r for r in rows if r["conversation_a"] != "[]")
    assert "jane@example.com" in json.loads(live["conversation_a"])[0]["content"]
