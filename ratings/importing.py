"""Load public battle data as historic votes of revealed contenders.

The files are read by :mod:`ratings.datasets` (same formats, validation and categories as
``compute_ratings``); this module turns its per-battle arrays into ``Battle``/``Vote``/
``BattleCategory`` rows. Imports are idempotent: every battle carries a stable
``source_id`` and batches skip the ids already stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from arena.categories import IMPLICIT
from arena.models import BackendKind, Contender, ContenderStatus
from battles.duplicates import prompt_hash
from battles.models import Battle, BattleCategory, BattleStatus, Outcome, Vote
from ratings.datasets import Format, LoadedVotes, load_votes
from ratings.stats.counts import A_WINS, B_WINS, BOTH_BAD, TIE

OUTCOMES = {A_WINS: Outcome.A, B_WINS: Outcome.B, TIE: Outcome.TIE, BOTH_BAD: Outcome.BOTH_BAD}
HISTORIC_VOTER = "historic"
BATCH_SIZE = 5000


@dataclass(frozen=True)
class HistoricBattle:
    source_id: str
    model_a: str
    model_b: str
    outcome: str
    categories: tuple[str, ...]
    created_at: datetime
    prompt_hash: str = ""


@dataclass
class ImportReport:
    format: str
    battles_in_file: int = 0
    created: int = 0
    already_present: int = 0
    skipped_bad: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    contenders_created: list[str] = field(default_factory=list)


def import_battles(
    path: str | Path,
    *,
    fmt: Format = "auto",
    skip_bad: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Store the battles of a vote file; ``progress(done, total)`` after each batch.

    Raises :class:`ratings.datasets.DatasetError` for a malformed file (or malformed rows
    without ``skip_bad``), before anything is written.
    """
    loaded = load_votes(path, fmt=fmt, skip_bad=skip_bad)
    now = timezone.now()
    total, battles = _historic_battles(loaded, now)
    report = ImportReport(
        format=loaded.format,
        battles_in_file=total,
        skipped_bad=loaded.skipped,
        dropped=dict(loaded.dropped),
    )
    contenders = historic_contenders(loaded.counts.models, report)
    done = 0
    seen: set[str] = set()
    if progress is not None:
        progress(0, total)
    while chunk := list(islice(battles, batch_size)):
        fresh = [b for b in chunk if b.source_id not in seen]
        seen.update(b.source_id for b in fresh)
        created = _store_batch(fresh, contenders)
        report.created += created
        report.already_present += len(chunk) - created
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return report


def historic_contenders(names: list[str], report: ImportReport) -> dict[str, int]:
    """Contender id per model name: a revealed contender of that name, or a new historic one."""
    found = dict(
        Contender.objects.filter(public_name__in=names, revealed_at__isnull=False).values_list(
            "public_name", "id"
        )
    )
    taken = set(Contender.objects.values_list("codename", flat=True))
    now = timezone.now()
    for name in names:
        if name in found:
            continue
        codename = _free_codename(name, taken)
        taken.add(codename)
        found[name] = Contender.objects.create(
            codename=codename,
            public_name=name,
            backend=BackendKind.DEMO,
            status=ContenderStatus.RETIRED,
            sampling_weight=0.0,
            historic=True,
            revealed_at=now,
        ).id
        report.contenders_created.append(codename)
    return found


def _free_codename(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:80] or "model"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _historic_battles(loaded: LoadedVotes, now: datetime) -> tuple[int, Iterator[HistoricBattle]]:
    if loaded.battles is None:
        return _battles_from_pair_counts(loaded, now)
    b = loaded.battles
    kind = loaded.format
    tags = [(k, c) for k, c in enumerate(b.categories) if c not in IMPLICIT]
    ids = b.source_ids or [str(k) for k in range(len(b.outcome))]
    prompts = b.prompts

    def rows() -> Iterator[HistoricBattle]:
        for n in range(len(b.outcome)):
            when = now
            if b.tstamps is not None and np.isfinite(b.tstamps[n]):
                when = datetime.fromtimestamp(float(b.tstamps[n]), tz=UTC)
            yield HistoricBattle(
                source_id=f"{kind}:{ids[n]}"[:200],
                model_a=b.models[b.model_a[n]],
                model_b=b.models[b.model_b[n]],
                outcome=OUTCOMES[int(b.outcome[n])],
                categories=tuple(c for k, c in tags if b.category_mask[k, n]),
                created_at=when,
                prompt_hash=prompt_hash(prompts[n]) if prompts and prompts[n] else "",
            )

    return len(b.outcome), rows()


