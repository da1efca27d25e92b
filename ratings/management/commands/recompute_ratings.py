"""``manage.py recompute_ratings``: fit all eligible votes and write a snapshot."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ratings.snapshots import RecomputeBusy, RecomputeOptions, UnknownAnchor, recompute_ratings


def parse_anchor(value: str) -> tuple[str, float]:
    name, sep, rating = value.rpartition("=")
    try:
        if not sep or not name:
            raise ValueError
        return name, float(rating)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected CODENAME=RATING (e.g. gpt-4-0613=1200), got {value!r}"
        ) from None


class Command(BaseCommand):
    help = "Aggregate eligible votes, fit Bradley-Terry per category, write a rating snapshot."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ci", choices=["sandwich", "bootstrap", "none"], default="sandwich")
        parser.add_argument("--rounds", type=int, default=100, help="bootstrap replicates")
        parser.add_argument("--seed", type=int, default=None, help="bootstrap seed")
        parser.add_argument(
            "--anchor",
            type=parse_anchor,
            default=None,
            metavar="CODENAME=RATING",
            help="pin one contender's rating (codename or public name)",
        )
        parser.add_argument("--min-votes", type=int, default=0)
        parser.add_argument(
            "--force", action="store_true", help="recompute even when no new votes arrived"
        )
        parser.add_argument(
            "--weighting",
            choices=["inverse-probability", "none"],
            default=None,
            help="weight votes by the inverse of their pair's sampling probability "
            "(default: ARENA_RATINGS_WEIGHTED, on)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["rounds"] < 1:
            raise CommandError("--rounds must be at least 1")
        options = RecomputeOptions(
            ci=opts["ci"],
            rounds=opts["rounds"],
            seed=opts["seed"],
            anchor=opts["anchor"],
            min_votes=opts["min_votes"],
            weighted=None if opts["weighting"] is None else opts["weighting"] != "none",
        )

        def progress(done: int, total: int, category: str) -> None:
            if opts["verbosity"] >= 2:
                self.stdout.write(f"  [{done}/{total}] {category}")

        try:
            snapshot = recompute_ratings(options, force=opts["force"], progress=progress)
        except (RecomputeBusy, UnknownAnchor) as exc:
            raise CommandError(str(exc)) from exc
        if snapshot is None:
            self.stdout.write("No new votes since the last snapshot; nothing to do (--force).")
            return
        m = snapshot.method
        self.stdout.write(
            self.style.SUCCESS(
                f"Snapshot {snapshot.pk}: {snapshot.votes} votes, "
                f"{snapshot.category_results.count()} categories, "
                f"aggregate {m.get('aggregate_s', 0):.3f}s, fit {m.get('fit_s', 0):.3f}s, "
                f"total {snapshot.duration_s:.3f}s"
            )
        )
