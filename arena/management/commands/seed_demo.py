"""``manage.py seed_demo``: the four demo contenders, for an arena that works offline."""

from typing import Any

from django.core.management.base import BaseCommand

from arena.registry import seed_demo


class Command(BaseCommand):
    help = "Create the demo contenders (local, no network) if missing; safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        for contender, created in seed_demo():
            state = "created" if created else "already present"
            name = contender.public_name if contender.is_revealed else "unrevealed"
            self.stdout.write(f"{contender.codename}: {state} ({name})")
