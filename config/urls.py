from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csp import csp_override
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.health import healthz
from config.root import ApiRootView, home

# Swagger UI and ReDoc come from drf-spectacular-sidecar on this server, never a CDN; Swagger's
# set-up script is a separate file (the split view), and ReDoc's page has no inline script
# (templates/drf_spectacular/redoc.html). ReDoc injects its styles and runs a blob: worker.
API_DOCS_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}
REDOC_CSP = {
    **API_DOCS_CSP,
    "style-src": ["'self'", "'unsafe-inline'"],
    "worker-src": ["'self'", "blob:"],
    "font-src": ["'self'", "data:"],
}

api_v1: list[URLPattern | URLResolver] = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("diary.urls")),
    path("staff/exports/", include("clinicians.exports.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_override(API_DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_override(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema")),
        name="api-redoc",
    ),
]

urlpatterns = [
    path("", home, name="home"),
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
handler403 = "config.views.forbidden"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
