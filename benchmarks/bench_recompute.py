"""Benchmark the database path of the ratings: 2M votes in PostgreSQL -> snapshot.

    .venv/bin/python benchmarks/bench_recompute.py [--votes 2000000] [--contenders 100]
        [--keep] [--ci sandwich] [--style-share 0.1]

Uses (and creates) the database ``arena_bench`` (``BENCH_DATABASE_URL`` overrides), fills
it with synthetic voted battles entirely inside PostgreSQL (``generate_series``), then
times the aggregation query, the style-feature query, and three full
``recompute_ratings`` (best and median; style control included), and prints
``EXPLAIN (ANALYZE, BUFFERS)`` of the aggregation query. ``--style-share`` of the
battles get a turn and two finished completions with style features (live battles; the
rest stand for imported ones, which have none). ``--keep`` reuses the
data of a previous run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/arena_bench"

# Category tags and the share of battles that carry each (overall is implicit).
TAGS = {
    "coding": 0.20,
    "math": 0.08,
    "instruction_following": 0.15,
    "creative_writing": 0.10,
    "hard_prompts": 0.25,
    "longer_query": 0.10,
    "multi_turn": 0.12,
    "language_english": 0.55,
    "language_chinese": 0.12,
    "language_german": 0.05,
}


def ensure_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def fill(n_votes: int, n_contenders: int, style_share: float) -> None:
    from django.db import connection
    from django.utils import timezone

    from arena.models import Contender

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE ratings_ratingrow, ratings_categoryresult, ratings_ratingsnapshot, "
            "battles_vote, battles_battlecategory, battles_completion, battles_turn, "
            "battles_battle, arena_contender CASCADE"
        )
    now = timezone.now()
    Contender.objects.bulk_create(
        Contender(
            codename=f"model-{k:03d}",
            public_name=f"Model {k:03d}",
            backend="demo",
            revealed_at=now if k % 10 else None,
        )
        for k in range(n_contenders)
    )
    first = Contender.objects.order_by("id").values_list("id", flat=True)[0]
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        # Strength grows with the contender index; outcome drawn from a Bradley-Terry-ish
        # probability with ~15% ties and ~5% both-bad; ~2% of battles excluded.
        cur.execute(
            """
            CREATE UNLOGGED TABLE bench_stage AS
            SELECT gen_random_uuid() AS id, a, b, r, x, n
            FROM (
              SELECT n, a, (a + 1 + floor(random() * (%(m)s - 1))::int) %% %(m)s AS b,
                     random() AS r, random() AS x
              FROM (SELECT n, floor(random() * %(m)s)::int AS a
                    FROM generate_series(1, %(n)s) AS n) s
            ) t
            """,
            {"m": n_contenders, "n": n_votes},
        )
        cur.execute(
            """
            INSERT INTO battles_battle (id, voter, ip_hash, contender_a_id, contender_b_id,
                status, excluded_reason, source_id, created_at, updated_at)
            SELECT id, 'bench-' || (n %% 50000), '', %(f)s + a, %(f)s + b, 'voted',
                   CASE WHEN x < 0.02 THEN 'duplicate' ELSE '' END, '',
                   now() - (n || ' seconds')::interval, now()
            FROM bench_stage
            """,
            {"f": first},
        )
        cur.execute(
            """
            INSERT INTO battles_vote (battle_id, outcome, voter, created_at,
                contender_a_id, contender_b_id, counted)
            SELECT id,
                   CASE WHEN r < 0.05 THEN 'bothbad' WHEN r < 0.20 THEN 'tie'
                        WHEN random() < 1 / (1 + exp((b - a) / 30.0)) THEN 'a' ELSE 'b' END,
                   'bench', now() - (n || ' seconds')::interval,
                   %(f)s + a, %(f)s + b, x >= 0.02
            FROM bench_stage ORDER BY n
            """,
            {"f": first},
        )
        # Tags copy the vote's facts, as cast_vote writes them.
        for tag, share in TAGS.items():
            cur.execute(
                "INSERT INTO battles_battlecategory (battle_id, category, contender_a_id, "
                "contender_b_id, outcome, counted) "
                "SELECT battle_id, %s, contender_a_id, contender_b_id, outcome, counted "
                "FROM battles_vote WHERE random() < %s",
                [tag, share],
            )
        cur.execute("DROP TABLE bench_stage")
        # Live battles: one turn, two finished completions with style features; the
        # longer answer tends to be the winning side's (as voters reward length).
        cur.execute(
            "INSERT INTO battles_turn (battle_id, index, prompt, created_at) "
            "SELECT id, 0, 'prompt', created_at FROM battles_battle WHERE random() < %s",
            [style_share],
        )
        cur.execute(
            """
            INSERT INTO battles_completion (id, turn_id, side, contender_id, status, text,
                reasoning, error, finish_reason, attempts, queued_at, length_chars,
                header_count, list_count, bold_count)
            SELECT gen_random_uuid(), t.id, s.side,
                   CASE s.side WHEN 'a' THEN v.contender_a_id ELSE v.contender_b_id END,
                   'done', '', '', '', 'stop', 1, t.created_at,
                   (random() * 2000 + CASE WHEN v.outcome = s.side THEN 800 ELSE 0 END)::int,
                   (random() * 4)::int, (random() * 10)::int, (random() * 8)::int
            FROM battles_turn t JOIN battles_vote v ON v.battle_id = t.battle_id
            CROSS JOIN (VALUES ('a'), ('b')) AS s(side)
            """
        )
        # As autovacuum would: statistics, and a visibility map for index-only scans.
        cur.execute(
            "VACUUM ANALYZE battles_battle, battles_vote, battles_battlecategory, "
            "battles_turn, battles_completion"
        )
    print(f"filled {n_votes:,} votes in {time.perf_counter() - t0:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=2_000_000)
    parser.add_argument("--contenders", type=int, default=100)
    parser.add_argument("--ci", default="sandwich", choices=["sandwich", "bootstrap", "none"])
    parser.add_argument("--keep", action="store_true", help="reuse the data of a previous run")
    parser.add_argument(
        "--style-share", type=float, default=0.1, help="share of battles with completions"
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from ratings.aggregation import (
        aggregate_votes,
        aggregation_query,
        aggregation_session,
        style_battles,
    )
    from ratings.snapshots import RecomputeOptions, recompute_ratings

    call_command("migrate", verbosity=0)
    from battles.models import Vote

    if not (args.keep and Vote.objects.count() >= args.votes):
        fill(args.votes, args.contenders, args.style_share)

    for run in range(3):
        t0 = time.perf_counter()
        agg = aggregate_votes()
        print(
            f"aggregate_votes run {run + 1}: {time.perf_counter() - t0:.3f}s "
            f"({agg.votes:,} eligible votes, {len(agg.counts.models)} contenders, "
            f"{len(agg.counts.categories)} categories)"
        )

    for run in range(2):
        t0 = time.perf_counter()
        battles = style_battles(agg)
        print(
            f"style_battles run {run + 1}: {time.perf_counter() - t0:.3f}s "
            f"({battles.size:,} battles with style features)"
        )

    runs = []
    for run in range(3):
        t0 = time.perf_counter()
        snapshot = recompute_ratings(RecomputeOptions(ci=args.ci), force=True)
        total = time.perf_counter() - t0
        assert snapshot is not None
        m = snapshot.method
        rest = total - m["aggregate_s"] - m["fit_s"] - m["style_s"]
        split = (total, m["aggregate_s"], m["fit_s"], m["style_s"], rest)
        runs.append(split)
        print(
            f"recompute_ratings (ci={args.ci}) run {run + 1}: total {split[0]:.3f}s = "
            f"aggregate {split[1]:.3f}s + fit {split[2]:.3f}s + style control "
            f"{split[3]:.3f}s + write {split[4]:.3f}s; {snapshot.rows.count()} rows"
        )
    runs.sort()
    for label, (total, agg_s, fit_s, style_s, write_s) in (
        ("best", runs[0]),
        ("median", runs[1]),
    ):
        print(
            f"{label}: total {total:.3f}s = aggregate {agg_s:.3f}s + fit {fit_s:.3f}s "
            f"+ style control {style_s:.3f}s + write {write_s:.3f}s"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the aggregation query:")
    with aggregation_session():
        print(aggregation_query().explain(analyze=True, buffers=True))


if __name__ == "__main__":
    main()
