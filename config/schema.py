"""OpenAPI pieces drf-spectacular cannot infer (registered when the project app is ready)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """The staff API's sign-in: the dashboard's session cookie, both steps passed (D45)."""

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
