"""503 with Retry-After, one log line and no traceback, when the database is unreachable
(D68). The API's views answer it through config.api.exception_handler; this middleware answers
it for every other view (staff pages, the admin), which would otherwise log a traceback per
request and answer 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api import RETRY_AFTER_UNAVAILABLE, database_unavailable, error_body

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        logger.warning("database unavailable: %s; answered 503", type(exception).__name__)
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("unavailable"), status=503)
        else:
            response = HttpResponse(
                "ToxWatch is briefly unavailable. Try again in a moment.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        response._has_been_logged = True  # type: ignore[attr-defined]  # the line above
        return response
