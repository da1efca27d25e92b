"""``manage.py export_battles``: the counted votes as public FastChat JSONL or 140k CSV."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from typing import IO, Any

from django.core.management.base import BaseCommand

from ratings.exporting import export_battles


class Command(BaseCommand):
    help = (
        "Export the counted votes in FastChat's clean-battle JSONL layout or the "
        "arena-human-preference-140k CSV layout; `import_battles` reads either back."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
        parser.add_argument("--format", choices=["fastchat", "arena-csv"], default="fastchat")
        parser.add_argument(
            "--conversations", action="store_true", help="include prompts and answers"
        )
        parser.add_argument(
            "--scrub-pii",
            action="store_true",
            help="replace e-mails, phone numbers and URL credentials in prompts and answers",
        )
        parser.add_argument(
            "--include-unrevealed",
            action="store_true",
            help="also battles of unrevealed contenders, under their codenames (operators only)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        with ExitStack() as stack:
            out: IO[str] = sys.stdout
            if opts["output"] != "-":
                out = stack.enter_context(open(opts["output"], "w", encoding="utf-8", newline=""))
            report = export_battles(
                out,
                fmt=opts["format"],
                conversations=opts["conversations"],
                scrub=opts["scrub_pii"],
                include_unrevealed=opts["include_unrevealed"],
            )
        dropped = ", ".join(f"{k}: {v}" for k, v in sorted(report.dropped_tags.items()))
        self.stderr.write(
            f"{report.battles} battles exported ({opts['format']})"
            + (
                f"; {report.skipped_unrevealed} with an unrevealed contender left out"
                if report.skipped_unrevealed
                else ""
            )
            + (f"; tags with no public field: {dropped}" if dropped else "")
        )
