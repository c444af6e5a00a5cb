"""Celery tasks: thin doors into alerts.pipeline and alerts.delivery. Arguments are ids, never
patient data; every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from alerts import delivery, pipeline


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def deliver_notification_task(notification_id: int) -> None:
    delivery.deliver_notification(notification_id=notification_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def sweep_outbox_task() -> int:
    return delivery.sweep_outbox()


# Beat sends it every few seconds: a tick that finds nothing is one UPDATE and one indexed
# SELECT. It expires rather than pile up while no worker runs (beat keeps sending).
@shared_task(acks_late=True, ignore_result=True, expires=30)
def drain_outbox_task() -> int:
    return delivery.drain_outbox()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def escalate_overdue_task() -> int:
    return delivery.escalate_overdue()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def ask_due_followups_task() -> int:
    return pipeline.ask_due_followups()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def check_missed_diaries_task() -> int:
    return pipeline.check_missed_diaries()
