"""The Django cache on Redis, degrading to no cache when Redis is down or frozen (D66).

Nothing the cache holds is the truth: throttle counts and rate-limit windows only. So a Redis
outage must never fail or slow a request: every call has short connect and read timeouts and
no retries, a connection error answers as an empty cache would (a read misses, a write is
dropped, a counter counts from one: the throttles fail open), and after one failure the cache
is skipped for a few seconds, so a request during an outage waits at most one timeout, and
most wait none. One log line per outage, not one per call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# [D] Short enough that a frozen Redis costs a request at most about a fifth of a second.
CONNECT_TIMEOUT = 0.2
READ_TIMEOUT = 0.2
# After a failure the cache is skipped this long before it is tried again [D].
SKIP_AFTER_FAILURE = 5.0


def redis_options() -> dict[str, Any]:
    """The connection pool's options: short timeouts, no retries (a retry only doubles the
    wait of a request during an outage)."""
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": READ_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }


class DegradingRedisCache(RedisCache):
    """Django's Redis cache that answers as an empty cache while Redis is unreachable."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**redis_options(), **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = self.available
            self._down_until = time.monotonic() + SKIP_AFTER_FAILURE
        if first:  # one line when an outage starts, not one per call
            logger.warning(
                "cache unavailable (%s on %s): running without it for %g s",
                type(exc).__name__,
                operation,
                SKIP_AFTER_FAILURE,
            )

    def _call(self, operation: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.available:
            return default
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except RedisError as exc:
            self._failed(operation, exc)
            return default

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("add", False, key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", default, key, default, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._call("set", None, key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("touch", False, key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._call("delete", False, key, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._call("get_many", {}, keys, version)

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._call("has_key", False, key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        # A counter that cannot be read counts this one action: a limit fails open.
        return self._call("incr", delta, key, delta, version)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("set_many", [], data, timeout, version)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._call("delete_many", None, keys, version)

    def clear(self) -> Any:
        return self._call("clear", False)
