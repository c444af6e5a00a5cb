"""What the alert pipeline reads about a patient, once per call, and what it writes, at the end.

``raise_alerts`` used to read and write row by row: per entry and alert kind a locked alert
lookup, an evidence ``get_or_create``, an event insert, notification ``get_or_create``s, and
follow-ups saved one at a time (docs/performance.md, "Ingest"). ``AlertContext`` reads the
patient's context once under the patient's lock (expected markings, the current course with its
infusions, open follow-ups) and the active alerts by kind when an entry first needs them (one
``SELECT ... FOR UPDATE``). ``Writes`` collects evidence, audit events, notifications and
follow-ups and writes each kind in one statement when the call ends.

Everything still runs in the transaction that stores the entries (D7/D10): the same rows are
written as before, only fewer statements; the live pushes of the audit events
(alerts.live.push_changes) and the deliveries are each one after-commit call. See
docs/decisions.md D35.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from alerts import live, rules
from alerts.models import Alert, AlertEvent, AlertEvidence, Notification
from diary import fastsql
from diary.models import DiaryEntry, FollowUp, Patient


@dataclass(frozen=True)
class RecentComposites:
    """The composites of one of the patient's latest PRO-CTCAE responses (§5.4)."""

    completed_at: datetime
    composites: dict[str, int]


@dataclass
class AlertContext:
    patient: Patient
    now: datetime
    expected: dict[str, dict[str, int | None]]  # kind -> marked AMBER triggers (code -> measure)
    snapshot: dict[str, Any]  # rules.Snapshot's patient fields
    followups: list[FollowUp]  # open follow-ups, kept current across the call
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)  # clinic's advice words
    # The latest PRO-CTCAE responses' composites (drug set, CNS set) read with the lock
    recent_composites: list[RecentComposites] = field(default_factory=list)
    _active: dict[str, Alert] | None = None

    @property
    def active(self) -> dict[str, Alert]:
        """The patient's active alerts by kind, locked (read on first use: green entries never
        need them). Alerts opened during the call are added by the caller."""
        if self._active is None:
            self._active = {alert.kind: alert for alert in ACTIVE_ALERTS.fetch(self.patient.pk)}
        return self._active


# The patient's active alerts, locked (compiled once: diary.fastsql, D85).
ACTIVE_ALERTS = fastsql.CompiledQuery(
    lambda patient_id: Alert.objects.select_for_update().filter(patient_id=patient_id).active()
)


@dataclass
class Writes:
    """Rows to insert when the call ends; their live pushes and deliveries after commit."""

    # Evidence and notifications as rows ({attname: value}): nothing reads them back as objects.
    evidence: list[dict[str, Any]] = field(default_factory=list)
    events: list[AlertEvent] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    new_followups: list[FollowUp] = field(default_factory=list)
    resolved_followups: list[FollowUp] = field(default_factory=list)
    evidence_touched: set[int] = field(default_factory=set)  # alert ids: last_evidence_at
    evidence_keys: set[tuple[int, str, str]] = field(default_factory=set)
    # Report ids that are PRO-CTCAE responses, not entries: their evidence links the response.
    response_ids: set[str] = field(default_factory=set)

    def flush(self, now: datetime, enqueue: Callable[[list[int]], object]) -> None:
        # One statement per kind, without the ORM's query building (diary.fastsql, D85).
        fastsql.insert_rows(AlertEvidence, self.evidence)
        fastsql.insert(self.events)
        ids = fastsql.insert_rows(Notification, self.notifications)
        # Resolutions first: a follow-up may be resolved and asked anew in one batch.
        if self.resolved_followups:
            fastsql.update_column(
                FollowUp, "resolved_at", now, [f.pk for f in self.resolved_followups]
            )
        fastsql.insert(self.new_followups)
        if self.evidence_touched:
            fastsql.update_column(Alert, "last_evidence_at", now, sorted(self.evidence_touched))
        # After commit: the live pushes of the changes, then the deliveries (each in one call).
        live.push_changes_on_commit(self.events)
        if ids:
            transaction.on_commit(lambda: enqueue(ids), robust=True)


