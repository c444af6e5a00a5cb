"""Celery tasks of the diary: thin doors into services. No arguments: nothing of a patient
travels through the broker; every task is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from diary import reminders


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_reminders_task() -> int:
    return reminders.send_due_reminders()
