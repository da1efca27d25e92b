"""Hand-written statements (``arena.db.rows``) prepared once per PostgreSQL connection,
then only executed.

For the small statements of a vote PostgreSQL spends more CPU parsing and planning than
running them (the locking read: 0.47 ms planned each time, 0.17 ms prepared). A
statement is sent as ``PREPARE`` the first time a pooled connection runs it, and as
``EXECUTE`` with its values from then on; a connection the pool replaces starts again
with none. Prepared statements outlive the transaction (a rollback keeps them) and end
with the connection.

Not behind PgBouncer in transaction mode (``ARENA_BEHIND_PGBOUNCER``): a statement
prepared on one server connection would be executed on another. A migration that
changes a prepared statement's result columns makes it fail until the process restarts,
as deploys do after migrating.
"""

import hashlib
import re
import weakref
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper

# Per open psycopg2 connection (weakly: closed ones drop out), the names prepared on it.
_prepared: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


@cache
def _statement(sql: str) -> tuple[str, str]:
    """The statement's name and its ``PREPARE`` (``%s`` placeholders numbered ``$n``)."""
    if "%%" in sql or "%(" in sql:
        raise ValueError("only positional %s placeholders can be prepared")
    numbers = iter(range(1, sql.count("%s") + 1))
    body = re.sub("%s", lambda _: f"${next(numbers)}", sql)
    name = "arena_" + hashlib.sha1(sql.encode()).hexdigest()[:20]
    return name, f"PREPARE {name} AS {body}"


@cache
def _execute_sql(name: str, values: int) -> str:
    return f"EXECUTE {name}" + (f"({', '.join(['%s'] * values)})" if values else "")


def execute(
    db: "BaseDatabaseWrapper", cursor: "CursorWrapper", sql: str, params: "Sequence[Any]"
) -> None:
    """Run ``sql`` with ``params`` on ``cursor``: prepared on PostgreSQL, as is elsewhere."""
    if db.vendor != "postgresql" or settings.ARENA_BEHIND_PGBOUNCER:
        cursor.execute(sql, params)
        return
    name, prepare = _statement(sql)
    done = _prepared.setdefault(db.connection, set())
    if name not in done:
        cursor.execute(prepare)
        done.add(name)
    cursor.execute(_execute_sql(name, len(params)), params)
