"""A NUL character in the address is refused before any view sees it.

PostgreSQL text cannot hold a NUL (0x00): a query parameter or path segment carrying one, put
into a query, made psycopg raise and the request answer 500 (CI's schemathesis run found
``/api/v1/questionnaires/trends/?instrument=%00``). No valid value holds one, so this answers
at the door: a NUL in the path is a 404 (no such address), one in the query string a 400 that
names the parameter, in the API's error shape under /api/ and as the dashboard's page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api import error_body
from config.views import bad_request, not_found

NUL = "\x00"
MESSAGE = "Remove the NUL character (\\x00)."


def reject_nul_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            return not_found(request)
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or NUL in query:
            fields = {
                name: [MESSAGE]
                for name, values in request.GET.lists()
                if NUL in name or any(NUL in value for value in values)
            }
            if fields:
                if request.path.startswith("/api/"):
                    body = error_body("invalid", "Check the address's parameters.", fields)
                    return JsonResponse(body, status=400)
                return bad_request(request)
        return get_response(request)

    return middleware
