"""Set-based writes and reads that use PostgreSQL's own features, with portable fallbacks.

STYLE habit 7: the suite runs on SQLite and PostgreSQL, and PostgreSQL-only SQL lives here,
nowhere else. Each function picks its path through `_vendor()` (the one `connection.vendor`
test); the fallback is plain SQL that any backend runs (PostgreSQL | elsewhere):

* `bulk_copy`: COPY ... FROM STDIN | one executemany INSERT;
* `bulk_update_from_values`: COPY into a temporary table and one UPDATE ... FROM | one
  executemany UPDATE;
* `insert_with_ids`: ids drawn from the table's sequence in one query, then COPY | executemany,
  then the ids read back by a unique field;
* `stored_values`: `= ANY(%s)` with one array parameter | chunked `IN` lists;
* `chunked`: slices of 10,000 | of 900 (SQLite's historical bound on query parameters);
* `add_counts`: INSERT ... ON CONFLICT DO UPDATE SET c = c + excluded.c, a multi-row VALUES
  list per statement (the syntax PostgreSQL ≥ 9.5 and SQLite ≥ 3.24 share; one path).

Rows are tuples in the order of the given attribute names; nothing is read back and no model
`save()` or signal runs (callers use these for rows that are rebuilt from other data, e.g. the
bulk ingestion of dossier events). Constraint violations raise `django.db.IntegrityError` on
every path. `RawJSON` marks JSON that is already serialized: it is written as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import DateField, DateTimeField, DecimalField, JSONField, TimeField

IN_CHUNK = 900
IN_CHUNK_POSTGRES = 10_000
ARRAY_CHUNK = 50_000
EXECUTEMANY_CHUNK = 5_000


class RawJSON(str):
    """JSON text already serialized (e.g. canonical form): stored as it is, never re-encoded."""


def _vendor() -> str:
    """The one place that looks at the database: "postgresql" takes the PostgreSQL paths,
    "sqlite" the portable ones with SQLite's fast value adapters, anything else the portable
    ones with each field's own adapter (the tests force that on PostgreSQL)."""
    return connection.vendor


def _postgres() -> bool:
    return _vendor() == "postgresql"


def chunked(values: Sequence, size: int = 0) -> Iterable[Sequence]:
    """`values` in slices small enough for one `IN (...)` list on this database."""
    size = size or (IN_CHUNK_POSTGRES if _postgres() else IN_CHUNK)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fields(model, attnames: Sequence[str]) -> list:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def _json_text(value: Any) -> Any:
    return value if value is None or isinstance(value, RawJSON) else json.dumps(value)


def _adapter(field):
    """How a value of `field` goes into a plain parameter on this database; None: as it is.

    SQLite: what Django's backend does (datetimes as naive UTC text, JSON as text), without its
    per-value generic machinery. Other backends: the field's own `get_db_prep_save`."""
    if _vendor() != "sqlite":
        if isinstance(field, JSONField):
            return lambda v: field.get_db_prep_save(
                json.loads(v) if isinstance(v, RawJSON) else v, connection
            )
        return lambda v: field.get_db_prep_save(v, connection)
    if isinstance(field, JSONField):
        return _json_text
    if isinstance(field, DateTimeField):
        return lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(field, DateField | TimeField | DecimalField):
        return lambda v: field.get_db_prep_save(v, connection)
    return None


def _adapted(rows: Iterable[Sequence], fields: Sequence) -> list[list]:
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f)) is not None]
    values = []
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            row[i] = adapt(row[i])
        values.append(row)
    return values


def _copy(cursor, sql: str, rows: Iterable[Sequence], fields: Sequence) -> None:
    """COPY ... FROM STDIN through psycopg (values adapted by psycopg; JSON written as text)."""
    json_at = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    with cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = _json_text(row[i])
            copy.write_row(row)


