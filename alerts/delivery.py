"""Notification delivery: the outbox rows' way out, and the escalation of overdue alerts.

Outbox rows are written in the transaction that raises or changes an alert and enqueued only
after commit; a worker claims each row with a conditional UPDATE and sends it once; the beat
sweeper re-sends anything the broker never got. Which channels tell whom at each level is data
in alerts.rules (combination).
"""

from __future__ import annotations

import logging
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


def enqueue_deliveries(ids: Iterable[int]) -> None:
    """Hand deliveries to Celery. A broker outage only delays them: the sweeper retries."""
    from alerts.tasks import deliver_notification_task

    pending = list(ids)
    for index, pk in enumerate(pending):
        try:
            deliver_notification_task.delay(pk)
        except Exception:  # broker down: the rows stay in the outbox for the sweeper
            logger.warning(
                "broker unavailable; %s notifications left for the sweeper (first id %s)",
                len(pending) - index,
                pk,
            )
            return


def deliver_notification(*, notification_id: int) -> bool:
    """Claim the outbox row and send it once. Returns True when this call sent it.

    The claim is a conditional UPDATE: only one worker wins it. A claim older than the lease
    (its worker died mid-send) can be taken over; backends get the notification id as an
    idempotency key, so a send that did happen before the crash is not repeated.
    """
    from alerts.notify import backend_for

    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at=None, failed_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .update(claimed_at=now, attempts=F("attempts") + 1)
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
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())
    return True


def sweep_outbox() -> int:
    """Re-enqueue notifications still undelivered after 2 minutes; returns how many."""
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
