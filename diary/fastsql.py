"""Inserts on the ingest path without the ORM's query building (issue 17, D85).

Profiling a single diary entry (docs/performance.md, "Issue 17") showed the ORM's compiler
building each ``bulk_create`` (the entry, its grades, the pipeline's evidence, events,
notifications and follow-ups) costing more CPU than PostgreSQL spent storing the rows.
``insert`` writes the same rows with the same values in one statement per call (several rows on
PostgreSQL through ``UNNEST``, as Django's ``bulk_create`` does there): the column list is the
one ``bulk_create`` uses (every concrete field, the auto primary key left to the database),
each value goes through its field's ``pre_save`` and what ``get_db_prep_save`` gives (a
``preparer`` per field, built once), and the generated primary keys come back with
``RETURNING``, so the objects are as ``bulk_create`` leaves them (primary key set,
``_state.adding`` false). ``insert_rows`` writes rows given as ``{attname: value}`` the same
way, without building model objects where nothing reads them back. Only the SQL text is built
here, once per model, vendor and row count, by joining strings.

Models with a field that needs a placeholder of its own (``get_placeholder``) and backends that
cannot return rows from a multi-row insert go through ``bulk_create``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    QuerySet,
    SmallAutoField,
    TextField,
    UUIDField,
)
from django.db.models.fields import AutoFieldMixin

AUTO = (AutoField, BigAutoField, SmallAutoField)

# --- values ---------------------------------------------------------------------------------
#
# ``get_db_prep_save`` makes three to five Python calls per value (``get_prep_value``,
# ``to_python``, the backend's ``adapt_*``), each with its checks: 3 s of a 22 s profile of
# batches (docs/performance.md, "Issue 17"). A preparer gives the same for the values the
# ingest path writes (None, int, str, bool, UUID, aware datetime, finite Decimal, JSON) and
# hands any other value (an expression, a lazy string, a naive datetime, a float for a
# Decimal) to the field's own method. It is built once per field and database, and only for
# fields whose preparing methods are Django's own; tests/diary/test_fastsql_preparers.py
# compares each with ``get_db_prep_save`` over the hot models' fields on both backends.

Preparer = Callable[[Any], Any]
_SAVE = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")
_INTEGERS = {
    "IntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
}
_JSON_TYPES = frozenset({dict, list, str, int, float, bool})


def preparer(field: Field) -> Preparer:
    """A function of one value answering ``field.get_db_prep_save(value, connection)``."""
    return _preparer(field, connection.alias)


def _own(field: Field, base: type[Field], names: Sequence[str] = _SAVE) -> bool:
    """``field`` is a ``base`` whose methods ``names`` are ``base``'s own."""
    return isinstance(field, base) and all(
        getattr(type(field), name) is getattr(base, name) for name in names
    )


@cache
def _preparer(field: Field, alias: str) -> Preparer:
    db = connections[alias]

    def slow(value: Any) -> Any:
        return field.get_db_prep_save(value, connection=connections[alias])

    if isinstance(field, ForeignKey):
        # ForeignKey.get_db_prep_save: None is NULL, anything else the target's value (slow()
        # also turns "" into NULL, as the field does).
        if type(field).get_db_prep_save is not ForeignKey.get_db_prep_save:
            return slow
        return _fast(field.target_field, db, slow, foreign=True) or slow
    return _fast(field, db, slow) or slow


