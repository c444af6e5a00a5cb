"""GET /healthz: is the database taking entries, and can notifications reach the broker?"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "not taking entries"
        logger.exception("health check: database unreachable")
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


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    if not database_ok():
        return JsonResponse(
            {"status": "down", "database": "down", "broker": broker_state()}, status=503
        )
    broker = broker_state()
    return JsonResponse(
        {"status": "ok" if broker != "down" else "degraded", "database": "ok", "broker": broker}
    )
