"""OpenAPI pieces drf-spectacular cannot infer (registered when the project app is ready).

``AutoSchema`` documents the error answers every operation can give, each in the one error
shape (``Error``), so that the schema says what the server does (checked by schemathesis in
.ci/run): 400 for a body or query that is not valid, 413 for a body over the limit, 415 for one
that is not JSON, 401 and 403 where a caller must be signed in, 404 where the path names an
object or the list pages by cursor, 429 where a throttle applies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer):
    """The one error shape (../shared/api.md, Errors)."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `invalid`.")
    message = serializers.CharField(help_text="For people, in plain words.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the contract's field name
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Dotted path of a field -> what is wrong with it ('' for the whole body).",
    )

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`invalid`, with the fields) or a body that is not JSON (`parse_error`).",
    "401": "Not signed in, or the sign-in has expired (`not_authenticated`, "
    "`authentication_failed`, `second_step_required` for staff).",
    "403": "Signed in, but this caller may not do this (`not_a_patient`, `permission_denied`).",
    "404": "Not found, or not yours (`not_found`).",
    "413": "The body is too large (`too_large`).",
    "415": "The body is not JSON (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`, or `locked_out` after failed sign-ins).",
    "503": "Briefly unavailable: the database is unreachable (`unavailable`) or a write lost a "
    "race (`busy`); nothing was stored. Send the same request again after `Retry-After` seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[str]:
        view = self.view
        codes: set[str] = set()
        if self.method != "GET" and self.get_request_serializer() is not None:
            codes |= {"400", "413", "415"}
        if self.method == "GET" and any(p["in"] == "query" for p in self._get_parameters()):
            codes.add("400")
        if "{" in self.path or self._get_paginator() is not None:
            codes.add("404")  # an unknown object, or a cursor that is not one of ours
        if not all(isinstance(p, permissions.AllowAny) for p in view.get_permissions()):
            codes |= {"401", "403"}
        if view.get_throttles():
            codes.add("429")
        codes.add("503")  # any view, while the database is unreachable (D68)
        return sorted(codes)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        from diary.serializers import StrictSerializer

        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # an unknown field is an error (D6)
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                description = response.get("description") or ERROR_DESCRIPTIONS.get(code, "")
                responses[code] = {**body, "description": description}
        return dict(sorted(responses.items()))


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """The staff API's sign-in: the dashboard's session cookie, both steps passed (D60)."""

    target_class = "diary.access.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The staff dashboard's session, signed in with both steps; "
            "writes also need the CSRF token (X-CSRFToken).",
        }
