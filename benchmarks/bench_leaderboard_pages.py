"""Time the leaderboard pages on a synthetic snapshot of production size.

    .venv/bin/python benchmarks/bench_leaderboard_pages.py [--contenders 150]
        [--categories 20] [--history 30] [--requests 30]

Fills a fresh database (a temporary SQLite file; ``BENCH_DATABASE_URL`` points it at
PostgreSQL instead) with ``--history`` snapshots of ``--contenders`` contenders in
``--categories`` categories, each with the plain and the style-controlled fit (rows,
intervals, ranks, P(#1), coefficients, full win-rate and battle matrices in the latest),
then requests each page with the Django test client (``DEBUG`` off, as in production)
and prints p50 / p95 / max in milliseconds. The budget is 100 ms p50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fill(n_contenders: int, n_categories: int, n_history: int) -> list[int]:
    import numpy as np
    from django.utils import timezone

    from arena.models import Contender, ContenderStatus
    from ratings.models import CategoryResult, RatingRow, RatingSnapshot

    rng = np.random.default_rng(0)
    now = timezone.now()
    Contender.objects.bulk_create(
        Contender(
            codename=f"model-{k:03d}",
            public_name=f"Model {k:03d}",
            backend="demo",
            # one in ten unrevealed, one in fifteen retired: the filters do work
            revealed_at=now if k % 10 else None,
            status=ContenderStatus.RETIRED if k % 15 == 7 else ContenderStatus.ACTIVE,
        )
        for k in range(n_contenders)
    )
    ids = list(Contender.objects.order_by("id").values_list("id", flat=True))
    extra = [f"category_{k:02d}" for k in range(n_categories - 2)]
    categories = ["overall", "exclude_ties", *extra]
    strength = rng.normal(1100, 120, size=n_contenders)
    for h in range(n_history):
        latest = h == n_history - 1
        snapshot = RatingSnapshot.objects.create(
            method={"model": "bradley_terry", "ci": "sandwich", "anchor": None, "min_votes": 300},
            votes=2_000_000,
        )
        RatingSnapshot.objects.filter(pk=snapshot.pk).update(
            computed_at=now - timedelta(minutes=n_history - h)
        )
        rows = []
        for c, category in enumerate(categories):
            for style in (False, True):
                drift = rng.normal(0, 5, size=n_contenders) + (h - n_history) * 0.2
                rating = strength + drift + (-30 if style else 0) * (np.arange(n_contenders) % 3)
                votes = rng.integers(50, 40_000, size=n_contenders)
                half = 1200 / np.sqrt(votes)
                order = np.argsort(-rating)
                rank = np.empty(n_contenders, dtype=int)
                rank[order] = np.arange(1, n_contenders + 1)
                lo, hi = rating - half, rating + half
                rank_ub = 1 + (lo[None, :] > hi[:, None]).sum(axis=1)
                ranked = votes >= 300
                for k in range(n_contenders):
                    rows.append(
                        RatingRow(
                            snapshot=snapshot,
                            category=category,
                            style_control=style,
                            contender_id=ids[k],
                            rating=float(rating[k]),
                            ci_lower=float(lo[k]),
                            ci_upper=float(hi[k]),
                            rank=int(rank[k]) if ranked[k] else None,
                            rank_ub=int(rank_ub[k]) if ranked[k] else None,
                            votes=int(votes[k]),
                            win_rate=float(rng.uniform(0.2, 0.8)),
                            p_first=1.0 if rank[k] == 1 else 0.0,
                        )
                    )
            if latest:
                battles = rng.integers(0, 500, size=(n_contenders, n_contenders))
                battles = battles + battles.T
                rates = np.round(rng.uniform(0, 1, size=(n_contenders, n_contenders)), 4)
                CategoryResult.objects.create(
                    snapshot=snapshot,
                    category=category,
                    position=c,
                    votes=2_000_000 // (c + 1),
                    contenders=ids,
                    battles=battles.tolist(),
                    win_rate=rates.tolist(),
                    min_votes=300,
                    style_votes=1_000_000 // (c + 1),
                    style_coefficients={
                        f: {"coef": 0.1, "ci_lower": 0.05, "ci_upper": 0.15}
                        for f in ("length", "headers", "lists", "bold")
                    },
                )
        RatingRow.objects.bulk_create(rows, batch_size=5000)
    return ids


def time_pages(ids: list[int], categories: int, requests: int) -> None:
    from django.test import Client

    client = Client()
    pages = {
        "leaderboard (overall, style on)": "/leaderboard/",
        "leaderboard (category, style off)": "/leaderboard/?category=category_05&style=0",
        "leaderboard (retired shown)": "/leaderboard/?retired=1",
        "overview": "/leaderboard/overview/",
        "overview sorted by a category": "/leaderboard/overview/?sort=category_03",
        "model page": f"/leaderboard/model/{ids[1]}/",
        "API leaderboard": "/api/leaderboard",
        "API overview": "/api/leaderboard/overview",
        "API model": f"/api/leaderboard/models/{ids[1]}",
    }
    print(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>7}")
    for label, url in pages.items():
        for _ in range(3):  # warm-up: templates compiled, caches filled
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{label:<36} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f} "
            f"{len(response.content) / 1024:>7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contenders", type=int, default=150)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--history", type=int, default=30, help="snapshots of history")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["ARENA_SQLITE_PATH"] = str(Path(tmp.name) / "bench.sqlite3")
    os.environ.pop("REDIS_URL", None)
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if url:
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE ratings_ratingrow, ratings_categoryresult, ratings_ratingsnapshot, "
                "battles_vote, battles_battlecategory, battles_completion, battles_turn, "
                "battles_battle, arena_contender CASCADE"
            )
    t0 = time.perf_counter()
    ids = fill(args.contenders, args.categories, args.history)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE ratings_ratingrow, ratings_categoryresult")
    print(
        f"{connection.vendor}: {args.history} snapshots x {args.categories} categories x "
        f"{args.contenders} contenders x 2 fits filled in {time.perf_counter() - t0:.1f}s"
    )
    time_pages(ids, args.categories, args.requests)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
