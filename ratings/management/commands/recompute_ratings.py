"""``manage.py recompute_ratings``: fit all eligible votes and write a snapshot."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ratings.anchor import parse_anchor
from ratings.snapshots import RecomputeBusy, UnknownAnchor, operator_options, recompute_ratings


def anchor_argument(value: str) -> tuple[str, float]:
    try:
        return parse_anchor(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(BaseCommand):
    help = "Aggregate eligible votes, fit Bradley-Terry per category, write a rating snapshot."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ci", choices=["sandwich", "bootstrap", "none"], default="sandwich")
        parser.add_argument("--rounds", type=int, default=100, help="bootstrap replicates")
        parser.add_argument("--seed", type=int, default=None, help="bootstrap seed")
        parser.add_argument(
            "--anchor",
            type=anchor_argument,
            default=None,
            metavar="MODEL=RATING",
            help="pin one contender's rating (codename or public name); "
            "default: the operator's rating settings",
        )
        parser.add_argument(
            "--min-votes",
            type=int,
            default=None,
            help="rank only contenders with this many votes in a category; "
            "default: the operator's rating settings",
        )
        parser.add_argument(
            "--no-style-control", action="store_true", help="skip the style-controlled fit"
        )
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
        overrides: dict[str, Any] = {"ci": opts["ci"], "rounds": opts["rounds"]}
        overrides["seed"] = opts["seed"]
        if opts["anchor"] is not None:
            overrides["anchor"] = opts["anchor"]
        if opts["min_votes"] is not None:
            overrides["min_votes"] = opts["min_votes"]
        if opts["no_style_control"]:
            overrides["style_control"] = False
        if opts["weighting"] is not None:
            overrides["weighted"] = opts["weighting"] != "none"
        options = operator_options(**overrides)

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
