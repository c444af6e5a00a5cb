"""diary.fastsql.insert writes what bulk_create writes (issue 17, D85): the same rows, the keys
set on the objects in order, one statement (VALUES for one row, UNNEST for several on
PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import fastsql
from diary.models import DiaryEntry, FollowUp
from tests.helpers import enroll, make_clinic

pytestmark = pytest.mark.django_db


NOW = timezone.now()


def followups(patient, tag: str, count: int, now=NOW) -> list[FollowUp]:
    return [
        FollowUp(
            patient=patient,
            code=f"{tag}-{n}",
            terms=["diarrhea", "fever"][: 1 + n % 2],
            reason=f"reason {n} \u00e9\"'",
            due_at=now + timedelta(minutes=n),
            interval_minutes=n or 60,
            resolved_at=now if n % 3 == 0 else None,
        )
        for n in range(count)
    ]


def stored(tag: str) -> list[dict]:
    rows = FollowUp.objects.filter(code__startswith=f"{tag}-").order_by("code").values()
    # created_at is auto_now_add: set by each insert (checked to be set, not equal).
    assert all(row["created_at"] is not None for row in rows)
    return [{k: v for k, v in row.items() if k not in ("id", "code", "created_at")} for row in rows]


@pytest.mark.parametrize("count", [1, 2, 7])
def test_insert_writes_what_bulk_create_writes(count):
    patient, _ = enroll(make_clinic())
    ours, theirs = followups(patient, "ours", count), followups(patient, "theirs", count)
    FollowUp.objects.bulk_create(theirs)
    sent: list[str] = []

    def record(execute: Any, sql: str, *rest: Any) -> Any:
        sent.append(sql)
        return execute(sql, *rest)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(record):
        fastsql.insert(ours)
    assert len(ctx.captured_queries) == 1
    if count > 1 and connection.vendor == "postgresql":
        assert "UNNEST" in sent[0]
        # With server-side binding (D87) the arrays go in PostgreSQL's binary format: no text
        # quoting to pay for. Without it, as text.
        binary = connection.settings_dict["OPTIONS"].get("server_side_binding") is True
        assert ("(%b)::" in sent[0]) is binary and ("(%s)::" in sent[0]) is not binary
    assert stored("ours") == stored("theirs")
    assert [f.pk for f in ours] == sorted(f.pk for f in ours) and all(f.pk for f in ours)
    for followup in ours:
        assert FollowUp.objects.get(pk=followup.pk).code == followup.code
        assert followup._state.adding is False


def test_update_column_is_the_querysets_update():
    patient, _ = enroll(make_clinic())
    rows = followups(patient, "upd", 4)
    fastsql.insert(rows)
    now = timezone.now()
    fastsql.update_column(FollowUp, "resolved_at", now, [rows[1].pk, rows[2].pk])
    resolved = dict(
        FollowUp.objects.filter(code__startswith="upd-").values_list("code", "resolved_at")
    )
    assert resolved["upd-1"] == now and resolved["upd-2"] == now
    assert resolved["upd-0"] is not None and resolved["upd-0"] != now  # untouched
    assert resolved["upd-3"] is not None and resolved["upd-3"] != now


ROW_FIELDS = ("code", "terms", "reason", "due_at", "interval_minutes", "resolved_at")


@pytest.mark.parametrize("count", [1, 2, 7])
def test_insert_rows_writes_what_bulk_create_of_the_objects_writes(count):
    """Rows given as {attname: value}, the fields left out taking their defaults (asked_count,
    last_asked_at, alert_id, created_at): the same stored values, the keys in order."""
    patient, _ = enroll(make_clinic())
    theirs = followups(patient, "theirs", count)
    ours = [
        {"patient_id": patient.pk, **{name: getattr(f, name) for name in ROW_FIELDS}}
        for f in followups(patient, "ours", count)
    ]
    FollowUp.objects.bulk_create(theirs)
    with CaptureQueriesContext(connection) as ctx:
        keys = fastsql.insert_rows(FollowUp, ours)
    assert len(ctx.captured_queries) == 1
    assert stored("ours") == stored("theirs")
    codes = dict(FollowUp.objects.filter(pk__in=keys).values_list("pk", "code"))
    assert [codes[key] for key in keys] == [row["code"] for row in ours]


def test_insert_rows_refuses_an_unknown_column():
    with pytest.raises(TypeError, match="patient"):
        fastsql.insert_rows(FollowUp, [{"patient": 1, "code": "x"}])


def test_insert_rows_of_a_model_without_an_auto_key_answers_no_keys():
    patient, _ = enroll(make_clinic())
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "patient_id": patient.pk,
        "recorded_at": NOW,
        "content_hash": "x",
        "symptoms": {"fever": {"temp_c": 38.5, "note": "caf\u00e9"}},
    }
    assert fastsql.insert_rows(DiaryEntry, [row]) == []
    entry = DiaryEntry.objects.get(pk=row["id"])
    assert entry.symptoms == row["symptoms"] and entry.recorded_at == NOW
    assert entry.grade_summary == {} and entry.alert_level == "green"  # the defaults