def _battles_from_pair_counts(
    loaded: LoadedVotes, now: datetime
) -> tuple[int, Iterator[HistoricBattle]]:
    """One battle per counted outcome; ids ``pairs:<pair>:<outcome>:<k>`` stay stable when
    a newer count file only adds battles."""
    counts = loaded.counts
    c = counts.category_index("overall")
    wins, ties = counts.wins[c], counts.ties[c]
    bothbad = counts.bothbad[c] if counts.bothbad is not None else np.zeros_like(ties)
    cells: list[tuple[int, int, str, int]] = []
    upper_i, upper_j = np.triu_indices(len(counts.models), k=1)
    for i, j in zip(upper_i.tolist(), upper_j.tolist(), strict=True):
        cells += [
            (i, j, Outcome.A, int(wins[i, j])),
            (i, j, Outcome.B, int(wins[j, i])),
            (i, j, Outcome.TIE, int(ties[i, j] - bothbad[i, j])),
            (i, j, Outcome.BOTH_BAD, int(bothbad[i, j])),
        ]
    total = sum(n for *_, n in cells)

    def rows() -> Iterator[HistoricBattle]:
        for i, j, outcome, n in cells:
            a, b = counts.models[i], counts.models[j]
            pair = hashlib.sha1(f"{a}\x00{b}".encode()).hexdigest()[:16]
            for k in range(n):
                yield HistoricBattle(f"pairs:{pair}:{outcome}:{k}", a, b, outcome, (), now)

    return total, rows()


def _store_batch(batch: list[HistoricBattle], contenders: dict[str, int]) -> int:
    """Insert the battles of ``batch`` not stored yet; returns how many were new."""
    if not batch:
        return 0
    with transaction.atomic():
        present = set(
            Battle.objects.filter(source_id__in=[b.source_id for b in batch]).values_list(
                "source_id", flat=True
            )
        )
        fresh = [(uuid.uuid4(), h) for h in batch if h.source_id not in present]
        if connection.vendor == "postgresql":
            _copy_rows(fresh, contenders)
        else:
            _bulk_create_rows(fresh, contenders)
    return len(fresh)


def _bulk_create_rows(
    fresh: list[tuple[uuid.UUID, HistoricBattle]], contenders: dict[str, int]
) -> None:
    battles, votes, tags = [], [], []
    for battle_id, h in fresh:
        battle = Battle(
            id=battle_id,
            voter=HISTORIC_VOTER,
            contender_a_id=contenders[h.model_a],
            contender_b_id=contenders[h.model_b],
            status=BattleStatus.VOTED,
            source_id=h.source_id,
            prompt_hash=h.prompt_hash,
            created_at=h.created_at,
        )
        vote = Vote.for_battle(battle, h.outcome, HISTORIC_VOTER)
        vote.created_at = h.created_at
        battles.append(battle)
        votes.append(vote)
        tags += [BattleCategory.for_vote(vote, c) for c in h.categories]
    Battle.objects.bulk_create(battles)
    Vote.objects.bulk_create(votes)
    BattleCategory.objects.bulk_create(tags)


def _copy_rows(fresh: list[tuple[uuid.UUID, HistoricBattle]], contenders: dict[str, int]) -> None:
    """The same rows as :func:`_bulk_create_rows`, through ``COPY`` (several times faster)."""
    now = timezone.now().isoformat()
    battles, votes, tags = [], [], []
    for battle_id, h in fresh:
        at = h.created_at.isoformat()
        a, b = contenders[h.model_a], contenders[h.model_b]
        battles.append(
            (
                battle_id,
                HISTORIC_VOTER,
                "",
                a,
                b,
                BattleStatus.VOTED.value,
                "",
                h.source_id,
                h.prompt_hash,
                at,
                now,
            )
        )
        # Imported battles are voted and not excluded: every vote counts, with weight 1
        # (no sampling probability is known: treated as a uniform draw).
        votes.append((battle_id, h.outcome, HISTORIC_VOTER, at, a, b, "t", 1.0))
        tags += [(battle_id, c, a, b, h.outcome, "t", 1.0) for c in h.categories]
    _copy(Battle, _BATTLE_COLUMNS, battles)
    _copy(Vote, _VOTE_COLUMNS, votes)
    _copy(BattleCategory, _TAG_COLUMNS, tags)


_BATTLE_COLUMNS = [
    "id",
    "voter",
    "ip_hash",
    "contender_a_id",
    "contender_b_id",
    "status",
    "excluded_reason",
    "source_id",
    "prompt_hash",
    "created_at",
    "updated_at",
]
_VOTE_COLUMNS = [
    "battle_id",
    "outcome",
    "voter",
    "created_at",
    "contender_a_id",
    "contender_b_id",
    "counted",
    "weight",
]
_TAG_COLUMNS = [
    "battle_id",
    "category",
    "contender_a_id",
    "contender_b_id",
    "outcome",
    "counted",
    "weight",
]


def _copy(model: type[Model], columns: list[str], rows: Sequence[tuple[object, ...]]) -> None:
    if not rows:
        return
    buffer = io.StringIO()
    # Quoted: in COPY csv an unquoted empty field is NULL, a quoted one an empty string.
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        # The psycopg2 cursor under Django's wrapper speaks COPY.
        cur.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)", buffer)
