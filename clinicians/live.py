"""The live queue: Server-Sent Events telling a nurse's open dashboard that alerts changed.

`stream` is an async view (served over ASGI, docs/decisions.md) that sends the caller's clinic's
`DashboardPush` rows (alerts.live) as events whose ``id`` is the push id, so the browser's
``Last-Event-ID`` (or ``?after=``) resumes exactly where it stopped. The database is the source
of truth: the stream only ever sends rows it read from the table. With Redis it sleeps until a
push is announced on the clinic's channel (and re-reads the table at each heartbeat, in case a
message was lost); without Redis (the SQLite demo) it polls the table every second. Between
reads it holds no database connection, so a page left open all day costs nothing.

An event carries ids, the level and what happened; the page re-fetches its queue to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

from alerts.live import channel_for
from alerts.models import DashboardPush
from clinicians.access import Can, needs_second_step, staff_for

logger = logging.getLogger(__name__)

RETRY_MS = 3000  # the browser reconnects 3 s after losing the stream
HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
POLL_SECONDS = 1.0  # without Redis
REDIS_RETRY_SECONDS = 5.0  # after losing Redis: poll meanwhile, then subscribe again
BACKLOG = 200  # at most this many missed pushes are replayed; more is a "resync"
# A push id is taken when its row is inserted, but the row is seen when it commits: a push can
# appear after one with a higher id was sent. Ids sent in the last few seconds are re-read.
LATE_COMMIT_SECONDS = 10.0


async def stream(request: HttpRequest) -> HttpResponseBase:
    clinic_id = await sync_to_async(_clinic_of)(request)
    if clinic_id is None:
        return HttpResponse(
            "The live queue is for clinic staff.", status=403, content_type="text/plain"
        )
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or None
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        return HttpResponseBadRequest("after: give the id of the last event received.")
    after = int(raw) if raw is not None else None
    response = StreamingHttpResponse(
        events(clinic_id=clinic_id, after=after), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _clinic_of(request: HttpRequest) -> int | None:
    """The caller's clinic, for a staff member allowed to view the queue (both sign-in steps
    done); else None. A 403 rather than the pages' redirect: EventSource cannot follow one."""
    try:
        if not request.user.is_authenticated or needs_second_step(request.user):
            return None
        staff = staff_for(request)
        return staff.member.clinic_id if staff is not None and staff.can(Can.VIEW) else None
    finally:
        _release_connection()  # the request lasts as long as the stream: do not hold it


# --- the event stream -----------------------------------------------------------------------


async def events(*, clinic_id: int, after: int | None) -> AsyncIterator[str]:
    """The stream's body: replay what was missed after `after`, then follow new pushes."""
    waker = RedisWaker(channel_for(clinic_id)) if settings.REDIS_URL else PollWaker()
    try:
        await waker.start()  # subscribed before the first read: no push falls in between
        latest = await _read_latest(clinic_id)
        resync = after is not None and (
            # Too much to replay, or an id this database never gave: the page re-reads it all.
            after > latest or await _missed_over(clinic_id, after, BACKLOG)
        )
        # A new page has just rendered its queue: it follows from the latest push.
        cursor = Cursor(latest if after is None or resync else after)
        yield f"retry: {RETRY_MS}\n\n"
        if resync:
            yield format_event(latest, "resync", {})
        beat = time.monotonic() + HEARTBEAT_SECONDS
        while True:
            for push in await _read_after(clinic_id, *cursor.window(), BACKLOG + 1):
                cursor.sent(push["pk"])
                data = {"alert": push["alert_id"], "level": push["level"]}
                yield format_event(push["pk"], "alert", {**data, "reason": push["reason"]})
            await waker.wait(max(0.0, beat - time.monotonic()))
            if time.monotonic() >= beat:
                beat = time.monotonic() + HEARTBEAT_SECONDS
                yield ": heartbeat\n\n"
    finally:
        await waker.close()


