"""Celery tasks of the clinicians app: thin doors into services, taking ids only; safe to run
twice (a done export is not written again)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from clinicians.exports import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def run_export_task(export_id: str) -> bool:
    return services.run_export(export_id=export_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def expire_exports_task() -> int:
    return services.expire_exports()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def requeue_stalled_exports_task() -> int:
    return services.requeue_stalled()
