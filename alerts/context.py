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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from alerts import live
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

    evidence: list[AlertEvidence] = field(default_factory=list)
    events: list[AlertEvent] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    new_followups: list[FollowUp] = field(default_factory=list)
    resolved_followups: list[FollowUp] = field(default_factory=list)
    evidence_touched: set[int] = field(default_factory=set)  # alert ids: last_evidence_at
    evidence_keys: set[tuple[int, str, str]] = field(default_factory=set)
    # Report ids that are PRO-CTCAE responses, not entries: their evidence links the response.
    response_ids: set[str] = field(default_factory=set)

    def flush(self, now: datetime, enqueue: Callable[[list[int]], object]) -> None:
        # One statement per kind, without the ORM's query building (diary.fastsql, D85).
        fastsql.insert(self.evidence)
        fastsql.insert(self.events)
        fastsql.insert(self.notifications)
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
        ids = [row.pk for row in self.notifications]
        if ids:
            transaction.on_commit(lambda: enqueue(ids), robust=True)


# The history read's SQL and converters per database vendor and column list, compiled once.
_HISTORY_SQL: dict[tuple[str, tuple[str, ...]], tuple[str, dict[int, Any]]] = {}
_PROBE = (-1, datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))


def _compiled_history(fields: tuple[str, ...]) -> tuple[str, dict[int, Any]]:
    key = (connection.vendor, fields)
    if key not in _HISTORY_SQL:
        patient_id, since, until = _PROBE
        query = (
            DiaryEntry.objects.filter(
                patient_id=patient_id, recorded_at__gte=since, recorded_at__lte=until
            )
            .values(*fields)
            .query
        )
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapt = connection.ops.adapt_datetimefield_value
        if list(params) != [patient_id, adapt(since), adapt(until)]:
            raise RuntimeError(f"unexpected parameters for the history read: {params!r}")
        converters = compiler.get_converters([column[0] for column in compiler.select])
        _HISTORY_SQL[key] = (sql, converters)
    return _HISTORY_SQL[key]


def history_rows(
    patient_id: int, since: datetime, until: datetime, fields: Sequence[str]
) -> list[dict[str, Any]]:
    """A patient's entries recorded from ``since`` to ``until`` as dicts of ``fields``: the
    same rows and values as ``DiaryEntry.objects.filter(...).values(*fields)``, but the SQL is
    compiled by the ORM once and then run as it is. Building that query cost more CPU per
    entry than PostgreSQL spends answering it (docs/performance.md, "Ingest")."""
    names = tuple(fields)
    sql, converters = _compiled_history(names)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [patient_id, adapt(since), adapt(until)])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        values = list(row)
        for position, (functions, expression) in converters.items():
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        out.append(dict(zip(names, values, strict=True)))
    return out
