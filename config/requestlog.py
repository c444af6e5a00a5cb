"""One log line per request, and Django's slash redirect that cannot fail.

``request_log_middleware`` writes the access line: method, path (never the query string: a
patient search may hold a name), status and time taken. ``DropExpected`` keeps Django's own
``django.request`` records only for what needs a traceback (an unhandled exception): an expected
4xx, such as a nurse's 403 on Exports, was logged twice, once with a traceback (issue 15). The
filter lives in config.logfilters: logging is configured before the apps are loaded.

``CommonMiddleware`` is Django's, except that a POST (or PUT, PATCH, DELETE) to an address without
its trailing slash is a 404 that names the right address, in the API's error shape under /api/.
Django redirects GET and HEAD; it cannot redirect a body, and with DEBUG on it raised a
RuntimeError, a 500 page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware import common

from config.api import error_body

logger = logging.getLogger("toxwatch.request")


def request_log_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = get_response(request)
        logger.info(
            "%s %s %s %.0fms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    return middleware


class CommonMiddleware(common.CommonMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            response.status_code == 404
            and request.method not in ("GET", "HEAD")
            and self.should_redirect_with_slash(request)
        ):
            path = f"{request.path}/"
            message = f"No such address. Send it to {path} (with the trailing slash)."
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("not_found", message), status=404)
            from config.views import not_found

            return not_found(request)
        return super().process_response(request, response)
