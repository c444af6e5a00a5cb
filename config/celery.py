"""The Celery app. Without REDIS_URL tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os
from functools import wraps
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("toxwatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def reconnect_promptly(**kwargs: Any) -> None:
    """In the worker and beat: retry a lost broker connection every few seconds at most,
    instead of kombu's intervals growing to 30 s, so that the outbox drains within seconds of
    the broker's return (D69). The web processes publish without retries (settings)."""
    import kombu.connection
    from django.conf import settings

    connection = kombu.connection.Connection
    if getattr(connection.ensure_connection, "toxwatch_prompt", False):
        return
    original = connection.ensure_connection
    interval_max = settings.TOXWATCH_BROKER_RECONNECT_MAX

    @wraps(original)
    def ensure_connection(self: Any, *args: Any, **options: Any) -> Any:
        options["interval_start"] = min(options.get("interval_start", 2), interval_max)
        options["interval_step"] = min(options.get("interval_step", 2), interval_max)
        options["interval_max"] = min(options.get("interval_max", 30), interval_max)
        return original(self, *args, **options)

    ensure_connection.toxwatch_prompt = True  # type: ignore[attr-defined]
    connection.ensure_connection = ensure_connection  # type: ignore[method-assign]


def drain_when_ready(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts (after a crash, a deploy or an outage) drains the outbox at once."""
    from alerts.tasks import drain_outbox_task

    try:
        drain_outbox_task.delay()
    except Exception:  # the broker went away again: beat's next tick does it
        return


worker_init.connect(reconnect_promptly, weak=False)
beat_init.connect(reconnect_promptly, weak=False)
worker_ready.connect(drain_when_ready, weak=False)