def _fast(field: Field, db: Any, slow: Preparer, *, foreign: bool = False) -> Preparer | None:
    """``field``'s preparer with ``slow`` for the values it does not know; None when ``field``
    is not one it knows."""
    ops = type(db.ops)
    if isinstance(field, AUTO):
        # An auto key (the target of a foreign key): int(value), unadapted.
        if not (
            foreign
            and type(field).get_db_prep_save is AutoFieldMixin.get_db_prep_save
            and type(field).get_db_prep_value is AutoFieldMixin.get_db_prep_value
            and type(field).get_prep_value is IntegerField.get_prep_value
            and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
        ):
            return None
        return lambda value: value if value is None or type(value) is int else slow(value)
    if _own(field, IntegerField) and field.get_internal_type() in _INTEGERS:
        if ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value:
            return lambda value: value if value is None or type(value) is int else slow(value)
        # psycopg 3: Django sends an integer as its column's type (Int2, Int4, Int8).
        wrap = getattr(db.ops, "integerfield_type_map", {}).get(field.get_internal_type())
        if wrap is None:
            return None
        return lambda value: (
            None if value is None else wrap(value) if type(value) is int else slow(value)
        )
    if _own(field, BooleanField):
        return lambda value: (
            value if value is None or value is True or value is False else slow(value)
        )
    if _own(field, CharField) or _own(field, TextField):
        # to_python keeps a str as it is, a TextChoices member too.
        return lambda value: (
            value
            if value is None
            or type(value) is str
            or (isinstance(value, str) and not hasattr(value, "as_sql"))
            else slow(value)
        )
    if _own(field, UUIDField):
        native = db.features.has_native_uuid_field

        def prepare_uuid(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is not uuid.UUID:
                if type(value) is not str:
                    return slow(value)
                try:
                    value = uuid.UUID(hex=value)  # as to_python reads a str
                except ValueError:
                    return slow(value)  # its error, or NULL for a foreign key's ""
            return value if native else value.hex

        return prepare_uuid
    if _own(field, DateTimeField):
        adapt = ops.adapt_datetimefield_value
        if adapt is _backend_op("postgresql", "adapt_datetimefield_value"):
            return lambda value: (
                value
                if value is None or (type(value) is datetime and value.utcoffset() is not None)
                else slow(value)
            )
        if adapt is _backend_op("sqlite3", "adapt_datetimefield_value") and settings.USE_TZ:
            zone = db.timezone
            # The naive time in the connection's zone, as text.
            return lambda value: (
                None
                if value is None
                else str(value.astimezone(zone).replace(tzinfo=None))
                if type(value) is datetime and value.utcoffset() is not None
                else slow(value)
            )
        return None
    if _own(field, DecimalField):
        if ops.adapt_decimalfield_value is not BaseDatabaseOperations.adapt_decimalfield_value:
            return None
        # to_python copies a Decimal (the same digits and exponent); NaN and infinities raise.
        return lambda value: (
            value
            if value is None or (type(value) is Decimal and value.is_finite())
            else slow(value)
        )
    if isinstance(field, JSONField) and _own(
        field, JSONField, ("get_db_prep_save", "get_db_prep_value", "get_prep_value")
    ):
        adapt_json = db.ops.adapt_json_value
        encoder = field.encoder
        # None is SQL NULL (JSON null would be Value(None, JSONField())).
        return lambda value: (
            None
            if value is None
            else adapt_json(value, encoder)
            if type(value) in _JSON_TYPES
            else slow(value)
        )
    return None


def _backend_op(backend: str, name: str) -> Any:
    """A backend's own operation (None when its driver is not installed)."""
    from importlib import import_module

    try:
        module = import_module(f"django.db.backends.{backend}.operations")
    except ImportError:
        return None
    return getattr(module.DatabaseOperations, name)


# --- inserts --------------------------------------------------------------------------------


@cache
def _shape(model: type[Model], vendor: str) -> tuple[list[Field], str, str, str] | None:
    """The fields ``bulk_create`` would write for new objects of ``model``, the statement's
    head, one row's placeholders and the RETURNING clause (empty without an auto pk); None when
    a field needs its own placeholder."""
    opts = model._meta
    auto_pk = isinstance(opts.pk, AUTO)
    fields = [
        f
        for f in opts.concrete_fields
        if not getattr(f, "generated", False) and not (auto_pk and f is opts.pk)
    ]
    if any(hasattr(f, "get_placeholder") or hasattr(f, "get_placeholder_sql") for f in fields):
        return None
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    head = f"INSERT INTO {table} ({', '.join(quote(str(f.column)) for f in fields)}) VALUES "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {table}.{quote(str(opts.pk.column))}" if auto_pk else ""
    return fields, head, row, returning


@cache
def _unnest_sql(model: type[Model], vendor: str, binary: bool = False) -> str | None:
    """On PostgreSQL, the multi-row insert as Django's own bulk_create writes it: one array
    per column through ``UNNEST``, so the statement's text (and psycopg's parse of it) is the
    same whatever the number of rows, and planning is cheaper; None where it does not apply
    (as Django decides: another backend, or a column type it does not know).

    ``binary``: the arrays are sent in PostgreSQL's binary format (``%b``, server-side binding
    only, D87), which psycopg dumps in about half the CPU of the text format's quoting."""
    shape = _shape(model, vendor)
    if vendor != "postgresql" or shape is None:
        return None
    fields, head, _row, returning = shape
    types = []
    for f in fields:
        target = f.target_field if f.is_relation else f  # type: ignore[attr-defined]
        if target.get_internal_type() not in connection.data_types:
            return None
        placeholder = "%b" if binary else "%s"
        types.append(f"({placeholder})::{str(f.db_type(connection)).split('(')[0]}[]")
    return head.removesuffix(" VALUES ") + f" SELECT * FROM UNNEST({', '.join(types)})" + returning


@cache
def _sql(model: type[Model], vendor: str, rows: int) -> str:
    shape = _shape(model, vendor)
    assert shape is not None
    _fields, head, row, returning = shape
    return head + ", ".join([row] * rows) + returning


def _plain_pre_save(field: Field) -> bool:
    """``field.pre_save(obj, True)`` is the attribute's value (no auto_now, no own pre_save)."""
    own = type(field).pre_save
    if own is Field.pre_save:
        return True
    return own in (DateField.pre_save, DateTimeField.pre_save) and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )


