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
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts import live, rules
from alerts.models import Alert, AlertEvent, EventType, Notification, NotificationReason, Status

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
    """Write outbox rows now; enqueue their delivery once the transaction has committed."""
    ids = []
    for channel in channels or rules.CHANNELS_BY_LEVEL[level]:
        notification, created = Notification.objects.get_or_create(
            alert=alert, channel=channel, reason=reason, level=level
        )
        if created:
            ids.append(notification.pk)
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

    now = timezone.now()
    # The attempt is written (and committed: no transaction here) before the backend is called.
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at=None, failed_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .update(claimed_at=now, attempted_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("alert__patient").get(pk=notification_id)
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
            Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())
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
