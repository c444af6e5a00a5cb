"""Error pages: JSON in the one error shape under /api/, the dashboard's own pages elsewhere
(a way back, in the dashboard's look, never Django's bare "403 Forbidden")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.exceptions import TemplateDoesNotExist
from django.views import defaults

from config.api import error_body, json_bad_request, json_not_found, json_server_error


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request,
        "clinicians/error.html",
        {"title": title, "text": text, "status": status},
        status=status,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return json_not_found(request, exception)
    return _page(
        request,
        404,
        "Page not found",
        "There is no page at this address. It may have moved, or the link may be mistyped.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else ""
    if _api(request):
        return JsonResponse(error_body("permission_denied"), status=403)
    return _page(
        request,
        403,
        "Not available to your role",
        message or "You do not have access to this page.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF check failed: the form was open too long, or cookies are blocked."""
    if _api(request):
        return JsonResponse(
            error_body("csrf_failed", "The request's CSRF token is missing or out of date."),
            status=403,
        )
    return _page(
        request,
        403,
        "Please try again",
        "This form was open for too long or your browser blocked its cookie. Go back, reload the "
        "page and send it again.",
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return json_server_error(request)
    try:
        # No request context: a broken database or context processor must not fail the page.
        from django.template.loader import render_to_string

        html = render_to_string(
            "clinicians/error.html",
            {
                "title": "Something went wrong",
                "text": "This page failed on our side and the error was logged. Try again in a "
                "moment; for an urgent patient matter use the phone.",
                "status": 500,
            },
        )
    except TemplateDoesNotExist:  # pragma: no cover - the template ships with the code
        return defaults.server_error(request)
    return HttpResponse(html, status=500)