# The history read: the columns the rules read of an entry (rules.Report), in this order.
HISTORY_FIELDS = (
    "id",
    "recorded_at",
    "recorded_offset_minutes",
    "symptoms",
    "grade_summary",
    "loperamide_mg",
    "tki_doses_taken",
    "tki_doses_missed",
    "tki_dose_vomited",
    "missed_dose_reason",
)
_JSON_AT = (3, 4)  # symptoms and grade_summary: decoded here, not by JSONField.from_db_value
# Its SQL and other converters per database vendor, compiled by the ORM once.
_HISTORY_SQL: dict[str, tuple[str, list[tuple[int, list[Any], Any]]]] = {}
_PROBE = (-1, datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))


def _compiled_history() -> tuple[str, list[tuple[int, list[Any], Any]]]:
    vendor = connection.vendor
    if vendor not in _HISTORY_SQL:
        patient_id, since, until = _PROBE
        query = (
            DiaryEntry.objects.filter(
                patient_id=patient_id, recorded_at__gte=since, recorded_at__lte=until
            )
            .values(*HISTORY_FIELDS)
            .query
        )
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapt = connection.ops.adapt_datetimefield_value
        if list(params) != [patient_id, adapt(since), adapt(until)]:
            raise RuntimeError(f"unexpected parameters for the history read: {params!r}")
        converters = compiler.get_converters([column[0] for column in compiler.select])
        for at in _JSON_AT:
            column = DiaryEntry._meta.get_field(HISTORY_FIELDS[at])
            # What from_db_value does for these columns, with the standard decoder.
            assert isinstance(column, JSONField) and column.decoder is None
            assert [function.__func__ for function in converters.pop(at)[0]] == [  # type: ignore[attr-defined]
                JSONField.from_db_value
            ]
        _HISTORY_SQL[vendor] = (
            sql,
            [(at, functions, expression) for at, (functions, expression) in converters.items()],
        )
    return _HISTORY_SQL[vendor]


# json.loads' own C scanner, called directly: a value that is one JSON document from its first
# character to its last (as PostgreSQL's jsonb and Django's json.dumps write them) is decoded
# in one call instead of json.loads' four; anything else goes through json.loads.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json(value: Any) -> Any:
    """JSONField.from_db_value without a decoder: None stays None, text that is not JSON is
    returned as it is."""
    if value is None:
        return None
    if type(value) is str:
        try:
            decoded, end = _scan(value, 0)
        except (StopIteration, json.JSONDecodeError):
            pass
        else:
            if end == len(value):
                return decoded
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


@cache
def _offset(minutes: int) -> tzinfo:
    return timezone.get_fixed_timezone(timedelta(minutes=minutes))


def history_reports(patient_id: int, since: datetime, until: datetime) -> list[rules.Report]:
    """A patient's entries recorded from ``since`` to ``until`` as the rules see them: each
    at the phone's local time, with its stored grades (``grade_summary``). The same values as
    ``DiaryEntry.objects.filter(...).values(*HISTORY_FIELDS)`` gives, but the SQL is compiled
    by the ORM once and the rows are read as they come: building that query, and then
    ``from_db_value`` and a dict per row, cost more CPU per entry than PostgreSQL spends
    answering it (docs/performance.md, "Ingest")."""
    sql, converters = _compiled_history()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [patient_id, adapt(since), adapt(until)])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        if converters:
            values = list(row)
            for at, functions, expression in converters:
                value = values[at]
                for function in functions:
                    value = function(value, expression, connection)
                values[at] = value
            row = values
        (
            entry_id,
            recorded_at,
            offset,
            symptoms,
            grades,
            loperamide,
            taken,
            missed,
            vomited,
            reason,
        ) = row
        out.append(
            rules.Report(
                entry_id=str(entry_id),
                # The phone's local time: "daily", "same day" are the patient's days.
                recorded_at=recorded_at.astimezone(_offset(offset)),
                symptoms=_json(symptoms),
                grades=_json(grades),
                loperamide_mg=float(loperamide) if loperamide is not None else None,
                tki_doses_taken=taken,
                tki_doses_missed=missed,
                tki_dose_vomited=vomited,
                missed_dose_reason=reason,
            )
        )
    return out
