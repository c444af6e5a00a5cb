"""Inserts on the ingest path without the ORM's query building (issue 17, D85).

Profiling a single diary entry (docs/performance.md, "Issue 17") showed the ORM's compiler
building each ``bulk_create`` (the entry, its grades, the pipeline's evidence, events,
notifications and follow-ups) costing more CPU than PostgreSQL spent storing the rows.
``insert`` writes the same rows with the same values in one statement per call (several rows on
PostgreSQL through ``UNNEST``, as Django's ``bulk_create`` does there): the column list is the
one ``bulk_create`` uses (every concrete field, the auto primary key left to the database),
each value goes through its field's ``pre_save`` and ``get_db_prep_save`` as ``bulk_create``
does, and the generated primary keys come back with ``RETURNING``, so the objects are as
``bulk_create`` leaves them (primary key set, ``_state.adding`` false). Only the SQL text
is built here, once per model, vendor and row count, by joining strings.

Models with a field that needs a placeholder of its own (``get_placeholder``) and backends that
cannot return rows from a multi-row insert go through ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import AutoField, BigAutoField, Field, Model, QuerySet, SmallAutoField

AUTO = (AutoField, BigAutoField, SmallAutoField)


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
def _unnest_sql(model: type[Model], vendor: str) -> str | None:
    """On PostgreSQL, the multi-row insert as Django's own bulk_create writes it: one array
    per column through ``UNNEST``, so the statement's text (and psycopg's parse of it) is the
    same whatever the number of rows, and planning is cheaper; None where it does not apply
    (as Django decides: another backend, or a column type it does not know)."""
    shape = _shape(model, vendor)
    if vendor != "postgresql" or shape is None:
        return None
    fields, head, _row, returning = shape
    types = []
    for f in fields:
        target = f.target_field if f.is_relation else f  # type: ignore[attr-defined]
        if target.get_internal_type() not in connection.data_types:
            return None
        types.append(f"(%s)::{str(f.db_type(connection)).split('(')[0]}[]")
    return head.removesuffix(" VALUES ") + f" SELECT * FROM UNNEST({', '.join(types)})" + returning


@cache
def _sql(model: type[Model], vendor: str, rows: int) -> str:
    shape = _shape(model, vendor)
    assert shape is not None
    _fields, head, row, returning = shape
    return head + ", ".join([row] * rows) + returning


def insert(objs: Sequence[Model]) -> None:
    """Insert new objects of one model, as ``Model.objects.bulk_create(objs)`` would."""
    if not objs:
        return
    model = type(objs[0])
    shape = _shape(model, connection.vendor)
    features = connection.features
    if shape is None or (shape[3] and not features.can_return_rows_from_bulk_insert):
        model._default_manager.bulk_create(objs)
        return
    fields, _head, _row, returning = shape
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        rows: list[list[Any]] = []
        for obj in chunk:
            # As bulk_create: a related object saved after it was assigned gives its key now.
            obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
            rows.append(
                [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
            )
        unnest = _unnest_sql(model, connection.vendor) if len(rows) > 1 else None
        if unnest is not None:
            sql, params = unnest, [list(column) for column in zip(*rows, strict=True)]
        else:
            sql, params = _sql(model, connection.vendor, len(rows)), [v for r in rows for v in r]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            keys = cursor.fetchall() if returning else None
        pk = model._meta.pk.attname
        for position, obj in enumerate(chunk):
            if keys is not None:
                setattr(obj, pk, keys[position][0])
            obj._state.adding = False
            obj._state.db = connection.alias


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
