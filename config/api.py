"""The API's one error shape, and the pieces every endpoint shares.

Every error body is ``{"code": ..., "message": ..., "fields": {...}}`` (../shared/api.md, Errors),
with nested serializer errors flattened to dotted paths such as
``symptoms.diarrhea.stools_over_baseline`` or ``entries.3.recorded_at``.
"""

from __future__ import annotations

import codecs
import logging
from typing import Any

import msgspec
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, parsers, status, throttling
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.client import client_address

logger = logging.getLogger(__name__)

DEFAULT_MESSAGES = {
    "invalid": "Check the highlighted answers.",
    "parse_error": "The request body is not valid JSON.",
    "not_authenticated": "Sign in to continue.",
    "authentication_failed": "Your session has expired or is not valid. Sign in again.",
    "permission_denied": "You do not have access to this.",
    "not_found": "Not found.",
    "method_not_allowed": "This method is not allowed here.",
    "not_acceptable": "This endpoint answers in JSON only.",
    "unsupported_media_type": "Send the body as application/json.",
    "throttled": "Too many requests. Try again in a moment.",
    "too_large": "The request body is too large.",
    "second_step_required": "Finish signing in with the code from your authenticator app.",
    "unavailable": "ToxWatch is briefly unavailable. Try again in a moment.",
    "busy": "This could not be stored just now. Send it again in a moment.",
}

# Seconds a client should wait before retrying after a 503 [D]: the database unreachable, or a
# write that lost a race it cannot win by itself (D68).
RETRY_AFTER_UNAVAILABLE = 5
RETRY_AFTER_BUSY = 1

# Deeper than any body the API accepts (a batch of entries is 5 levels): a limit well below
# Python's recursion limit, so neither the parser nor a serializer ever recurses far [D].
MAX_JSON_DEPTH = 20


class ApiError(exceptions.APIException):
    """An error with a stable machine-readable code, a message and optional field errors."""

    def __init__(
        self,
        *,
        code: str,
        message: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.fields = fields or {}


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle, keyed by config.client's address (the trusted proxy count), never
    by an X-Forwarded-For the client wrote."""

    def get_ident(self, request: Any) -> str:
        return client_address(request)


class Unavailable(ApiError):
    """503 with Retry-After (DRF sets the header from ``wait``): nothing was stored, and the same
    request may be sent again (entries and responses are idempotent by their ids)."""

    def __init__(self, code: str = "unavailable", wait: int = RETRY_AFTER_UNAVAILABLE) -> None:
        super().__init__(
            code=code,
            message=DEFAULT_MESSAGES[code],
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        self.wait = wait


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (not a bug in a query: those
    are ProgrammingError, DataError or IntegrityError)."""
    return isinstance(exc, OperationalError | InterfaceError)


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = DEFAULT_MESSAGES["too_large"]


def _check_depth(value: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH, iteratively (a hostile body cannot exhaust the
    stack here either). msgspec has already refused what ``_check_parsed`` also looks for."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError()
        children = item.values() if type(item) is dict else item
        stack.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)


_CONTAINERS = (dict, list)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, bounded and decoded by msgspec: at most DATA_UPLOAD_MAX_MEMORY_SIZE
    bytes (else 413), and any body that cannot be parsed or nests deeper than MAX_JSON_DEPTH is
    a 400 ``parse_error``.

    msgspec refuses what Python's json module lets through but nothing downstream can handle
    (NaN and Infinity, numbers out of float range such as ``1e400``, invalid UTF-8 and lone
    surrogates) and decodes about three times faster (D86). DRF reads the body as a stream, past
    Django's own size check (which only guards ``request.body``)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise TooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            if codecs.lookup(encoding).name != "utf-8":
                raw = raw.decode(encoding)  # msgspec reads UTF-8 bytes, or str
            data = msgspec.json.decode(raw)
        except (ValueError, LookupError, RecursionError, msgspec.DecodeError):
            raise exceptions.ParseError() from None
        if type(data) in _CONTAINERS:
            _check_depth(data)
        return data


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"dotted.path": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for sub_path, messages in flatten_errors(value, path).items():
                out.setdefault(sub_path, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out.setdefault(prefix, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if not item:
                    continue
                path = f"{prefix}.{index}" if prefix else str(index)
                for sub_path, messages in flatten_errors(item, path).items():
                    out.setdefault(sub_path, []).extend(messages)
    elif detail:
        out.setdefault(prefix, []).append(str(detail))
    return out


def error_body(code: str, message: str | None = None, fields: dict[str, list[str]] | None = None):
    return {
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(code, "The request could not be completed."),
        "fields": fields or {},
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = TooLarge()
    elif database_unavailable(exc):
        # One line, no traceback: an outage is not a bug, and every request would log one.
        logger.warning("database unavailable: %s; answered 503", type(exc).__name__)
        exc = Unavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django answers 500 and logs it

    if isinstance(exc, Unavailable):
        response._has_been_logged = True  # type: ignore[attr-defined]  # logged above or by the caller
    if isinstance(exc, ApiError):
        response.data = error_body(exc.error_code, exc.message, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", fields=flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = str(exc.detail) if isinstance(exc.detail, str) else None
        if isinstance(exc, exceptions.ParseError):
            code, message = "parse_error", None
        if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            # simplejwt's token errors carry a nested detail: keep the answer short and stable.
            message = None
            code = code if code in DEFAULT_MESSAGES else "authentication_failed"
        response.data = error_body(str(code), message)
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found"), status=404)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body("too_large"), status=413)
    return JsonResponse(error_body("bad_request", "The request could not be read."), status=400)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side. Try again later."),
        status=500,
    )


LOCKED_OUT_MESSAGE = (
    "Too many failed sign-ins. Wait 15 minutes, or ask your care team to unlock your account."
)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> Any:
    """django-axes' answer to a locked-out sign-in: the one error shape under /api/, the staff
    sign-in page with the lockout explained elsewhere."""
    from django.conf import settings
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("locked_out", LOCKED_OUT_MESSAGE), status=429)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many failed sign-ins for this account. Sign-in is locked for {minutes} minutes; "
        "try again after that, or ask an administrator to unlock the account."
    )
    return render(request, "clinicians/locked_out.html", {"locked_out": message}, status=429)
