"""``manage.py test_contender CODENAME``: one real streamed request, timed; no battle."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.registry import RegistryError, test_contender


class Command(BaseCommand):
    help = (
        "Test a contender's connection: stream one short answer through the backend that "
        "battles use and print the latency to the first token, the total time and a sample. "
        "Nothing is stored as a battle; the test is logged in the contender's history. "
        "Exits with status 1 when the backend fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codename")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            contender, result = test_contender(options["codename"], via="command")
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            raise CommandError(f"{contender.codename}: {result.describe()}")
        self.stdout.write(self.style.SUCCESS(f"{contender.codename}: {result.describe()}"))
