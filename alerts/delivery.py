"""Notification delivery: the outbox rows' way out, and the escalation of overdue alerts.

Outbox rows are written in the transaction that raises or changes an alert and enqueued only
after commit; a worker claims each row with a conditional UPDATE, writing the attempt before it
calls the backend with the notification's idempotency key, and records the acceptance at once;
rows the broker refused are marked and drained within seconds of its return (D69), and the
beat sweeper re-sends anything else still undelivered after 2 minutes. Delivery is
at-least-once, made idempotent per channel where the channel allows (D70). Which channels
tell whom at each level is data in alerts.rules (combination).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Field, Model, Q
from django.utils import timezone

from alerts import live, rules
from alerts.models import Alert, AlertEvent, EventType, Notification, NotificationReason, Status
from diary import fastsql

logger = logging.getLogger(__name__)

# An undelivered notification is re-sent after 2 minutes (issue: beat sweeper); a claim that
# was never completed (worker killed) is taken over after the same lease.
RESEND_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 10


def record_event(alert: Alert, type: str, actor: User | None, detail: dict[str, Any]) -> AlertEvent:
    """An audit event, pushed live to other nurses' open queues after commit."""
    event = AlertEvent.objects.create(alert=alert, type=type, actor=actor, detail=detail)
    live.push_change_on_commit(event)  # other nurses' open queues follow the change
    return event


def queue_notifications(
    alert: Alert, reason: str, level: str, channels: Iterable[str] | None = None
) -> None:
    """Write outbox rows now; enqueue their delivery once the transaction has committed.

    One statement for all channels; a row already queued for the same cause (the unique
    ``one_notification_per_cause``) is skipped and not enqueued again."""
    ids = fastsql.insert_new(
        [
            Notification(alert=alert, channel=channel, reason=reason, level=level)
            for channel in dict.fromkeys(channels or rules.CHANNELS_BY_LEVEL[level])
        ]
    )
    if ids:
        transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)


# After a refused publish the broker is not tried again for this long in this process: with
# Redis frozen, only one request in that time waits out the broker's timeout (issue 12) [D].
SKIP_BROKER_AFTER_FAILURE = 5.0
_broker_down_until = 0.0


def enqueue_deliveries(ids: Iterable[int]) -> list[int]:
    """Hand deliveries to Celery; returns the ids the broker took. A broker outage only delays
    them: the rows it refused are marked ``enqueue_failed``, and the outbox drain (every few
    seconds, and when a worker starts) enqueues them as soon as the broker is back (D69)."""
    global _broker_down_until
    from alerts.tasks import deliver_notification_task

    pending = list(ids)
    for index, pk in enumerate(pending):
        try:
            if time.monotonic() < _broker_down_until:
                raise ConnectionError("broker failed moments ago")  # no second timeout
            deliver_notification_task.delay(pk)
        except Exception:  # broker down: the rows stay in the outbox, marked for the drain
            _broker_down_until = time.monotonic() + SKIP_BROKER_AFTER_FAILURE
            refused = pending[index:]
            logger.warning(
                "broker unavailable; %s notifications marked for the outbox drain (first id %s)",
                len(refused),
                pk,
            )
            try:
                Notification.objects.filter(pk__in=refused).update(enqueue_failed=True)
            except Exception as exc:  # the database too: the 2-minute sweeper still finds them
                logger.warning("could not mark notifications for the drain: %s", type(exc).__name__)
            return pending[:index]
    return pending


# The drain's heartbeat row (alerts.models.Heartbeat): /healthz reads it (D71).
HEARTBEAT = "outbox-drain"


def drain_outbox() -> int:
    """Enqueue the notifications whose enqueue failed (the broker was down after their commit),
    at once rather than after the sweeper's 2 minutes, and record the worker's heartbeat. Runs
    on a worker every few seconds (beat) and when a worker starts; returns how many it sent."""
    from alerts.models import Heartbeat

    _broker_is_back()
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"seen_at": now})
    ids = list(
        Notification.objects.undelivered()
        .filter(enqueue_failed=True)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    if not ids:
        return 0
    taken = enqueue_deliveries(ids)
    Notification.objects.filter(pk__in=taken).update(enqueue_failed=False)
    logger.info("outbox drain: %s notifications enqueued after a broker outage", len(taken))
    return len(taken)


def deliver_notification(*, notification_id: int) -> bool:
    """Claim the outbox row and send it once. Returns True when this call sent it.

    The claim is a conditional UPDATE: only one worker wins it. A claim older than the lease
    (its worker died mid-send) can be taken over; backends get the notification id as an
    idempotency key, so a send that did happen before the crash is not repeated.
    """
    from alerts.notify import backend_for

    # The attempt is written (and committed: no transaction here) before the backend is called;
    # the claim also reads the row with its alert and patient (one statement on PostgreSQL).
    notification = claim(notification_id, now=timezone.now())
    if notification is None:
        return False
    try:
        backend_for(notification.channel).send(notification, key=str(notification.pk))
    except Exception as exc:
        failed = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None,
            last_error=type(exc).__name__[:200],
            failed_at=timezone.now() if failed else None,
        )
        logger.warning(
            "notification_id=%s channel=%s attempt %s failed: %s",
            notification_id,
            notification.channel,
            notification.attempts,
            type(exc).__name__,
        )
        raise
    _record_sent(notification_id)
    return True


