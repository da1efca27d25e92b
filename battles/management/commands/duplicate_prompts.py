"""``manage.py duplicate_prompts``: the most-voted prompts and what the duplicate cap did."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from battles.duplicates import capped_votes, current_cap, refresh_duplicate_cap, top_prompts
from battles.models import DuplicateCap


class Command(BaseCommand):
    help = "Report the most frequent prompts (by normalised hash) and the votes capped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--top", type=int, default=20, help="How many prompts (20).")
        parser.add_argument(
            "--refresh", action="store_true", help="Recompute the automatic cap first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["top"] < 1:
            self.stderr.write("--top must be at least 1.")
            raise SystemExit(2)
        if options["refresh"]:
            refresh_duplicate_cap()
        self.stdout.write(self._cap_line())
        self.stdout.write(f"Votes excluded by the cap: {capped_votes()}")
        rows = top_prompts(options["top"])
        if not rows:
            self.stdout.write("No voted prompts yet.")
            return
        self.stdout.write(f"{'hash':<16}  {'votes':>7}  {'counted':>7}  {'capped':>7}  sample")
        for row in rows:
            self.stdout.write(
                f"{row.prompt_hash[:16]}  {row.votes:>7}  {row.counted:>7}  {row.capped:>7}"
                f"  {row.sample}"
            )

    def _cap_line(self) -> str:
        cap = current_cap()
        if settings.ARENA_DUPLICATE_CAP > 0:
            return f"Duplicate cap: {cap} votes per prompt (ARENA_DUPLICATE_CAP)"
        stored = DuplicateCap.objects.filter(pk=1).first()
        if stored is None:
            return f"Duplicate cap: {cap} votes per prompt (minimum; not computed yet)"
        return (
            f"Duplicate cap: {cap} votes per prompt (max(25, 99.9th percentile = "
            f"{stored.percentile_count}) over {stored.prompts} prompts, computed "
            f"{stored.computed_at:%Y-%m-%d %H:%M} UTC)"
        )
