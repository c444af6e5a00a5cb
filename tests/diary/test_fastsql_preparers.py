"""diary.fastsql's preparers give what ``field.get_db_prep_save(value, connection)`` gives
(issue 17): every concrete field of the models the ingest path writes, with the values it
writes and others (which the preparers hand to the field), on the backend the tests run on
(SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F, JSONField, Value
from django.utils.functional import lazystr
from django.utils.translation import gettext_lazy

from alerts.models import Alert, AlertEvent, AlertEvidence, EventType, Level, Notification
from diary import fastsql
from diary.models import DiaryEntry, EntryGrade, FollowUp

HOT_MODELS = (DiaryEntry, EntryGrade, Alert, AlertEvidence, AlertEvent, Notification, FollowUp)

AWARE = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
VALUES: list[Any] = [
    None,
    0,
    7,
    -3,
    2**40,
    True,
    False,
    "",
    "plain",
    "caf\u00e9 \u2603 \"quoted\" 'single' \\ \u0000"[:-1],
    Level.RED,  # a TextChoices member
    EventType.OPENED,
    gettext_lazy("Opened"),
    lazystr("lazy"),
    uuid.UUID("0a1b2c3d-4e5f-6a7b-8c9d-aebfc0d1e2f3"),
    "0a1b2c3d-4e5f-6a7b-8c9d-aebfc0d1e2f3",
    "0A1B2C3D4E5F6A7B8C9DAEBFC0D1E2F3",
    "not-a-uuid",
    AWARE,
    AWARE.astimezone(timezone(timedelta(hours=5, minutes=30))),
    AWARE.astimezone(ZoneInfo("Europe/Paris")),
    datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),  # the repeated hour
    datetime(2026, 3, 29, 12, 0),  # naive: the field's warning and its local time
    date(2026, 3, 29),
    Decimal("2.0"),
    Decimal("12.35"),
    Decimal("-0"),
    Decimal("1E+1"),
    Decimal("NaN"),
    2.5,
    {"fever": {"temp_c": 38.2, "chills": True}, "note": "\u00e9\u2603", "n": [1, None, 2.5]},
    {},
    [],
    ["diarrhea", "fever"],
    Value(None, JSONField()),
    Value(3),
    F("id"),
]


def outcome(function: Any, value: Any) -> Any:
    """What preparing gives, comparable: the value with its type (and psycopg's wrappers'
    contents), or the exception's type."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            prepared = function(value)
            if isinstance(prepared, Decimal):
                return (Decimal, prepared.as_tuple())
            if hasattr(prepared, "obj") and hasattr(prepared, "dumps"):  # psycopg's Jsonb
                return (type(prepared), prepared.obj, prepared.dumps(prepared.obj))
            if hasattr(prepared, "as_sql"):
                return ("expression", prepared)
            return (type(prepared), prepared)
    except Exception as exc:  # noqa: BLE001 - the same exception is the expected outcome
        return ("raises", type(exc))


@pytest.mark.parametrize("model", HOT_MODELS, ids=lambda m: m.__name__)
def test_each_preparer_gives_what_get_db_prep_save_gives(model):
    for field in model._meta.concrete_fields:
        prepare = fastsql.preparer(field)
        for value in VALUES:
            expected = outcome(partial(field.get_db_prep_save, connection=connection), value)
            assert outcome(prepare, value) == expected, (field, value)


def test_the_hot_fields_have_a_fast_path():
    """Every field the ingest path writes is one the preparers know (none falls back to the
    field for its usual values), so the comparison above covers their fast paths."""
    slow = [
        f"{model.__name__}.{field.name}"
        for model in HOT_MODELS
        for field in model._meta.concrete_fields
        if fastsql._fast(
            field.target_field if field.is_relation else field,  # type: ignore[attr-defined]
            connection,
            lambda value: pytest.fail("not reached"),
            foreign=field.is_relation,
        )
        is None
        and not (field.primary_key and field.get_internal_type() in ("AutoField", "BigAutoField"))
    ]
    assert slow == []
