"""The files of the patient web app (/app/): a shell with no inline script (a strict CSP is
coming), a service worker that keeps every file the app needs offline, an installable manifest,
and every string the app shows translated into Spanish and Simplified Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from patientapp import views

pytestmark = pytest.mark.django_db

JS_DIR = Path(views.STATIC_DIR) / "js"


def test_the_shell_loads_only_static_modules_and_has_no_inline_script_or_handler():
    response = Client().get("/app/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the app's module is loaded"
    for attrs, body in scripts:
        assert 'type="module"' in attrs and "src=" in attrs
        assert body.strip() == ""
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    assert "style=" not in html
    assert 'rel="manifest"' in html


def test_the_js_never_parses_html_strings_or_evaluates_code():
    for path in JS_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert banned not in source, (path.name, banned)


def test_the_service_worker_is_scoped_to_the_app_and_keeps_every_file_it_needs():
    client = Client()
    response = client.get("/app/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    body = response.content.decode()
    assert f'const VERSION = "{views.version()}"' in body
    precached = re.search(r"const PRECACHE = (\[.*?\]);", body)
    assert precached is not None
    urls = re.findall(r'"([^"]+)"', precached.group(1))
    modules = {f"patientapp/js/{p.name}" for p in JS_DIR.glob("*.js")}
    assert modules <= set(views.STATIC_FILES), "every module is kept offline"
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:
            assert client.get(url).status_code == 200, url


def test_the_manifest_makes_the_app_installable():
    data = Client().get("/app/manifest.webmanifest").json()
    assert data["start_url"] == "/app/" and data["scope"] == "/app/"
    assert data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def js_strings() -> set[str]:
    found: set[str] = set()
    for path in JS_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\bgettext\(\s*"((?:[^"\\]|\\.)*)"', source))
        found |= set(re.findall(r'\bngettext\(\s*"((?:[^"\\]|\\.)*)"', source))
    return found


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_every_string_the_app_shows_is_translated(language):
    strings = js_strings()
    assert len(strings) > 50
    catalog = Client().get(f"/app/i18n/{language}.json").json()["catalog"]
    missing = sorted(s for s in strings if not catalog.get(s))
    assert missing == []


def test_an_unknown_language_gets_the_english_strings():
    response = Client().get("/app/i18n/klingon.json")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert response.json()["catalog"] == {}
