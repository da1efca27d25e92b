"""Benchmark the operator health page and the public transparency page on a big arena.

    .venv/bin/python benchmarks/bench_ops_pages.py [--battles 1000000] [--contenders 100]
        [--keep]

Uses (and creates) the PostgreSQL database ``arena_bench`` (``BENCH_DATABASE_URL``
overrides), fills it inside PostgreSQL (``generate_series``) with battles spread evenly
over 30 days, each with one turn and two finished completions carrying timings (5%
failed, with a few reasons), then prints the best and median of 5 runs of the health
report over the last hour and the last day and of the transparency report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_recompute import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/arena_bench"


def fill(n_battles: int, n_contenders: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from arena.models import Contender

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE battles_vote, battles_battlecategory, battles_completion, battles_turn, "
            "battles_battle, arena_contendertransition, arena_contender CASCADE"
        )
    now = timezone.now()
    Contender.objects.bulk_create(
        Contender(
            codename=f"model-{k:03d}",
            public_name=f"Model {k:03d}" if k % 10 else "",
            organisation=f"Org {k % 12}",
            backend="demo",
            revealed_at=now if k % 10 else None,
        )
        for k in range(n_contenders)
    )
    first = Contender.objects.order_by("id").values_list("id", flat=True)[0]
    span = 30 * 24 * 3600
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE UNLOGGED TABLE bench_stage AS
            SELECT gen_random_uuid() AS id, n, a,
                   (a + 1 + floor(random() * (%(m)s - 1))::int) %% %(m)s AS b,
                   now() - ((n::float / %(n)s * %(span)s) || ' seconds')::interval AS at
            FROM (SELECT n, floor(random() * %(m)s)::int AS a
                  FROM generate_series(1, %(n)s) AS n) s
            """,
            {"m": n_contenders, "n": n_battles, "span": span},
        )
        cur.execute(
            """
            INSERT INTO battles_battle (id, voter, ip_hash, contender_a_id, contender_b_id,
                status, excluded_reason, source_id, created_at, updated_at)
            SELECT id, 'bench', '', %(f)s + a, %(f)s + b, 'voted', '', '', at, at
            FROM bench_stage
            """,
            {"f": first},
        )
        cur.execute(
            "INSERT INTO battles_turn (battle_id, index, prompt, created_at) "
            "SELECT id, 0, 'prompt', created_at FROM battles_battle"
        )
        cur.execute(
            """
            INSERT INTO battles_completion (id, turn_id, side, contender_id, status, text,
                reasoning, error, finish_reason, attempts, queued_at, started_at,
                first_token_at, finished_at)
            SELECT gen_random_uuid(), t.id, s.side,
                   CASE s.side WHEN 'a' THEN b.contender_a_id ELSE b.contender_b_id END,
                   CASE WHEN r < 0.05 THEN 'failed' ELSE 'done' END, '', '',
                   CASE WHEN r < 0.02 THEN 'HTTP 429: slow down'
                        WHEN r < 0.04 THEN 'timed out after 600s: no data'
                        WHEN r < 0.05 THEN 'stream ended without a finish' ELSE '' END,
                   'stop', 1, t.created_at, t.created_at,
                   CASE WHEN r < 0.05 THEN NULL
                        ELSE t.created_at + (0.2 + random() * 2) * interval '1 second' END,
                   t.created_at + (3 + random() * 20) * interval '1 second'
            FROM battles_turn t JOIN battles_battle b ON b.id = t.battle_id
            CROSS JOIN (VALUES ('a'), ('b')) AS s(side), LATERAL (SELECT random() AS r) x
            """
        )
        cur.execute("DROP TABLE bench_stage")
        cur.execute("VACUUM ANALYZE battles_battle, battles_turn, battles_completion")
    print(f"filled {n_battles:,} battles ({2 * n_battles:,} completions) "
          f"in {time.perf_counter() - t0:.1f}s")


def timed(what: str, work: Callable[[], object], runs: int = 5) -> None:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    print(f"{what:<34} best {min(times) * 1000:8.1f} ms   median "
          f"{statistics.median(times) * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--battles", type=int, default=1_000_000)
    parser.add_argument("--contenders", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="reuse the data of a previous run")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command

    from battles.health import backend_health
    from battles.models import Battle
    from battles.transparency import transparency_report

    call_command("migrate", verbosity=0)
    if not (args.keep and Battle.objects.count() >= args.battles):
        fill(args.battles, args.contenders)
    timed("health, last hour", lambda: backend_health(timedelta(hours=1)))
    timed("health, last day", lambda: backend_health(timedelta(days=1)))
    timed("transparency (30 days)", transparency_report)


if __name__ == "__main__":
    main()
