"""GET /healthz: is the database taking entries, can notifications reach the broker, is a worker
running (its heartbeat), and how old is the oldest undelivered notification? (D71)

``status`` is ``ok``, ``degraded`` (entries are taken, but alerts may not reach people: the
broker is down, no worker has run the outbox drain lately, or a notification has waited too
long) or ``down`` (503: the database is unreachable). A poll logs nothing while all is well,
and one line, never a traceback, while the database is down.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# [D] The drain runs every 5 s on a worker: a minute without it means no worker (or no beat).
WORKER_STALE_AFTER = timedelta(seconds=60)
# [D] A notification undelivered this long has missed the drain and the first sweep: someone
# is not being told (the sweeper re-sends after 2 minutes, alerts.delivery.RESEND_AFTER).
OUTBOX_STALE_AFTER = timedelta(minutes=3)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:  # any driver error means "not taking entries"
        logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True


def broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    try:
        import redis

        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        client.ping()
    except Exception:
        return "down"
    return "ok"


def worker_state() -> tuple[str, float | None]:
    """The worker's state from its heartbeat (alerts.delivery.drain_outbox) and its age."""
    from alerts.delivery import HEARTBEAT
    from alerts.models import Heartbeat

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process", None
    seen = Heartbeat.objects.filter(name=HEARTBEAT).values_list("seen_at", flat=True).first()
    if seen is None:
        return "missing", None
    age = timezone.now() - seen
    return ("ok" if age <= WORKER_STALE_AFTER else "stale"), round(age.total_seconds(), 1)


def oldest_undelivered() -> float | None:
    """Seconds the oldest undelivered (and not given up) notification has waited."""
    from alerts.models import Notification

    oldest = (
        Notification.objects.undelivered()
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return None if oldest is None else round((timezone.now() - oldest).total_seconds(), 1)


def down(broker: str) -> JsonResponse:
    response = JsonResponse({"status": "down", "database": "down", "broker": broker}, status=503)
    response._has_been_logged = True  # type: ignore[attr-defined]  # one line per poll: ours
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    broker = broker_state()
    if not database_ok():
        return down(broker)
    try:
        worker, worker_age = worker_state()
        outbox_age = oldest_undelivered()
    except DatabaseError as exc:  # the database went away between the two reads
        logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        return down(broker)
    stale_outbox = outbox_age is not None and outbox_age > OUTBOX_STALE_AFTER.total_seconds()
    degraded = broker == "down" or worker in ("missing", "stale") or stale_outbox
    return JsonResponse(
        {
            "status": "degraded" if degraded else "ok",
            "database": "ok",
            "broker": broker,
            "worker": worker,
            "worker_seen_seconds_ago": worker_age,
            "outbox_oldest_seconds": outbox_age,
        }
    )
