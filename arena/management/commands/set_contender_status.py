"""``manage.py set_contender_status CODENAME STATUS``: pause, resume or retire a contender."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.models import ContenderStatus
from arena.registry import RegistryError, set_contender_status


class Command(BaseCommand):
    help = (
        "Change a contender's status (active, paused, retired, outage); the step is logged "
        "in its history. A retired contender stays in every snapshot, listed as retired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codename")
        parser.add_argument("status", choices=ContenderStatus.values)
        parser.add_argument("--note", default="", help="why, for the contender's history")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            contender = set_contender_status(
                options["codename"], options["status"], via="command", note=options["note"]
            )
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{contender.codename}: {contender.status}."))
