"""diary.fastsql.insert writes what bulk_create writes (issue 17, D85): the same rows, the keys
set on the objects in order, one statement (VALUES for one row, UNNEST for several on
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import fastsql
from diary.models import FollowUp
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
    with CaptureQueriesContext(connection) as ctx:
        fastsql.insert(ours)
    assert len(ctx.captured_queries) == 1
    if count > 1 and connection.vendor == "postgresql":
        assert "UNNEST" in ctx.captured_queries[0]["sql"]
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
