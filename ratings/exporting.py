"""Export the counted votes in the public layouts, so that others can check the leaderboard.

* ``fastchat``: FastChat's clean-battle JSONL, one battle per line (``question_id``,
  ``model_a``, ``model_b``, ``winner``, ``judge``, ``turn``, ``anony``, ``language``,
  ``tstamp``, ``is_code``, ``category_tag``, ``conv_metadata``, optionally
  ``conversation_a``/``conversation_b``).
* ``arena-csv``: the arena-human-preference-140k CSV layout (``id, model_a, model_b,
  winner`` plus the flattened ``category_tag.*`` and ``conv_metadata.*`` columns,
  ``language``, ``is_code``, ``turn``, ``tstamp``; conversations as JSON strings).

The arena's own category tags are written as the public fields that
:mod:`ratings.datasets` reads back into the same tags (``coding`` as ``is_code``, a
hard prompt as all seven criteria, ``longer_query`` through ``sum_user_tokens``,
``multi_turn`` through ``turn``), so ``import_battles`` of an export rebuilds the same
counts and the same leaderboard. ``language_unknown`` is written as "unknown", which the
public layout (and so the import) treats as no language.

Only counted votes are exported (the "clean" battles); battles of an unrevealed
contender only with ``include_unrevealed`` (under its codename). Votes are read in
batches by primary key: memory stays flat however many there are.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from django.db.models import Q, Sum

from arena.categories import (
    BASE_CATEGORIES,
    HARD_CRITERIA,
    IMPLICIT,
    LANGUAGE_PREFIX,
    LONGER_QUERY_TOKENS,
)
from arena.models import Contender, revealed_q
from battles.models import BattleCategory, Completion, Outcome, Turn
from ratings.aggregation import STYLE_FIELDS, eligible_votes
from ratings.pii import scrub_pii

ExportFormat = Literal["fastchat", "arena-csv"]
BATCH = 2000

FASTCHAT_WINNER = {
    Outcome.A: "model_a",
    Outcome.B: "model_b",
    Outcome.TIE: "tie",
    Outcome.BOTH_BAD: "tie (bothbad)",
}
ARENA_WINNER = {**FASTCHAT_WINNER, Outcome.BOTH_BAD: "both_bad"}
# Tags the public layout can carry (besides language_*); others are counted as dropped.
KNOWN_TAGS = set(BASE_CATEGORIES) - IMPLICIT
CSV_COLUMNS = [
    "id", "model_a", "model_b", "winner",
    "category_tag.creative_writing_v0.1.creative_writing",
    *[f"category_tag.criteria_v0.1.{c}" for c in HARD_CRITERIA],
    "category_tag.if_v0.1.if", "category_tag.math_v0.1.math",
    "is_code", "language", "turn", "tstamp", "judge",
    "conv_metadata.sum_user_tokens",
    "conv_metadata.sum_assistant_a_tokens", "conv_metadata.header_count_a",
    "conv_metadata.list_count_a", "conv_metadata.bold_count_a",
    "conv_metadata.sum_assistant_b_tokens", "conv_metadata.header_count_b",
    "conv_metadata.list_count_b", "conv_metadata.bold_count_b",
]  # fmt: skip


@dataclass
class ExportReport:
    battles: int = 0
    skipped_unrevealed: int = 0
    # Tags with no public field (written nowhere), by name.
    dropped_tags: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Turn:
    prompt: str
    answers: dict[str, str]


def export_battles(
    out: IO[str],
    *,
    fmt: ExportFormat = "fastchat",
    conversations: bool = False,
    scrub: bool = False,
    include_unrevealed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Write every counted vote to ``out`` in ``fmt``; returns what was written.

    ``scrub`` applies :func:`ratings.pii.scrub_pii` to every prompt and answer written
    (with ``conversations``).
    """
    report = ExportReport()
    people = Contender.objects.in_bulk()
    writer: csv.DictWriter[str] | None = None
    if fmt == "arena-csv":
        columns = CSV_COLUMNS + (["conversation_a", "conversation_b"] if conversations else [])
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
    for batch in _vote_batches(include_unrevealed, report):
        battle_ids = [v[1] for v in batch]
        tags = _tags(battle_ids)
        turns = _turns(battle_ids, with_text=conversations)
        style = _style(battle_ids)
        for vote_id, battle_id, a_id, b_id, outcome, voter, created_at, source in batch:
            record = _record(
                vote_id, battle_id, people[a_id], people[b_id], outcome, voter, created_at,
                source, tags.get(battle_id, set()), turns.get(battle_id, []),
                style.get(battle_id), report, include_unrevealed,
            )  # fmt: skip
            if conversations:
                clean: Callable[[str], str] = scrub_pii if scrub else _same
                for side in ("a", "b"):
                    record[f"conversation_{side}"] = _conversation(
                        turns.get(battle_id, []), side, clean
                    )
            if writer is None:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                writer.writerow(_flatten(record))
            report.battles += 1
        if progress is not None:
            progress(report.battles)
    return report