@cache
def _columns(
    model: type[Model], alias: str
) -> tuple[list[tuple[str, Preparer, Field | None]], frozenset[str]] | None:
    """Per written field: its attname, its preparer and the field when its ``pre_save`` is its
    own (else None); and the attnames a row may give. None where ``insert`` hands over to
    ``bulk_create``."""
    db = connections[alias]
    shape = _shape(model, db.vendor)
    if shape is None or (shape[3] and not db.features.can_return_rows_from_bulk_insert):
        return None
    columns = [
        (str(f.attname), _preparer(f, alias), None if _plain_pre_save(f) else f) for f in shape[0]
    ]
    return columns, frozenset(str(f.attname) for f in model._meta.concrete_fields)


def _write(model: type[Model], rows: list[list[Any]]) -> list[Any] | None:
    """Insert prepared rows (one value per written field) in one statement; the generated
    keys, in order (None without an auto primary key)."""
    shape = _shape(model, connection.vendor)
    assert shape is not None
    returning = shape[3]
    binary = connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    unnest = _unnest_sql(model, connection.vendor, binary) if len(rows) > 1 else None
    if unnest is not None:
        sql, params = unnest, [list(column) for column in zip(*rows, strict=True)]
    else:
        sql, params = _sql(model, connection.vendor, len(rows)), [v for r in rows for v in r]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [key for (key,) in cursor.fetchall()] if returning else None


def _row(obj: Model, columns: list[tuple[str, Preparer, Field | None]]) -> list[Any]:
    """One new object's values, as ``bulk_create`` prepares them."""
    # As bulk_create: a related object saved after it was assigned gives its key now.
    obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    # The attribute as pre_save reads it (a new object has every one in its __dict__).
    values = obj.__dict__
    return [
        prepare(
            own.pre_save(obj, True)
            if own is not None
            else values[name]
            if name in values
            else getattr(obj, name)
        )
        for name, prepare, own in columns
    ]


def _saved(obj: Model) -> None:
    obj._state.adding = False
    obj._state.db = connection.alias


