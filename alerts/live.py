"""Dashboard pushes: the rows that tell an open nurse dashboard its queue changed.

Two writers record `DashboardPush` rows, each after its change has committed:
- the dashboard notification channel (`alerts.notify.DashboardBackend`, run by the Celery
  delivery task): new and raised alerts;
- `push_change`, hooked on the audit trail (`alerts.delivery.record_event`): every other change
  to an alert (acknowledged, assigned, escalated, resolved, new evidence, a call or note logged), so
  the other nurses' queues follow.

The database is the source of truth: the live stream (`clinicians.live`) reads these rows.
With Redis, `announce` also publishes the push id on a per-clinic channel, which only wakes the
streams sooner; a lost message costs a few seconds, never an event. Rows and messages carry
ids, the level and what happened, never patient data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import partial

import redis
from django.conf import settings
from django.db import connections, transaction
from redis.backoff import NoBackoff
from redis.retry import Retry

from alerts.models import AlertEvent, DashboardPush, EventType

logger = logging.getLogger(__name__)

# These audit events come with a dashboard notification (alerts.delivery.queue_notifications),
# which pushes them once delivered: the Celery notification task is what announces a new or
# raised alert.
NOTIFIED_EVENTS = frozenset({EventType.OPENED, EventType.LEVEL_RAISED})

_clients: dict[str, redis.Redis] = {}


def channel_for(clinic_id: int) -> str:
    """The clinic's pub/sub channel. Pub/sub ignores Redis database numbers, so the name
    carries the database's: two deployments (or test runs) sharing a Redis never wake each
    other."""
    database = connections["default"].settings_dict["NAME"]
    return f"toxwatch:live:{database}:{clinic_id}"


def push_change_on_commit(event: AlertEvent) -> None:
    """Push `event` to the clinic's dashboards once its transaction commits (never on
    rollback). Called for every audit event; the notified ones are left to their notification."""
    push_changes_on_commit([event])


def push_changes_on_commit(events: Sequence[AlertEvent]) -> None:
    """`push_change_on_commit` for many events (one call of the alert pipeline wrote them): one
    after-commit callback, a few queries whatever their number (`push_changes`)."""
    ids = [event.pk for event in events if event.type not in NOTIFIED_EVENTS]
    if ids:
        transaction.on_commit(partial(push_changes, event_ids=ids), robust=True)


def push_changes(*, event_ids: Sequence[int]) -> list[DashboardPush]:
    """Record the pushes of audit events and announce them, in three queries whatever their
    number: read the events, insert their pushes in one statement (keys ``event-<id>``: a push
    already made is skipped, so this is idempotent), read the pushes back for their ids
    (PostgreSQL returns none when conflicts are ignored) and announce them. Returns the events'
    pushes."""
    rows = (
        AlertEvent.objects.filter(pk__in=event_ids)
        .order_by("pk")
        .values("pk", "alert_id", "type", "alert__level", "alert__clinic_id")
    )
    pushes = [
        DashboardPush(
            key=f"event-{row['pk']}",
            clinic_id=row["alert__clinic_id"],
            alert_id=row["alert_id"],
            level=row["alert__level"],
            reason=row["type"],
        )
        for row in rows
    ]
    if not pushes:
        return []
    DashboardPush.objects.bulk_create(pushes, ignore_conflicts=True)
    stored = list(DashboardPush.objects.filter(key__in=[p.key for p in pushes]).order_by("pk"))
    for push in stored:
        announce(push)  # a wake-up: announcing a push twice costs a re-read, nothing more
    return stored


def announce(push: DashboardPush) -> None:
    """Once the push row has committed, wake the clinic's streams (with Redis; without it they
    poll the table). Best effort: the streams also re-read the table every few seconds."""
    if settings.REDIS_URL:
        transaction.on_commit(
            partial(_publish, channel=channel_for(push.clinic_id), push_id=push.pk), robust=True
        )


# After a failed announcement, none is tried for this long (the streams poll meanwhile): a
# request that raised several alerts waits out one timeout, not one per push (issue 12) [D].
SKIP_AFTER_FAILURE = 5.0
_down_until = 0.0


def _publish(*, channel: str, push_id: int) -> None:
    global _down_until
    if time.monotonic() < _down_until:
        return
    try:
        _client(settings.REDIS_URL).publish(channel, str(push_id))
    except redis.RedisError as exc:
        _down_until = time.monotonic() + SKIP_AFTER_FAILURE
        logger.warning("live push not announced push_id=%s: %s", push_id, type(exc).__name__)


def _client(url: str) -> redis.Redis:
    # Fail fast: a nurse's action or a delivery task must never wait on a Redis outage (no
    # retries: redis-py's default would wait out the timeout four times).
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
    return _clients[url]
