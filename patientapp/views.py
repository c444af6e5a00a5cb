"""The patient web app at /app/: a shell page, its service worker, manifest and UI strings.

Everything the patient does goes through the mobile API (/api/v1/), like any native app; these
views only serve files. No inline script anywhere (a strict CSP is coming): the shell loads
static ES modules, and settings reach them as data attributes.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JSONCatalog

from diary.catalogue import LANGUAGES, supported_language

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static" / "patientapp"
# What the service worker keeps for offline use, besides the shell and the UI strings.
STATIC_FILES = (
    "patientapp/app.css",
    "patientapp/js/main.js",
    "patientapp/js/api.js",
    "patientapp/js/store.js",
    "patientapp/js/i18n.js",
    "patientapp/js/ui.js",
    "patientapp/js/diary.js",
    "patientapp/js/screens.js",
    "patientapp/js/charts.js",
    "patientapp/js/scan.js",
    "patientapp/icons/icon.svg",
    "patientapp/icons/icon-192.png",
    "patientapp/icons/icon-512.png",
)


@cache
def version() -> str:
    """Changes whenever a file the app is made of changes: a new service worker then
    replaces the cached files (the old cache is deleted on activation)."""
    digest = hashlib.sha256()
    for path in sorted([*STATIC_DIR.rglob("*"), *(APP_DIR / "templates").rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for lang in LANGUAGES:
        mo = APP_DIR / "locale" / translation.to_locale(lang) / "LC_MESSAGES" / "djangojs.mo"
        if mo.exists():
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:12]


def _html(request: HttpRequest) -> str:
    from django.template.loader import render_to_string

    return render_to_string(
        "patientapp/app.html",
        {
            "vapid_public_key": settings.TOXWATCH_VAPID_PUBLIC_KEY,
            "version": version(),
            "languages": [(code, name) for code, name in settings.LANGUAGES],
        },
        request=request,
    )


def static_urls() -> list[str]:
    """Each file's URL, and in production also its unhashed name: the hashed main.js imports
    its sibling modules by their plain names (``./api.js``), which WhiteNoise also serves."""
    plain = [f"/{settings.STATIC_URL.strip('/')}/{name}" for name in STATIC_FILES]
    return list(dict.fromkeys([*(static(name) for name in STATIC_FILES), *plain]))


@require_GET
@cache_control(no_cache=True)
def shell(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_html(request))


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    from django.template.loader import render_to_string

    body = render_to_string(
        "patientapp/sw.js",
        {
            "version": version(),
            "precache_json": json.dumps(
                [
                    "/app/",
                    "/app/manifest.webmanifest",
                    *[f"/app/i18n/{lang}.json" for lang in LANGUAGES],
                    *static_urls(),
                ]
            ),
            "icon": static("patientapp/icons/icon-192.png"),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/app/"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "name": "ToxWatch diary",
            "short_name": "ToxWatch",
            "description": "Your treatment diary: tell your care team how you are.",
            "id": "/app/",
            "start_url": "/app/",
            "scope": "/app/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5394",
            "icons": [
                {
                    "src": static("patientapp/icons/icon-192.png"),
                    "sizes": "192x192",
                    "type": "image/png",
                },
                {
                    "src": static("patientapp/icons/icon-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                },
                {
                    "src": static("patientapp/icons/icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                },
            ],
        }
    )
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def ui_strings(request: HttpRequest, lang: str) -> HttpResponseBase:
    """The app's own strings (djangojs domain) in one language, for offline use."""
    language = supported_language(lang) or "en"
    with translation.override(language):
        response = JSONCatalog.as_view(domain="djangojs", packages=["patientapp"])(request)
    response["Content-Language"] = language
    return response
