"""Eligible votes → per-category pair counts, aggregated by the database.

One ``GROUP BY (category, contender_a, contender_b, outcome)`` query: the overall counts
of ``Vote`` ``UNION ALL`` the counts of each tagged category from ``BattleCategory``. Both
tables carry the rating facts themselves (sides, outcome, ``counted``, written with the
vote and kept in step by ``battles.exclusions``), so each half is a single-table scan with
no join. Votes are never loaded row by row; Python only sees one row per distinct cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
)

from arena.models import Contender
from battles.models import BattleCategory, Completion, Outcome, Turn, Vote
from battles.style import StyleFeatures
from ratings.stats.counts import A_WINS, B_WINS, BOTH_BAD, TIE, PairCounts, VoteWeights
from ratings.stats.style import StyleBattles

OVERALL = "overall"
EXCLUDE_TIES = "exclude_ties"


@dataclass(frozen=True)
class AggregatedVotes:
    """Pair counts plus the contenders behind ``counts.models`` (same order)."""

    counts: PairCounts
    contender_ids: list[int]

    @property
    def votes(self) -> int:
        """Eligible votes (battles in the overall category)."""
        if OVERALL not in self.counts.categories:
            return 0
        return round(float(self.counts.n_battles[self.counts.category_index(OVERALL)]))


def eligible_votes() -> QuerySet[Vote]:
    """Votes that count for ratings: the battle is voted and not excluded."""
    return Vote.objects.filter(counted=True)


_IS_TIE = Q(outcome__in=[Outcome.TIE, Outcome.BOTH_BAD])
_WEIGHT_SQUARED = ExpressionWrapper(F("weight") * F("weight"), output_field=FloatField())
# One count column per outcome: a row per (category, pair) instead of four. Then the
# sums of the votes' weights and squared weights (a tie and "both bad" weigh alike);
# SUM over no rows is NULL, read as 0.
_OUTCOME_COUNTS = {
    "n_a": Count("outcome", filter=Q(outcome=Outcome.A)),
    "n_b": Count("outcome", filter=Q(outcome=Outcome.B)),
    "n_tie": Count("outcome", filter=Q(outcome=Outcome.TIE)),
    "n_bothbad": Count("outcome", filter=Q(outcome=Outcome.BOTH_BAD)),
    "w_a": Sum("weight", filter=Q(outcome=Outcome.A)),
    "w_b": Sum("weight", filter=Q(outcome=Outcome.B)),
    "w_tie": Sum("weight", filter=_IS_TIE),
    "w2_a": Sum(_WEIGHT_SQUARED, filter=Q(outcome=Outcome.A)),
    "w2_b": Sum(_WEIGHT_SQUARED, filter=Q(outcome=Outcome.B)),
    "w2_tie": Sum(_WEIGHT_SQUARED, filter=_IS_TIE),
}
_COLUMNS = ["cat", "a", "b", *_OUTCOME_COUNTS]


def aggregation_query() -> QuerySet[Any, Any]:
    """The single SQL query behind :func:`aggregate_votes` (also used for ``EXPLAIN``).

    Rows ``(cat, a, b, n_a, n_b, n_tie, n_bothbad, w_a, w_b, w_tie, w2_a, w2_b, w2_tie)``
    (``w``: sums of the votes' weights, ``w2``: of their squares); both halves read only their
    covering index (``*_counted_cells_idx``) in group order once it is vacuumed.
    """
    overall = (
        eligible_votes()
        .values(
            cat=Value(OVERALL, output_field=CharField()),
            a=F("contender_a_id"),
            b=F("contender_b_id"),
        )
        .annotate(**_OUTCOME_COUNTS)
        .order_by()
    )
    tagged = (
        BattleCategory.objects.filter(counted=True)
        # Both are derived here; a stray tag of that name must not double-count.
        .exclude(category__in=[OVERALL, EXCLUDE_TIES])
        .values(cat=F("category"), a=F("contender_a_id"), b=F("contender_b_id"))
        .annotate(**_OUTCOME_COUNTS)
        .order_by()
    )
    return overall.union(tagged, all=True).values_list(*_COLUMNS)


# PostgreSQL session settings for the one big query: JIT compilation costs seconds and
# buys nothing here; the default work_mem (4MB) can make a hash aggregate spill to disk;
# and with the default random_page_cost (4, spinning disks) the estimates of the
# covering index-only scan and of a seq scan + hash aggregate are within a few percent,
# so ANALYZE noise flips the plan to the one that takes twice as long. The vote tables
# are read from memory or SSD, where 1.1 is the usual figure. With the weight sums (ten
# aggregates per group) a hash aggregate over a seq scan is again estimated within a few
# percent of the group aggregate over the covering index, and measures 1.5x slower
# (200k votes: 0.45 s vs 0.30 s); both halves come in group order from their index.
POSTGRES_SETTINGS = {
    "jit": "off",
    "work_mem": "256MB",
    "random_page_cost": "1.1",
    "enable_hashagg": "off",
}


@contextmanager
def aggregation_session() -> Iterator[None]:
    """A transaction with :data:`POSTGRES_SETTINGS` applied (``SET LOCAL``) on PostgreSQL."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                for name, value in POSTGRES_SETTINGS.items():
                    cur.execute(f"SET LOCAL {name} = %s", [value])
        yield


def _fetch_cells() -> list[tuple[Any, ...]]:
    """The query's rows as plain tuples: the ORM's per-value converters would cost more
    than the query itself on ~100k rows, and the columns need none."""
    sql, params = aggregation_query().query.sql_with_params()
    with aggregation_session(), connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def aggregate_votes() -> AggregatedVotes:
    """Count eligible votes per category and pair, plus the derived ``exclude_ties``.

    Categories come out as ``overall``, ``exclude_ties``, then the tags in name order;
    contenders in codename order (codenames are unique and stable across snapshots).
    """
    cells = _fetch_cells()
    ids = sorted({int(r[1]) for r in cells} | {int(r[2]) for r in cells})
    codenames = dict(Contender.objects.filter(id__in=ids).values_list("id", "codename"))
    ids.sort(key=lambda i: codenames[i])
    index = {cid: k for k, cid in enumerate(ids)}
    tags = sorted({str(r[0]) for r in cells} - {OVERALL})
    categories = [OVERALL, *tags]
    cat_index = {c: k for k, c in enumerate(categories)}

    shape = (len(categories), len(ids), len(ids))
    # wins, ties, bothbad, then the weight sums: wins, ties, wins squared, ties squared
    wins, ties, bothbad, w_wins, w_ties, w2_wins, w2_ties = (np.zeros(shape) for _ in range(7))
    if cells:
        c = np.array([cat_index[str(r[0])] for r in cells], dtype=np.intp)
        a = np.array([index[r[1]] for r in cells], dtype=np.intp)
        b = np.array([index[r[2]] for r in cells], dtype=np.intp)
        # None (a SUM over no rows) becomes NaN, then 0.
        values = np.nan_to_num(np.array([r[3:] for r in cells], dtype=float), nan=0.0).T
        n_a, n_b, n_tie, n_bothbad, w_a, w_b, w_tie, w2_a, w2_b, w2_tie = values
        # A pair can come as (a, b) and (b, a): add.at sums repeated cells.
        for target, from_a, from_b in ((wins, n_a, n_b), (w_wins, w_a, w_b), (w2_wins, w2_a, w2_b)):
            np.add.at(target, (c, a, b), from_a)
            np.add.at(target, (c, b, a), from_b)
        for cell in ((c, a, b), (c, b, a)):
            np.add.at(ties, cell, n_tie + n_bothbad)
            np.add.at(bothbad, cell, n_bothbad)
            np.add.at(w_ties, cell, w_tie)
            np.add.at(w2_ties, cell, w2_tie)
        # exclude_ties: the overall decisive votes only, placed right after overall.
        wins, w_wins, w2_wins = (np.insert(x, 1, x[0], axis=0) for x in (wins, w_wins, w2_wins))
        ties, bothbad, w_ties, w2_ties = (
            np.insert(x, 1, 0.0, axis=0) for x in (ties, bothbad, w_ties, w2_ties)
        )
        categories.insert(1, EXCLUDE_TIES)
    else:
        categories = []
        wins = ties = bothbad = w_wins = w_ties = w2_wins = w2_ties = np.zeros((0, 0, 0))
    counts = PairCounts(
        models=[codenames[i] for i in ids],
        categories=categories,
        wins=wins,
        ties=ties,
        bothbad=bothbad,
        weights=VoteWeights(w_wins, w_ties, w2_wins, w2_ties),
    )
    return AggregatedVotes(counts=counts, contender_ids=ids)


#: The completion columns behind the style features (``battles.style``), in their order.
STYLE_FIELDS = [f.name for f in dataclasses.fields(StyleFeatures)]
#: A vote's outcome as the numerics code it (``ratings.stats.counts``).
OUTCOME_CODES: dict[str, int] = {
    Outcome.A: A_WINS,
    Outcome.B: B_WINS,
    Outcome.TIE: TIE,
    Outcome.BOTH_BAD: BOTH_BAD,
}


# Category tags come back as bit masks: 62 tags to a signed 64-bit column.
_TAGS_PER_MASK = 62


def style_query(tags: list[str]) -> tuple[str, list[Any]]:
    """SQL and parameters of the one query behind :func:`style_battles`.

    One row per counted vote with completions: sides, outcome, how many completions lack
    features and how many each side has, the eight style sums over its completions (not
    those of regenerated, superseded turns), and
    its category tags as bit masks (bit ``k`` of mask ``m`` is
    ``tags[62 m + k]``). Completions are summed per battle first (the live battles
    only: imported ones have no completions and cost nothing), then joined to their
    vote by its unique battle key; each mask is one index lookup per battle. Python
    sees small integers, one row per live battle: no battle id, no per-tag row.
    Plain SQL (SQLite and PostgreSQL alike) because the ORM would group after the
    joins and evaluate the masks once per completion.
    """
    q = connection.ops.quote_name
    completion, turn = q(Completion._meta.db_table), q(Turn._meta.db_table)
    vote, tag = q(Vote._meta.db_table), q(BattleCategory._meta.db_table)
    params: list[Any] = []
    sums = []
    for side in ("a", "b"):
        for name in STYLE_FIELDS:
            sums.append(f"SUM(CASE WHEN c.side = %s THEN c.{q(name)} ELSE 0 END) AS {side}_{name}")
            params.append(side)
    missing = " OR ".join(f"c.{q(name)} IS NULL" for name in STYLE_FIELDS)
    # Checked in numpy, not in a HAVING: PostgreSQL cannot estimate a HAVING's rows and
    # would then join the votes by 200k index lookups instead of one hash join.
    sums.append(f"SUM(CASE WHEN {missing} THEN 1 ELSE 0 END) AS n_missing")
    for side in ("a", "b"):
        sums.append(f"SUM(CASE WHEN c.side = %s THEN 1 ELSE 0 END) AS n_{side}")
        params.append(side)
    masks = []
    mask_params: list[Any] = []
    for m in range(0, len(tags), _TAGS_PER_MASK):
        chunk = tags[m : m + _TAGS_PER_MASK]
        whens = " ".join("WHEN %s THEN %s" for _ in chunk)
        for k, name in enumerate(chunk):
            mask_params += [name, 1 << k]
        masks.append(
            f"COALESCE((SELECT SUM(CASE bc.category {whens} ELSE 0 END) FROM {tag} bc "
            "WHERE bc.battle_id = s.battle_id), 0)"
        )
    style_columns = ", ".join(f"s.{side}_{name}" for side in ("a", "b") for name in STYLE_FIELDS)
    outcome_code = " ".join("WHEN %s THEN %s" for _ in OUTCOME_CODES)
    outcome_params: list[Any] = [x for item in OUTCOME_CODES.items() for x in item]
    sql = (
        f"SELECT v.contender_a_id, v.contender_b_id, CASE v.outcome {outcome_code} END, "
        f"s.n_missing, s.n_a, s.n_b, {style_columns}"
        + "".join(f", {mask}" for mask in masks)
        + f" FROM (SELECT t.battle_id, {', '.join(sums)} FROM {completion} c "
        f"JOIN {turn} t ON t.id = c.turn_id WHERE NOT t.{q('superseded')} "
        "GROUP BY t.battle_id) s "
        f"JOIN {vote} v ON v.battle_id = s.battle_id WHERE v.counted"
    )
    # In the order of the placeholders: outcome codes and masks in the SELECT, then sums.
    return sql, outcome_params + mask_params + params


def style_battles(agg: AggregatedVotes) -> StyleBattles:
    """The counted battles whose every completion has style features, for the style fit.

    Imported (historic) battles have no completions and are left out; so is a battle
    with a completion that never finished (its features are null).
    """
    categories = agg.counts.categories
    tags = [c for c in categories if c not in (OVERALL, EXCLUDE_TIES)]
    sql, params = style_query(tags)
    with aggregation_session(), connection.cursor() as cur:
        # Plain tuples, no ORM converters (as in _fetch_cells).
        cur.execute(sql, params)
        fetched = cur.fetchall()
    n_masks = -(-len(tags) // _TAGS_PER_MASK)
    table = np.array(fetched, dtype=np.int64).reshape(len(fetched), 14 + n_masks)
    # Every completion with its features, and an answer on both sides.
    table = table[(table[:, 3] == 0) & (table[:, 4] > 0) & (table[:, 5] > 0)]
    # Contender id -> position in counts.models; -1 for one the counts do not have.
    ids = np.asarray(agg.contender_ids, dtype=np.int64)
    lookup = np.full(int(max(ids.max(initial=0), table[:, :2].max(initial=0))) + 1, -1)
    lookup[ids] = np.arange(ids.size)
    a, b = lookup[table[:, 0]], lookup[table[:, 1]]
    keep = (a >= 0) & (b >= 0)
    table, a, b = table[keep], a[keep], b[keep]
    n = int(table.shape[0])
    mask = np.zeros((len(categories), n), dtype=bool)
    model_a, model_b = a.astype(np.intp), b.astype(np.intp)
    outcome = table[:, 2].astype(np.int8)
    style = table[:, 6:14].astype(np.float64)
    bits = table[:, 14:]
    cat_index = {c: k for k, c in enumerate(categories)}
    if OVERALL in cat_index:
        mask[cat_index[OVERALL]] = True
    if EXCLUDE_TIES in cat_index:
        mask[cat_index[EXCLUDE_TIES]] = outcome <= B_WINS
    for t, tag in enumerate(tags):
        word, bit = divmod(t, _TAGS_PER_MASK)
        mask[cat_index[tag]] = (bits[:, word] >> bit) & 1 == 1
    return StyleBattles(agg.counts.models, model_a, model_b, outcome, style, categories, mask)
