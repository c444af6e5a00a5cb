from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csp import csp_override
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz

SWAGGER_CDN = "https://cdn.jsdelivr.net"
API_DOCS_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'", SWAGGER_CDN],
    "style-src": ["'self'", SWAGGER_CDN],
    "img-src": ["'self'", "data:", SWAGGER_CDN],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}

api_v1: list[URLPattern | URLResolver] = [
    path("", include("diary.urls")),
    path("staff/exports/", include("clinicians.exports.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The Swagger UI comes from its CDN; its set-up script is a separate file (the split view).
    path(
        "docs/",
        csp_override(API_DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("staff/", include("clinicians.urls")),
    # The patient web app (PWA): static ES modules over the mobile API (issue 16).
    path("app/", include("patientapp.urls")),
    # One staff sign-in (password, lockout, optional TOTP step) for the dashboard and the admin.
    path("admin/login/", RedirectView.as_view(pattern_name="clinicians:login", query_string=True)),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
