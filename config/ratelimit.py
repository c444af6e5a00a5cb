"""A fixed-window rate limit in the cache (Redis in production), for actions that are not DRF
views alone: the export requests come from both the staff API and the exports page."""

from __future__ import annotations

import time

from django.core.cache import cache


def over_limit(key: str, *, limit: int, period: int) -> int | None:
    """Count one more action under ``key``; None while at most ``limit`` happened in the current
    ``period`` (seconds), else the seconds until the window ends."""
    now = int(time.time())
    window = now - now % period
    name = f"toxwatch:rate:{key}:{window}"
    cache.add(name, 0, timeout=period + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.add(name, 1, timeout=period + 5)
        count = 1
    return None if count <= limit else window + period - now
