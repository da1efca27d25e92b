"""Hand-written statements for the hottest transaction, the vote.

Building a query with the ORM costs more CPU than PostgreSQL spends answering it: for
a vote, the ORM's query building was about half of the web process's CPU. These run
the same statements from plain SQL, with values prepared by the model's own fields, so
they work on PostgreSQL and SQLite alike. Everything else uses the ORM.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Model

if TYPE_CHECKING:
    from django.db.models import Field


def table(model: type[Model]) -> str:
    """``model``'s table name, quoted."""
    return str(connection.ops.quote_name(model._meta.db_table))


def key(model: type[Model], pk: Any) -> Any:
    """``pk`` as the database stores it (a UUID is 32 hex characters on SQLite)."""
    field = model._meta.pk
    assert field is not None
    return field.get_db_prep_value(pk, connection)


def select_rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql``; values are passed as ``params``, never formatted in."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _column(field: "Field[Any, Any]") -> str:
    return str(connection.ops.quote_name(field.column or field.name))


def _stored_fields(model: type[Model]) -> list["Field[Any, Any]"]:
    auto = model._meta.auto_field
    return [f for f in model._meta.concrete_fields if f is not auto]


def _values(obj: Model, fields: Sequence["Field[Any, Any]"], *, add: bool) -> list[Any]:
    # pre_save applies auto_now and the like, as Model.save would.
    return [f.get_db_prep_save(f.pre_save(obj, add), connection) for f in fields]


def insert_rows(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT ``objs`` (of one model) in one statement. A single object without
    ``ignore_conflicts`` gets its auto primary key (``RETURNING``, which PostgreSQL and
    SQLite both have); a skipped row would return none."""
    if not objs:
        return
    model = type(objs[0])
    fields = _stored_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(_column(f) for f in fields)}) "
        f"VALUES {', '.join([row] * len(objs))}"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    auto = model._meta.auto_field if len(objs) == 1 and not ignore_conflicts else None
    if auto is not None:
        sql += f" RETURNING {_column(auto)}"
    params = [value for obj in objs for value in _values(obj, fields, add=True)]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        if auto is not None:
            objs[0].pk = cur.fetchone()[0]
    for obj in objs:
        obj._state.adding = False


def update_row(obj: Model, field_names: Sequence[str]) -> None:
    """UPDATE ``obj``'s row with its current ``field_names`` values, as
    ``obj.save(update_fields=...)`` does (auto_now fields included)."""
    fields: list[Field[Any, Any]] = [obj._meta.get_field(n) for n in field_names]  # type: ignore[misc]
    pk = obj._meta.pk
    assert pk is not None
    assignments = ", ".join(f"{_column(f)} = %s" for f in fields)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table(type(obj))} SET {assignments} WHERE {_column(pk)} = %s",
            [*_values(obj, fields, add=False), key(type(obj), obj.pk)],
        )
