"""ASGI entry point: ``uvicorn arena.asgi:application``."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
django.setup(set_prefix=False)

from arena.asgi_handler import ArenaASGIHandler  # noqa: E402 (needs the apps loaded above)

application = ArenaASGIHandler()

from battles.categories import warm_up  # noqa: E402 (needs the apps loaded above)

# The language models take seconds of CPU to load: load them while the server starts,
# not in the middle of its first voters' battles.
warm_up()
