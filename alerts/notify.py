"""Notification channels behind a pluggable backend.

`deliver_notification` (alerts.delivery) claims an outbox row and calls the backend of its
channel with the notification id as the idempotency key. Backends are chosen per channel by the
``TOXWATCH_NOTIFICATION_BACKENDS`` setting (dotted paths); the defaults are the dashboard push,
Django e-mail for e-mail, the console for SMS and pager, and a push to the patient's phones for
the patient app. Messages carry ids, levels and kinds only: no patient data leaves through a
notification (the nurse opens the dashboard to see it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from alerts.models import Notification

logger = logging.getLogger(__name__)


class Backend(Protocol):
    def send(self, notification: Notification, *, key: str) -> None: ...


def message_for(notification: Notification) -> str:
    alert = notification.alert
    return (
        f"ToxWatch {notification.level.upper()} alert #{alert.pk} ({alert.get_kind_display()}), "
        f"{notification.get_reason_display().lower()}: open the dashboard."
    )


class DashboardBackend:
    """Pushes to the nurses' dashboard: records the push (the live queue reads it) and, once
    committed, wakes the clinic's open dashboards (alerts.live)."""

    def send(self, notification: Notification, *, key: str) -> None:
        from alerts.live import announce
        from alerts.models import DashboardPush
        from diary import fastsql

        push = DashboardPush(
            key=key,
            clinic_id=notification.alert.patient.clinic_id,
            alert_id=notification.alert_id,
            level=notification.level,
            reason=notification.reason,
        )
        # One statement; a push already made for this key (a re-send) is skipped (D70).
        if fastsql.insert_new([push]):
            announce(push)


class ConsoleBackend:
    def send(self, notification: Notification, *, key: str) -> None:
        logger.info(
            "notification channel=%s key=%s alert_id=%s level=%s reason=%s",
            notification.channel,
            key,
            notification.alert_id,
            notification.level,
            notification.reason,
        )


class EmailBackend:
    """Django's e-mail to the clinic's on-call address; the Message-ID makes resends idempotent."""

    def send(self, notification: Notification, *, key: str) -> None:
        recipients = settings.TOXWATCH_ALERT_EMAILS
        if not recipients:
            logger.info("notification channel=email key=%s skipped: no recipients", key)
            return
        EmailMessage(
            subject=f"ToxWatch {notification.level.upper()} alert #{notification.alert_id}",
            body=message_for(notification),
            to=recipients,
            headers={"Message-ID": f"<toxwatch-notification-{key}@toxwatch>"},
        ).send()


class PatientPushBackend:
    """The patient channel: a push to the patient's registered phones (``diary.push``, whose own
    backend is chosen by TOXWATCH_PUSH_BACKEND). The push only asks the patient to open the app,
    where the advice is; the collapse key keeps one such push per alert on the lock screen."""

    def send(self, notification: Notification, *, key: str) -> None:
        from diary import push

        delivered = push.send_to_patient(
            patient=notification.alert.patient_id,
            message=push.PushMessage(
                title="ToxWatch",
                body="Your care team has a message for you. Open ToxWatch now.",
                kind="care_team_message",
                collapse_key=f"alert-{notification.alert_id}",
            ),
            key=f"notification-{key}",
        )
        logger.info(
            "notification channel=patient key=%s alert_id=%s devices=%s",
            key,
            notification.alert_id,
            delivered,
        )


DEFAULT_BACKENDS = {
    "dashboard": "alerts.notify.DashboardBackend",
    "email": "alerts.notify.EmailBackend",
    "sms": "alerts.notify.ConsoleBackend",
    "pager": "alerts.notify.ConsoleBackend",
    "patient": "alerts.notify.PatientPushBackend",
}


def backend_for(channel: str) -> Backend:
    paths = {**DEFAULT_BACKENDS, **getattr(settings, "TOXWATCH_NOTIFICATION_BACKENDS", {})}
    backend: Backend = import_string(paths[channel])()
    return backend
