"""ASGI entry point: ``uvicorn arena.asgi:application``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

application = get_asgi_application()

from battles.categories import warm_up  # noqa: E402 (needs the apps loaded above)

# The language models take seconds of CPU to load: load them while the server starts,
# not in the middle of its first voters' battles.
warm_up()