# The claim and the read of what it claimed, without the ORM's query building on every
# delivery (issue 17, D85): building the same two statements again for each notification was
# about a fifth of the single-entry profile's CPU. Failures keep the ORM (rare, off the path).


@dataclass(frozen=True)
class _ClaimPlan:
    update: str  # claims the row; on PostgreSQL also returns it with its alert and patient
    read: str | None  # where an UPDATE cannot return joined rows: the select_related read
    apply_converters: Callable[..., Any]
    converters: dict[int, Any]
    # (model, its columns in a row, their attnames, local_setter, remote_setter), outermost
    # first: the notification, its alert, the alert's patient, as select_related reads them.
    layout: list[tuple[type[Model], slice, list[str], Any, Any]]


@cache
def _claim_plan(vendor: str) -> _ClaimPlan:
    """Built once per database vendor from the ORM's own compile of
    ``Notification.objects.select_related("alert__patient").filter(pk=...)``: its columns,
    converters and ``klass_info`` (as ``diary.fastsql.CompiledQuery`` does, two levels deep)."""
    compiler = (
        Notification.objects.select_related("alert__patient")
        .filter(pk=-1)
        .order_by()
        .query.get_compiler(connection=connection)
    )
    select_sql, params = compiler.as_sql()
    columns = [sql for _col, (sql, col_params), _alias in compiler.select if not col_params]
    info = compiler.klass_info
    if list(params) != [-1] or len(columns) != len(compiler.select) or info is None:
        raise RuntimeError(f"unexpected claim read: {select_sql}")
    layout = []
    level: dict[str, Any] | None = info
    while level is not None:
        fields = level["select_fields"]
        if fields != list(range(fields[0], fields[-1] + 1)):
            raise RuntimeError("unexpected columns in the claim read")
        names = [compiler.select[i][0].target.attname for i in fields]
        at = slice(fields[0], fields[-1] + 1)
        layout.append(
            (level["model"], at, names, level.get("local_setter"), level.get("remote_setter"))
        )
        related = level.get("related_klass_infos") or []
        if len(related) > 1:
            raise RuntimeError("unexpected joins in the claim read")
        level = related[0] if related else None
    if [entry[0] for entry in layout] != [Notification, Alert, Alert.patient.field.related_model]:
        raise RuntimeError("unexpected models in the claim read")

    patient_model = layout[2][0]
    tables = [model._meta.db_table for model in (Notification, Alert, patient_model)]
    if set(compiler.query.alias_map) != set(tables):
        raise RuntimeError("unexpected table aliases in the claim read")
    quote = connection.ops.quote_name
    n, a, p = (quote(table) for table in tables)

    def col(model: type[Model], name: str) -> str:
        return quote(str(_field(model, name).column))

    update = (
        f"UPDATE {n} SET {col(Notification, 'claimed_at')} = %s,"
        f" {col(Notification, 'attempted_at')} = %s,"
        f" {col(Notification, 'attempts')} = {n}.{col(Notification, 'attempts')} + 1"
    )
    where = (
        f" WHERE {n}.{col(Notification, 'id')} = %s"
        f" AND {n}.{col(Notification, 'sent_at')} IS NULL"
        f" AND {n}.{col(Notification, 'failed_at')} IS NULL"
        f" AND ({n}.{col(Notification, 'claimed_at')} IS NULL"
        f" OR {n}.{col(Notification, 'claimed_at')} < %s)"
    )
    if vendor == "postgresql":
        # UPDATE ... FROM ... RETURNING may return the joined tables' columns (SQLite's may not).
        update += (
            f" FROM {a} INNER JOIN {p}"
            f" ON ({a}.{col(Alert, 'patient')} = {p}.{quote(patient_model._meta.pk.column)})"
            f"{where} AND {a}.{col(Alert, 'id')} = {n}.{col(Notification, 'alert')}"
            f" RETURNING {', '.join(columns)}"
        )
        read = None
    else:
        update += where
        read = select_sql
    return _ClaimPlan(
        update=update,
        read=read,
        apply_converters=compiler.apply_converters,
        converters=compiler.get_converters([column[0] for column in compiler.select]),
        layout=layout,
    )


