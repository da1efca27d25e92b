"""Write the stylesheet for highlighted code (light theme, dark theme by system setting)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from battles.highlighting import stylesheet

DEFAULT_PATH = Path(settings.BASE_DIR) / "templates" / "static" / "pygments.css"


class Command(BaseCommand):
    help = "Write templates/static/pygments.css from battles.highlighting (commit the result)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=DEFAULT_PATH)

    def handle(self, *args: Any, output: Path, **options: Any) -> None:
        output.write_text(stylesheet(), encoding="utf-8")
        self.stdout.write(f"wrote {output}")