def insert(objs: Sequence[Model]) -> None:
    """Insert new objects of one model, as ``Model.objects.bulk_create(objs)`` would."""
    if not objs:
        return
    model = type(objs[0])
    plan = _columns(model, connection.alias)
    if plan is None:
        model._default_manager.bulk_create(objs)
        return
    columns = plan[0]
    fields = _shape(model, connection.vendor)[0]  # type: ignore[index]
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    pk = model._meta.pk.attname
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        keys = _write(model, [_row(obj, columns) for obj in chunk])
        for position, obj in enumerate(chunk):
            if keys is not None:
                setattr(obj, pk, keys[position])
            _saved(obj)


@cache
def _sql_skipping_conflicts(model: type[Model], vendor: str, rows: int) -> str:
    # The upsert clause, not SQLite's INSERT OR IGNORE, which also skips NOT NULL and CHECK
    # violations: only a row breaking a unique constraint is skipped, as get_or_create does.
    shape = _shape(model, vendor)
    assert shape is not None
    _fields, head, row, returning = shape
    return head + ", ".join([row] * rows) + " ON CONFLICT DO NOTHING" + returning


def insert_new(objs: Sequence[Model]) -> list[int]:
    """Insert new objects of one model with an auto primary key, skipping any that would break a
    unique constraint, as ``get_or_create`` per object would without creating it (D88): one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` statement (PostgreSQL and SQLite alike),
    values prepared as ``insert`` prepares them. Returns the inserted rows' keys in ascending
    order (the order of insertion); a single object inserted gets its key."""
    if not objs:
        return []
    model = type(objs[0])
    assert isinstance(model._meta.pk, AUTO)
    plan = _columns(model, connection.alias)
    assert plan is not None, f"{model.__name__} needs a placeholder of its own"
    params = [value for obj in objs for value in _row(obj, plan[0])]
    with connection.cursor() as cursor:
        cursor.execute(_sql_skipping_conflicts(model, connection.vendor, len(objs)), params)
        keys = sorted(row[0] for row in cursor.fetchall())
    if len(objs) == 1 and keys:
        objs[0].pk = keys[0]
        _saved(objs[0])
    return keys