def format_event(push_id: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {push_id}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class Cursor:
    """Where a stream is: the pushes to read next are those above `floor` not yet sent.

    `floor` trails the highest id sent by LATE_COMMIT_SECONDS, so a push that commits after
    a higher one was sent is still found; `recent` stops it from being sent twice.
    """

    def __init__(self, last: int, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.floor = last
        self.recent: dict[int, float] = {}

    def sent(self, push_id: int) -> None:
        self.recent[push_id] = self.clock()

    def window(self) -> tuple[int, tuple[int, ...]]:
        """The floor and the ids above it already sent."""
        settled = self.clock() - LATE_COMMIT_SECONDS
        for push_id, at in list(self.recent.items()):
            if at <= settled:
                self.floor = max(self.floor, push_id)
                del self.recent[push_id]
        return self.floor, tuple(pk for pk in self.recent if pk > self.floor)


def _released[**P, R](function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run a read in a worker thread and give its database connection back afterwards."""

    def read(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        finally:
            _release_connection()

    return sync_to_async(read, thread_sensitive=False)


def _release_connection() -> None:
    """Close this thread's connection (back to the pool, with DJANGO_DB_POOL), unless a caller's
    transaction holds it (as a test's does)."""
    if not connection.in_atomic_block:
        connection.close()


@_released
def _read_after(
    clinic_id: int, floor: int, exclude: tuple[int, ...], limit: int
) -> list[dict[str, Any]]:
    pushes = DashboardPush.objects.filter(clinic_id=clinic_id, pk__gt=floor)
    if exclude:
        pushes = pushes.exclude(pk__in=exclude)
    rows = pushes.order_by("pk").values("pk", "alert_id", "level", "reason")[:limit]
    return [dict(row) for row in rows]


@_released
def _missed_over(clinic_id: int, after: int, count: int) -> bool:
    pushes = DashboardPush.objects.filter(clinic_id=clinic_id, pk__gt=after).order_by("pk")
    return pushes[count : count + 1].exists()


@_released
def _read_latest(clinic_id: int) -> int:
    latest = (
        DashboardPush.objects.filter(clinic_id=clinic_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


# --- waking up ------------------------------------------------------------------------------


class PollWaker:
    """Without Redis: read the table again every POLL_SECONDS."""

    async def start(self) -> None:
        pass

    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(min(timeout, POLL_SECONDS))

    async def close(self) -> None:
        pass


class RedisWaker:
    """With Redis: sleep until a push is announced on the clinic's channel (alerts.live). If
    Redis is lost, poll the table meanwhile and subscribe again every REDIS_RETRY_SECONDS."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.client: redis.asyncio.Redis | None = None
        self.pubsub: Any = None
        self.retry_at = 0.0

    async def start(self) -> None:
        self.retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        try:
            self.client = redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
            self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            await self.pubsub.subscribe(self.channel)
        except (redis.RedisError, OSError) as exc:
            logger.warning("live stream polls: Redis unavailable (%s)", type(exc).__name__)
            await self.close()

    async def wait(self, timeout: float) -> None:
        if self.pubsub is None:
            if time.monotonic() >= self.retry_at:
                await self.start()
            if self.pubsub is None:
                await asyncio.sleep(min(timeout, POLL_SECONDS))
                return
        try:
            message = await self.pubsub.get_message(timeout=timeout)
            while message is not None:  # a burst of pushes is one read
                message = await self.pubsub.get_message(timeout=0)
        except (redis.RedisError, OSError) as exc:
            logger.warning("live stream polls: Redis lost (%s)", type(exc).__name__)
            await self.close()
            self.retry_at = time.monotonic() + REDIS_RETRY_SECONDS

    async def close(self) -> None:
        pubsub, client, self.pubsub, self.client = self.pubsub, self.client, None, None
        for resource in (pubsub, client):
            if resource is not None:
                with contextlib.suppress(redis.RedisError, OSError):
                    await resource.aclose()