def bulk_copy(model, rows: Sequence[Sequence], fields: Sequence[str]) -> None:
    """Insert `rows` (tuples in the order of the attribute names `fields`) into `model`'s
    table: COPY on PostgreSQL, executemany elsewhere. Several times faster than
    `bulk_create`."""
    if not rows:
        return
    model_fields = _fields(model, fields)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in model_fields)
    if _postgres():
        with connection.cursor() as cursor, connection.wrap_database_errors:
            _copy(cursor, f"COPY {table} ({columns}) FROM STDIN", rows, model_fields)
        return
    marks = ", ".join(["%s"] * len(model_fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (model metadata)
    with connection.cursor() as cursor:
        for chunk in chunked(rows, EXECUTEMANY_CHUNK):
            cursor.executemany(sql, _adapted(chunk, model_fields))


def bulk_update_from_values(
    model, rows: Sequence[Sequence], fields: Sequence[str], key: str = "id"
) -> None:
    """Set `fields` of existing rows: `rows` are tuples (key value, *values in the order of
    `fields`). PostgreSQL: COPY into a temporary table and one UPDATE ... FROM; elsewhere one
    executemany UPDATE. (`bulk_update` builds a CASE per field and row in Python, which costs
    more than a whole ingestion batch.)"""
    if not rows:
        return
    model_fields = [model._meta.get_field(name) for name in fields]
    key_column = model._meta.get_field(key).column
    quote = connection.ops.quote_name
    table, key_q = quote(model._meta.db_table), quote(key_column)
    if _postgres():
        temp = quote(f"pg_update_{uuid.uuid4().hex[:12]}")
        columns = ", ".join(quote(f.column) for f in model_fields)
        assign = ", ".join(f"{quote(f.column)} = t.{quote(f.column)}" for f in model_fields)
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {key_q}, {columns} "  # noqa: S608
                f"FROM {table} WITH NO DATA"
            )
            sql = f"COPY {temp} ({key_q}, {columns}) FROM STDIN"
            _copy(cursor, sql, rows, [model._meta.get_field(key), *model_fields])
            cursor.execute(
                f"UPDATE {table} d SET {assign} FROM {temp} t WHERE d.{key_q} = t.{key_q}"  # noqa: S608
            )
            cursor.execute(f"DROP TABLE {temp}")
        return
    assign = ", ".join(f"{quote(f.column)} = %s" for f in model_fields)
    key_field = model._meta.get_field(key)
    values = [[*row[1:], row[0]] for row in _adapted(rows, [key_field, *model_fields])]
    with connection.cursor() as cursor:
        for chunk in chunked(values, EXECUTEMANY_CHUNK):
            cursor.executemany(f"UPDATE {table} SET {assign} WHERE {key_q} = %s", chunk)  # noqa: S608


def insert_with_ids(model, objs: Sequence, *, natural_key: str) -> None:
    """Insert new instances of `model` set-based and give each its primary key (no `save()`,
    no signals). PostgreSQL: the ids are drawn from the table's sequence in one query, then
    the rows COPYed; elsewhere: one executemany, then the ids read back by `natural_key` (a
    unique field, set on every instance)."""
    if not objs:
        return
    pk = model._meta.pk
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(objs)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        for obj, value in zip(objs, ids, strict=True):
            obj.pk = value
        fields = [f.attname for f in model._meta.concrete_fields]
        bulk_copy(model, [tuple(getattr(o, f) for f in fields) for o in objs], fields)
    else:
        fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        bulk_copy(model, [tuple(getattr(o, f) for f in fields) for o in objs], fields)
        ids: dict = {}
        for chunk in chunked([getattr(o, natural_key) for o in objs]):
            ids.update(
                model._base_manager.filter(**{f"{natural_key}__in": chunk}).values_list(
                    natural_key, "pk"
                )
            )
        for obj in objs:
            obj.pk = ids[getattr(obj, natural_key)]
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def stored_values(model, field: str, values: Sequence, **equal: Any) -> set:
    """Which of `values` are stored in `field` among the rows whose other fields equal
    `equal` (e.g. the event source ids already stored for a source). PostgreSQL: one array
    parameter per 50,000 values; elsewhere chunked `IN` lists."""
    found: set = set()
    if not values:
        return found
    if _postgres():
        quote = connection.ops.quote_name
        target = model._meta.get_field(field)
        column, cast = quote(target.column), target.cast_db_type(connection)
        where = [f"{quote(model._meta.get_field(k).column)} = %s" for k in equal]
        sql = (
            f"SELECT {column} FROM {quote(model._meta.db_table)} "  # noqa: S608 (model metadata)
            f"WHERE {' AND '.join([*where, f'{column} = ANY(%s::{cast}[])'])}"
        )
        with connection.cursor() as cursor:
            for chunk in chunked(list(values), ARRAY_CHUNK):
                cursor.execute(sql, [*equal.values(), list(chunk)])
                found.update(row[0] for row in cursor.fetchall())
        return found
    for chunk in chunked(list(values)):
        found.update(
            model._base_manager.filter(**equal, **{f"{field}__in": chunk}).values_list(
                field, flat=True
            )
        )
    return found


def add_counts(
    model,
    keys: Sequence[str],
    counters: Sequence[str],
    rows: Sequence[tuple[Sequence, Sequence[int]]],
) -> None:
    """Add counters to rows of `model` keyed by the unique fields `keys`: each row is
    (key values, counter values in the order of `counters`); a missing row is inserted with
    them, an existing one gets `counter = counter + value`. Atomic per row under concurrency
    (no read-then-write), rows written in the given order (callers sort them: a stable lock
    order)."""
    if not rows:
        return
    model_fields = _fields(model, [*keys, *counters])
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in model_fields)
    conflict = ", ".join(quote(f.column) for f in model_fields[: len(keys)])
    updates = ", ".join(
        f"{quote(f.column)} = {table}.{quote(f.column)} + excluded.{quote(f.column)}"
        for f in model_fields[len(keys) :]
    )
    row_marks = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
    limit = connection.features.max_query_params or 65_535
    per_statement = max(1, min(500, limit // len(model_fields)))
    with connection.cursor() as cursor:
        for chunk in chunked(rows, per_statement):
            values = _adapted(((*k, *c) for k, c in chunk), model_fields)
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_marks] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
            )
            cursor.execute(sql, [v for row in values for v in row])
