"""``manage.py housekeeping``: fail stuck completions and abandon stale battles (for cron)."""

from typing import Any

from django.core.management.base import BaseCommand

from battles.housekeeping import run_housekeeping


class Command(BaseCommand):
    help = "Fail generations no worker will finish, and abandon battles nobody voted on."

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_housekeeping()
        self.stdout.write(f"Failed {report.failed_completions} stuck completions.")
        self.stdout.write(f"Abandoned {report.abandoned_battles} stale battles.")
