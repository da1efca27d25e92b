"""Sessions read from Redis and written through to PostgreSQL, surviving a Redis outage.

``SESSION_ENGINE = "arena.sessions"`` in production. Django's ``cached_db`` store falls
back to the database when the cache read fails, but then writes the session back to the
cache unguarded, so a request would fail while Redis is down; here the database read
then stands alone. Votes need PostgreSQL only, and keep working while Redis restarts.
"""

from typing import Any

from django.contrib.sessions.backends import cached_db, db

from arena.unavailable import UNAVAILABLE_ERRORS


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            return super().load()
        except UNAVAILABLE_ERRORS:
            return db.SessionStore.load(self)

    async def aload(self) -> dict[str, Any]:
        try:
            return await super().aload()
        except UNAVAILABLE_ERRORS:
            return await db.SessionStore.aload(self)