def _same(text: str) -> str:
    return text


def _vote_batches(include_unrevealed: bool, report: ExportReport) -> Iterator[list[Any]]:
    votes = eligible_votes()
    if not include_unrevealed:
        hidden = ~revealed_q("contender_a__") | ~revealed_q("contender_b__")
        report.skipped_unrevealed = votes.filter(hidden).count()
        votes = votes.exclude(hidden)
    columns = (
        "id", "battle_id", "contender_a_id", "contender_b_id", "outcome", "voter",
        "created_at", "battle__source_id",
    )  # fmt: skip
    last = 0
    while True:
        batch = list(votes.filter(id__gt=last).order_by("id").values_list(*columns)[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        yield batch


def _tags(battle_ids: list[Any]) -> dict[Any, set[str]]:
    found: dict[Any, set[str]] = defaultdict(set)
    rows = BattleCategory.objects.filter(battle_id__in=battle_ids).values_list(
        "battle_id", "category"
    )
    for battle_id, category in rows:
        found[battle_id].add(category)
    return found


def _turns(battle_ids: list[Any], *, with_text: bool) -> dict[Any, list[_Turn]]:
    found: dict[Any, list[_Turn]] = defaultdict(list)
    turns = Turn.objects.filter(battle_id__in=battle_ids, superseded=False).order_by(
        "battle_id", "index"
    )
    by_id: dict[int, _Turn] = {}
    for turn_id, battle_id, prompt in turns.values_list("id", "battle_id", "prompt"):
        turn = _Turn(prompt=prompt, answers={})
        by_id[turn_id] = turn
        found[battle_id].append(turn)
    if with_text and by_id:
        answers = Completion.objects.filter(turn_id__in=list(by_id)).values_list(
            "turn_id", "side", "text"
        )
        for turn_id, side, text in answers:
            by_id[turn_id].answers[side] = text
    return found


def _style(battle_ids: list[Any]) -> dict[Any, tuple[int, ...]]:
    """The eight style sums of each battle with completions (side A's four, then B's)."""
    sums = {
        f"{side}_{name}": Sum(f"completions__{name}", filter=Q(completions__side=side))
        for side in ("a", "b")
        for name in STYLE_FIELDS
    }
    rows = (
        Turn.objects.filter(battle_id__in=battle_ids, superseded=False)
        .values("battle_id")
        .annotate(**sums)
        .order_by()
        .values_list("battle_id", *sums)
    )
    return {r[0]: tuple(int(x or 0) for x in r[1:]) for r in rows if None not in r[1:]}


def _question_id(battle_id: Any, source: str) -> str:
    """The source's id for an imported battle (so a re-import recognises it), else ours."""
    if source:
        return source.partition(":")[2] or source
    return str(battle_id)


def _record(
    vote_id: int,
    battle_id: Any,
    a: Contender,
    b: Contender,
    outcome: str,
    voter: str,
    created_at: Any,
    source: str,
    tags: set[str],
    turns: list[_Turn],
    style: tuple[int, ...] | None,
    report: ExportReport,
    include_unrevealed: bool,
) -> dict[str, Any]:
    for tag in tags - KNOWN_TAGS:
        if not tag.startswith(LANGUAGE_PREFIX):
            report.dropped_tags[tag] = report.dropped_tags.get(tag, 0) + 1
    languages = sorted(t for t in tags if t.startswith(LANGUAGE_PREFIX))
    language = languages[0].removeprefix(LANGUAGE_PREFIX) if languages else "unknown"
    hard = "hard_prompts" in tags
    prompt_tokens = sum(len(t.prompt) for t in turns) // 4  # ~4 characters a token
    # The arena's own label decides which side of the public threshold we land on.
    if "longer_query" in tags:
        prompt_tokens = max(prompt_tokens, LONGER_QUERY_TOKENS + 1)
    else:
        prompt_tokens = min(prompt_tokens, LONGER_QUERY_TOKENS)
    n_turns = max(len(turns), 2) if "multi_turn" in tags else 1
    meta: dict[str, Any] = {"sum_user_tokens": prompt_tokens, "turns": n_turns}
    if style is not None:
        for k, side in enumerate(("a", "b")):
            length, headers, lists, bold = style[4 * k : 4 * k + 4]
            meta[f"sum_assistant_{side}_tokens"] = length // 4
            meta[f"header_count_{side}"] = headers
            meta[f"list_count_{side}"] = lists
            meta[f"bold_count_{side}"] = bold
    name = {c.pk: c.name_for(codename_allowed=include_unrevealed) for c in (a, b)}
    return {
        "question_id": _question_id(battle_id, source),
        "model_a": name[a.pk],
        "model_b": name[b.pk],
        "winner": FASTCHAT_WINNER[Outcome(outcome)],
        "judge": "arena_user_" + hashlib.sha256(voter.encode()).hexdigest()[:16],
        "turn": n_turns,
        "anony": True,
        "language": language.replace("_", " ").title() if language != "unknown" else language,
        "tstamp": created_at.timestamp(),
        "is_code": "coding" in tags,
        "category_tag": {
            "criteria_v0.1": dict.fromkeys(HARD_CRITERIA, hard),
            "if_v0.1": {"if": "instruction_following" in tags},
            "math_v0.1": {"math": "math" in tags},
            "creative_writing_v0.1": {"creative_writing": "creative_writing" in tags},
        },
        "conv_metadata": meta,
    }


def _conversation(turns: list[_Turn], side: str, clean: Callable[[str], str]) -> list[Any]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": clean(turn.prompt)})
        messages.append({"role": "assistant", "content": clean(turn.answers.get(side, ""))})
    return messages


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row of the 140k layout from a FastChat record."""
    tags = record["category_tag"]
    row: dict[str, Any] = {
        "id": record["question_id"],
        "model_a": record["model_a"],
        "model_b": record["model_b"],
        "winner": ARENA_WINNER[_OUTCOME_OF[record["winner"]]],
        "category_tag.creative_writing_v0.1.creative_writing": tags["creative_writing_v0.1"][
            "creative_writing"
        ],
        "category_tag.if_v0.1.if": tags["if_v0.1"]["if"],
        "category_tag.math_v0.1.math": tags["math_v0.1"]["math"],
        "is_code": record["is_code"],
        "language": record["language"],
        "turn": record["turn"],
        "tstamp": record["tstamp"],
        "judge": record["judge"],
    }
    for criterion, value in tags["criteria_v0.1"].items():
        row[f"category_tag.criteria_v0.1.{criterion}"] = value
    for key, value in record["conv_metadata"].items():
        if f"conv_metadata.{key}" in CSV_COLUMNS:
            row[f"conv_metadata.{key}"] = value
    for side in ("a", "b"):
        if f"conversation_{side}" in record:
            row[f"conversation_{side}"] = json.dumps(
                record[f"conversation_{side}"], ensure_ascii=False
            )
    return row


_OUTCOME_OF = {v: k for k, v in FASTCHAT_WINNER.items()}
