"""``manage.py import_battles PATH``: load public battle data as historic votes."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ratings.datasets import DatasetError
from ratings.importing import import_battles


class Command(BaseCommand):
    help = (
        "Import battles (FastChat JSON/JSONL, LMArena CSV/Parquet, or pair counts) as votes "
        "of historic, revealed contenders. Importing the same data twice adds nothing."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--format", choices=["auto", "fastchat", "arena-csv", "pairs"], default="auto"
        )
        parser.add_argument(
            "--skip-bad", action="store_true", help="skip malformed rows instead of stopping"
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **opts: Any) -> None:
        bars: list[tqdm[Any]] = []  # made on the first batch, once the total is known

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(
                    tqdm(
                        total=total,
                        unit="battle",
                        file=self.stderr,
                        disable=opts["verbosity"] < 1,
                        dynamic_ncols=True,
                    )
                )
            bars[0].update(done - bars[0].n)

        try:
            report = import_battles(
                opts["path"],
                fmt=opts["format"],
                skip_bad=opts["skip_bad"],
                batch_size=max(1, opts["batch_size"]),
                progress=progress,
            )
        except (DatasetError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars:
                bar.close()
        dropped = ", ".join(f"{k}: {v}" for k, v in report.dropped.items() if v)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.format}: {report.created} battles imported, "
                f"{report.already_present} already present, {report.skipped_bad} bad rows skipped"
                + (f", dropped ({dropped})" if dropped else "")
                + f"; {len(report.contenders_created)} new historic contenders."
            )
        )
        if report.created:
            self.stdout.write("Run `manage.py recompute_ratings` to refresh the leaderboard.")
