"""Hand-written statements for the hottest paths: the vote, and on the way to a battle's
first token its start and each generation's claim.

Building a query with the ORM costs more CPU than PostgreSQL spends answering it: for
a vote, the ORM's query building was about half of the web process's CPU. These run
the same statements from plain SQL, with values prepared by the model's own fields, so
they work on PostgreSQL and SQLite alike, and PostgreSQL runs them prepared
(:mod:`arena.db.prepared`). Everything else uses the ORM.
"""

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from arena.db import prepared

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Field

M = TypeVar("M", bound=Model)

# The statements' text is built once per model, shape and database vendor: only values
# change from one vote to the next. The connection is looked up once per call (each
# ``django.db.connection`` attribute is a context-local lookup).


def _db() -> "BaseDatabaseWrapper":
    return connections[DEFAULT_DB_ALIAS]


@cache
def _quoted(vendor: str, name: str) -> str:
    return str(_db().ops.quote_name(name))


def table(model: type[Model]) -> str:
    """``model``'s table name, quoted."""
    return _quoted(_db().vendor, model._meta.db_table)


def key(model: type[Model], pk: Any) -> Any:
    """``pk`` as the database stores it (a UUID is 32 hex characters on SQLite)."""
    field = model._meta.pk
    assert field is not None
    return field.get_db_prep_value(pk, _db())


def for_update(*of: str) -> str:
    """`` FOR UPDATE [OF ...]`` to end a SELECT that locks its rows until the transaction
    ends, where the database locks rows (PostgreSQL); ``""`` elsewhere (SQLite serialises
    the transaction at its first write)."""
    db = _db()
    if not db.features.has_select_for_update:
        return ""
    return " " + str(db.ops.for_update_sql(of=of))


def select_rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql``; values are passed as ``params``, never formatted in."""
    db = _db()
    with db.cursor() as cur:
        prepared.execute(db, cur, sql, params)
        return list(cur.fetchall())


def _column(vendor: str, field: "Field[Any, Any]") -> str:
    return _quoted(vendor, field.column or field.name)


@cache
def _read_fields(model: type[Model], names: frozenset[str] | None) -> tuple["Field[Any, Any]", ...]:
    # In the model's field order, as Model.from_db expects the values.
    return tuple(
        f for f in model._meta.concrete_fields if names is None or {f.name, f.attname} & names
    )


@cache
def _select_list(vendor: str, model: type[Model], alias: str, names: frozenset[str] | None) -> str:
    return ", ".join(f"{alias}.{_column(vendor, f)}" for f in _read_fields(model, names))


def select_list(model: type[Model], alias: str, names: Iterable[str] | None = None) -> str:
    """``alias.column, ...`` of the fields ``names`` (all when None), in the order
    :func:`from_row` reads them back."""
    return _select_list(_db().vendor, model, alias, None if names is None else frozenset(names))


def from_row(model: type[M], names: Iterable[str] | None, values: Iterator[Any]) -> M:
    """The instance whose values, read by :func:`select_list` with the same ``names``, come
    next in ``values`` (the rest is left there), converted as the ORM converts them;
    fields not read are deferred (loaded on access)."""
    db = _db()
    fields = _read_fields(model, None if names is None else frozenset(names))
    converted = []
    for field in fields:
        value, col = next(values), field.get_col(model._meta.db_table)
        for convert in db.ops.get_db_converters(col) + col.get_db_converters(db):
            value = convert(value, col, db)
        converted.append(value)
    return model.from_db(db.alias, [f.attname for f in fields], converted)


def _stored_fields(model: type[Model]) -> list["Field[Any, Any]"]:
    auto = model._meta.auto_field
    return [f for f in model._meta.concrete_fields if f is not auto]


def _values(
    db: "BaseDatabaseWrapper", obj: Model, fields: Sequence["Field[Any, Any]"], *, add: bool
) -> list[Any]:
    # pre_save applies auto_now and the like, as Model.save would.
    return [f.get_db_prep_save(f.pre_save(obj, add), db) for f in fields]


@cache
def _insert_sql(vendor: str, model: type[Model], rows: int, ignore_conflicts: bool) -> str:
    fields = _stored_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {_quoted(vendor, model._meta.db_table)} "
        f"({', '.join(_column(vendor, f) for f in fields)}) VALUES {', '.join([row] * rows)}"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    auto = model._meta.auto_field
    if rows == 1 and not ignore_conflicts and auto is not None:
        sql += f" RETURNING {_column(vendor, auto)}"
    return sql


def insert_rows(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT ``objs`` (of one model) in one statement. A single object without
    ``ignore_conflicts`` gets its auto primary key (``RETURNING``, which PostgreSQL and
    SQLite both have); a skipped row would return none."""
    if not objs:
        return
    db, model = _db(), type(objs[0])
    fields = _stored_fields(model)
    params = [value for obj in objs for value in _values(db, obj, fields, add=True)]
    returning = len(objs) == 1 and not ignore_conflicts and model._meta.auto_field is not None
    sql = _insert_sql(db.vendor, model, len(objs), ignore_conflicts)
    with db.cursor() as cur:
        prepared.execute(db, cur, sql, params)
        if returning:
            objs[0].pk = cur.fetchone()[0]
    for obj in objs:
        obj._state.adding = False


def update_row(obj: Model, field_names: Sequence[str]) -> None:
    """UPDATE ``obj``'s row with its current ``field_names`` values, as
    ``obj.save(update_fields=...)`` does (auto_now fields included)."""
    meta = obj._meta
    assert meta.pk is not None
    # pre_save applies auto_now and the like, as Model.save would.
    values = {n: meta.get_field(n).pre_save(obj, False) for n in field_names}  # type: ignore[union-attr]
    update_where(type(obj), values, {meta.pk.name: obj.pk})


@cache
def _update_where_sql(
    vendor: str,
    model: type[Model],
    assigned: tuple[str, ...],
    incremented: tuple[str, ...],
    matched: tuple[str, ...],
) -> str:
    def column(name: str) -> str:
        return _column(vendor, model._meta.get_field(name))  # type: ignore[arg-type]

    assignments = [f"{column(n)} = %s" for n in assigned]
    assignments += [f"{column(n)} = {column(n)} + 1" for n in incremented]
    conditions = " AND ".join(f"{column(n)} = %s" for n in matched)
    return (
        f"UPDATE {_quoted(vendor, model._meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE {conditions}"
    )


def update_where(
    model: type[Model],
    values: dict[str, Any],
    where: dict[str, Any],
    *,
    add_one: Sequence[str] = (),
) -> int:
    """UPDATE the rows whose fields equal ``where``: fields ``values`` set, fields
    ``add_one`` one more, as ``QuerySet.filter(**where).update(...)`` does; how many rows
    changed. For a conditional write on a hot path (a generation's claim)."""
    db = _db()
    meta = model._meta
    params = [
        meta.get_field(n).get_db_prep_save(v, db)  # type: ignore[union-attr]
        for n, v in values.items()
    ]
    params += [
        meta.get_field(n).get_db_prep_value(v, db)  # type: ignore[union-attr]
        for n, v in where.items()
    ]
    sql = _update_where_sql(db.vendor, model, tuple(values), tuple(add_one), tuple(where))
    with db.cursor() as cur:
        prepared.execute(db, cur, sql, params)
        return int(cur.rowcount)
