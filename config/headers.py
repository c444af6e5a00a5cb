"""Response headers every answer carries: Permissions-Policy, and no caching of anything that may
hold patient data (the Content-Security-Policy is Django's middleware, settings.SECURE_CSP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.utils.cache import patch_cache_control
from django.utils.decorators import sync_and_async_middleware

# The dashboard uses none of these; desktop notifications are asked for by the page itself.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
)


def _finish(response: Any) -> Any:
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if "Cache-Control" not in response:
        # Pages and API answers hold patient data: never kept by a browser or a proxy. Views
        # that choose otherwise set their own (the live stream: no-cache).
        patch_cache_control(response, no_store=True, private=True)
    return response


@sync_and_async_middleware
def security_headers(get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Static files never reach it: WhiteNoise answers them before (production), and the ASGI
    static handler in development."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: Any) -> Any:
            return _finish(await get_response(request))

        return async_middleware

    def middleware(request: Any) -> Any:
        return _finish(get_response(request))

    return middleware
