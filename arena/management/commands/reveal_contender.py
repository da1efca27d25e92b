"""``manage.py reveal_contender CODENAME --public-name NAME``: lift a codename."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.registry import RegistryError, reveal_contender


class Command(BaseCommand):
    help = "Reveal a contender: voters see its public name after their vote from now on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codename")
        parser.add_argument("--public-name", required=True)
        parser.add_argument("--organisation", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            contender = reveal_contender(
                options["codename"], options["public_name"], options["organisation"]
            )
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Revealed {contender.codename} as {contender.public_name}.")
        )