def insert_rows(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Insert new rows of ``model`` given as ``{attname: value}`` (``alert_id``, not
    ``alert``), as ``bulk_create([model(**row) for row in rows])`` would, without building
    the objects: a column a row leaves out takes its field's default. Returns the generated
    primary keys in order (an empty list for a model without an auto primary key)."""
    if not rows:
        return []
    plan = _columns(model, connection.alias)
    if plan is None or any(own is not None for _name, _prepare, own in plan[0]):
        objs = [model(**row) for row in rows]
        insert(objs)
        return [obj.pk for obj in objs] if isinstance(model._meta.pk, AUTO) else []
    columns, names = plan
    unknown = set().union(*rows) - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(sorted(unknown))}")
    fields = _shape(model, connection.vendor)[0]  # type: ignore[index]
    defaults = {str(f.attname): f.get_default for f in fields}
    size = connection.ops.bulk_batch_size(fields, rows) or len(rows)
    out: list[Any] = []
    for start in range(0, len(rows), size):
        prepared = [
            [
                prepare(row[name] if name in row else defaults[name]())
                for name, prepare, _own in columns
            ]
            for row in rows[start : start + size]
        ]
        out.extend(_write(model, prepared) or [])
    return out


def update_column(model: type[Model], name: str, value: Any, pks: Sequence[Any]) -> None:
    """``model.objects.filter(pk__in=pks).update(name=value)`` for one plain column (no
    expression, no ``auto_now`` field touched), in one statement built without the ORM."""
    if not pks:
        return
    opts = model._meta
    field = opts.get_field(name)
    assert isinstance(field, Field)
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {quote(str(field.column))} = %s"
        f" WHERE {quote(str(opts.pk.column))} IN ({', '.join(['%s'] * len(pks))})"
    )
    prepared = field.get_db_prep_save(value, connection=connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [prepared, *(opts.pk.get_db_prep_value(pk, connection) for pk in pks)])


@dataclass(frozen=True)
class _Plan:
    model: type[Model]
    sql: str
    params: list[Any]  # the probes' parameters
    keys_at: list[int]  # where each key goes in them
    apply_converters: Callable[..., Any]  # the compiler's own, with its converters
    converters: dict[int, Any]
    where: slice  # the model's columns in a row
    names: list[str]  # their attnames, in order
    related: list[tuple[type[Model], slice, list[str], int, Any, Any]]  # select_related's


class CompiledQuery:
    """A queryset of model instances whose SQL the ORM builds once per database vendor.

    ``build`` makes the queryset from integer keys (a patient's or a course's id); it is
    compiled with negative probes in their place, and each later ``fetch`` runs that SQL with
    the real keys, applies the compiler's converters and builds the instances with Django's
    ``Model.from_db``, as iterating the queryset would. No annotations; ``select_related`` one
    level deep only with ``joined=True`` (the compile refuses the rest). For the few querysets
    every diary entry runs (D85)."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], keys: int = 1, *, joined: bool = False
    ) -> None:
        self.build = build
        self.keys = keys
        self.joined = joined
        self._plans: dict[str, _Plan] = {}

    def _plan(self) -> _Plan:
        vendor = connection.vendor
        if vendor not in self._plans:
            probes = [-1 - n for n in range(self.keys)]
            queryset = self.build(*probes)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, raw = compiler.as_sql()
            params = list(raw)
            if any(params.count(probe) != 1 for probe in probes):
                raise RuntimeError(f"unexpected parameters for {queryset.model.__name__}: {params}")
            info = compiler.klass_info
            select = compiler.select
            related = (info or {}).get("related_klass_infos") or []
            if (
                info is None
                or compiler.annotation_col_map
                or (related and not self.joined)
                or any(r.get("related_klass_infos") for r in related)
            ):
                raise RuntimeError("only plain querysets of model instances are compiled")

            def layout(fields: list[int]) -> tuple[slice, list[str]]:
                if fields != list(range(fields[0], fields[-1] + 1)):
                    raise RuntimeError("unexpected columns")
                names = [select[i][0].target.attname for i in fields]
                return slice(fields[0], fields[-1] + 1), names

            where, names = layout(info["select_fields"])
            joins = []
            for r in related:
                at, columns = layout(r["select_fields"])
                pk_at = columns.index(r["model"]._meta.pk.attname)
                joins.append(
                    (r["model"], at, columns, pk_at, r["local_setter"], r["remote_setter"])
                )
            if where.start != 0 or where.stop + sum(len(j[2]) for j in joins) != len(select):
                raise RuntimeError("unexpected columns")
            self._plans[vendor] = _Plan(
                model=queryset.model,
                sql=sql,
                params=params,
                keys_at=[params.index(probe) for probe in probes],
                apply_converters=compiler.apply_converters,
                converters=compiler.get_converters([column[0] for column in select]),
                where=where,
                names=names,
                related=joins,
            )
        return self._plans[vendor]

    def fetch(self, *keys: int) -> list[Any]:
        """The queryset's instances for these keys, as ``list(build(*keys))``."""
        plan = self._plan()
        params = list(plan.params)
        for position, key in zip(plan.keys_at, keys, strict=True):
            params[position] = key
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = list(plan.apply_converters(rows, plan.converters))
        out = []
        for row in rows:
            obj = plan.model.from_db(connection.alias, plan.names, row[plan.where])
            # As Django's RelatedPopulator sets what select_related read.
            for model, at, names, pk_at, local_setter, remote_setter in plan.related:
                values = row[at]
                other = (
                    None
                    if values[pk_at] is None
                    else model.from_db(connection.alias, names, values)
                )
                local_setter(obj, other)
                if other is not None:
                    remote_setter(other, obj)
            out.append(obj)
        return out
