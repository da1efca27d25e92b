"""``manage.py add_contender CODENAME --backend ...``: register a model."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.models import BackendKind, ContenderStatus
from arena.registry import DEFAULT_BASE_URLS, RegistryError, add_contender


class Command(BaseCommand):
    help = (
        "Register a contender. openai and anthropic need --provider-model; without "
        f"--base-url they use {DEFAULT_BASE_URLS[BackendKind.OPENAI]} and "
        f"{DEFAULT_BASE_URLS[BackendKind.ANTHROPIC]}. --api-key-env names the environment "
        "variable that holds the key (the key itself is never stored). --public-name "
        "reveals the contender from the start; without it voters see the codename."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codename", help="unique slug voters see until revealed")
        parser.add_argument("--backend", required=True, choices=BackendKind.values)
        parser.add_argument("--base-url", default="")
        parser.add_argument("--provider-model", default="", help="the provider's model id")
        parser.add_argument("--api-key-env", default="", help="e.g. OPENAI_API_KEY")
        parser.add_argument("--public-name", default="")
        parser.add_argument("--organisation", default="")
        parser.add_argument(
            "--variant-of", default="", help="codename of the model this is a private variant of"
        )
        parser.add_argument("--weight", type=float, default=1.0, help="sampling weight >= 0")
        parser.add_argument("--temperature", type=float)
        parser.add_argument("--max-tokens", type=int)
        parser.add_argument("--top-p", type=float)
        parser.add_argument("--system-prompt")
        parser.add_argument(
            "--thinking-budget", type=int, help="anthropic: tokens to think before answering"
        )
        parser.add_argument(
            "--status",
            default=ContenderStatus.ACTIVE,
            choices=[ContenderStatus.ACTIVE, ContenderStatus.PAUSED],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        params = {
            "temperature": options["temperature"],
            "max_tokens": options["max_tokens"],
            "top_p": options["top_p"],
            "system_prompt": options["system_prompt"],
            "thinking_budget": options["thinking_budget"],
        }
        try:
            contender = add_contender(
                options["codename"],
                options["backend"],
                base_url=options["base_url"],
                provider_model=options["provider_model"],
                api_key_env=options["api_key_env"],
                public_name=options["public_name"],
                organisation=options["organisation"],
                weight=options["weight"],
                params=params,
                status=options["status"],
                variant_of=options["variant_of"],
            )
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        shown = "revealed as " + contender.public_name if contender.is_revealed else "unrevealed"
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {contender.codename} ({contender.backend}, {shown}, "
                f"{contender.status}, weight {contender.sampling_weight:g})."
            )
        )