def claim(notification_id: int, *, now: datetime) -> Notification | None:
    """Claim the notification for one attempt (sets ``claimed_at``, ``attempted_at``, one more
    ``attempts``) if it is neither sent nor failed and not claimed within the lease; returns it
    as it is now, with its alert and the alert's patient as ``select_related("alert__patient")``
    reads them, or None when another worker holds it or it is done."""
    plan = _claim_plan(connection.vendor)
    claimed_at = _field(Notification, "claimed_at")
    at = claimed_at.get_db_prep_value(now, connection)
    lease = claimed_at.get_db_prep_value(now - RESEND_AFTER, connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.update, [at, at, notification_id, lease])
        if plan.read is None:
            rows = cursor.fetchall()
        elif cursor.rowcount == 1:
            cursor.execute(plan.read, [notification_id])
            rows = cursor.fetchall()
        else:
            rows = []
    if not rows:
        return None
    if plan.converters:
        rows = list(plan.apply_converters(rows, plan.converters))
    row = rows[0]
    objects = [
        model.from_db(connection.alias, names, row[at]) for model, at, names, _l, _r in plan.layout
    ]
    # As Django's RelatedPopulator sets what select_related read.
    for (_m, _a, _n, local_setter, remote_setter), outer, inner in zip(
        plan.layout[1:], objects, objects[1:], strict=False
    ):
        local_setter(outer, inner)
        remote_setter(inner, outer)
    notification = objects[0]
    assert isinstance(notification, Notification)
    return notification


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


# Recording "the provider accepted it" is retried this long on a database error before the
# task gives up (and the notification is sent again, with the same key, after the lease) [D].
RECORD_SENT_FOR = 10.0


def _record_sent(notification_id: int) -> None:
    """Write ``sent_at`` at once after the backend returned; on a database error, retry for a
    few seconds (a reconnect) rather than leave a sent message to be sent again (D70)."""
    from django.db import DatabaseError, close_old_connections

    deadline = time.monotonic() + RECORD_SENT_FOR
    delay = 0.1
    while True:
        try:
            fastsql.update_column(Notification, "sent_at", timezone.now(), [notification_id])
            return
        except DatabaseError as exc:
            if time.monotonic() + delay > deadline:
                logger.warning(
                    "notification_id=%s sent but not recorded (%s): it will be sent again "
                    "with the same key after the lease",
                    notification_id,
                    type(exc).__name__,
                )
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            close_old_connections()


def _broker_is_back() -> None:
    """The drain and the sweep come through the broker (beat): it is up, so try it again."""
    global _broker_down_until
    _broker_down_until = 0.0


def sweep_outbox() -> int:
    """Re-enqueue notifications still undelivered after 2 minutes; returns how many."""
    _broker_is_back()
    now = timezone.now()
    ids = list(
        Notification.objects.stale(RESEND_AFTER)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .values_list("pk", flat=True)[:500]
    )
    enqueue_deliveries(ids)
    return len(ids)


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate alerts nobody acknowledged by their due time to the on-call oncologist, and tell
    the patient what to do. Safe to run late or twice: each alert escalates once."""
    now = now or timezone.now()
    escalated = 0
    for alert_id in Alert.objects.overdue(now).values_list("pk", flat=True):
        with transaction.atomic():
            won = Alert.objects.filter(
                pk=alert_id, status=Status.OPEN, escalated_at__isnull=True
            ).update(status=Status.ESCALATED, escalated_at=now)
            if won != 1:
                continue
            alert = Alert.objects.get(pk=alert_id)
            record_event(
                alert, EventType.ESCALATED, None, {"why": "not acknowledged by its due time"}
            )
            queue_notifications(
                alert, NotificationReason.ESCALATED, alert.level, rules.ESCALATION_CHANNELS
            )
            queue_notifications(
                alert, NotificationReason.PATIENT_ADVICE, alert.level, rules.PATIENT_ADVICE_CHANNELS
            )
            escalated += 1
    if escalated:
        logger.info("escalated %s overdue alerts", escalated)
    return escalated
