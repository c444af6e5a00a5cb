"""The client's address: one notion for the throttles, django-axes and the logs.

Behind ``TOXWATCH_PROXY_COUNT`` reverse proxies, each proxy appends the address it received the
request from to ``X-Forwarded-For``; anything further left was written by the client and can be
anything. The client is therefore the entry the outermost trusted proxy appended: the
``TOXWATCH_PROXY_COUNT``-th from the right. With no proxy (the default) the header is ignored
and the address is the TCP peer (``REMOTE_ADDR``). A header with fewer entries than proxies
means a request that bypassed a proxy: its peer address is used, never the header.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

UNKNOWN = "unknown"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("toxwatch_client", default="-")


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request: Any) -> str:
    """The client's address for ``request`` (a Django or DRF request), from the proxy count."""
    meta = request.META
    peer = _valid(meta.get("REMOTE_ADDR") or "") or UNKNOWN
    proxies = settings.TOXWATCH_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return peer
    return _valid(forwarded[-proxies]) or peer


def axes_client_address(request: Any) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: django-axes counts failures per (username, this address).
    None when there is no address (a test's ``force_login``): axes stores addresses in an IP
    field, which refuses "unknown" on PostgreSQL."""
    address = client_address(request)
    return None if address == UNKNOWN else address


@sync_and_async_middleware
def client_address_middleware(
    get_response: Callable[[Any], Any],
) -> Callable[[Any], Any]:
    """Puts the client's address on the request (``request.client_address``) and on every log
    record written while it is handled (``%(client)s``, through ``ClientAddressFilter``)."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: Any) -> Any:
            token = _enter(request)
            try:
                return await get_response(request)
            finally:
                _current.reset(token)

        return async_middleware

    def middleware(request: Any) -> Any:
        token = _enter(request)
        try:
            return get_response(request)
        finally:
            _current.reset(token)

    return middleware


def _enter(request: Any) -> contextvars.Token[str]:
    request.client_address = client_address(request)
    return _current.set(request.client_address)


class ClientAddressFilter(logging.Filter):
    """Adds ``client`` (the address above, ``-`` outside a request) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a response after the middleware returned: it carries the request.
        request = getattr(record, "request", None)
        record.client = client_address(request) if hasattr(request, "META") else _current.get()
        return True
