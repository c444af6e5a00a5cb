"""Issue 13, "What was seen" 7 and 8: CSP without inline script, Permissions-Policy, no-store on
every answer with patient data; the deploy check refuses weak keys; export requests are limited."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from config.checks import production_settings
from diary.models import StaffRole
from tests.helpers import enroll, enrolled_client, make_clinic, make_staff, report, staff_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class Scripts(HTMLParser):
    """Inline script of a page: <script> without src, event-handler attributes, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            kind = found.get("type") or "text/javascript"
            executable = kind in {"text/javascript", "module", "application/javascript"}
            if executable and not found.get("src"):
                self.inline.append(f"<script> without src {found}")
        for name, _ in attrs:
            if name.startswith("on") or name == "style" or name.startswith("hx-on"):
                self.inline.append(f"<{tag} {name}=...>")


@pytest.fixture
def world():
    clinic = make_clinic("HDR")
    patient, _ = enroll(clinic, "zongertinib", subject_id="HDR-001")
    report(patient, {"diarrhea": {"stools_over_baseline": 5}})
    return {"clinic": clinic, "patient": patient, "alert": patient.alerts.get()}


def staff_pages(world) -> dict[str, str]:
    return {
        "queue": "/staff/",
        "queue fragment": "/staff/queue/",
        "alert": f"/staff/alerts/{world['alert'].pk}/",
        "patient": f"/staff/patients/{world['patient'].subject_id}/",
        "programme": "/staff/programme/",
        "two-factor": "/staff/account/two-factor/",
        "admin": "/admin/",
        "admin patients": "/admin/diary/patient/",
    }


def test_every_staff_page_has_a_csp_without_inline_script_and_no_store(world):
    from django.contrib.auth import get_user_model

    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    nurse.is_superuser = True
    nurse.save()
    client = staff_client(nurse)
    for name, url in staff_pages(world).items():
        answer = client.get(url)
        assert answer.status_code == 200, name
        csp = answer["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, name
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, name
        assert "camera=()" in answer["Permissions-Policy"], name
        assert "no-store" in answer["Cache-Control"], name
    assert get_user_model().objects.count() >= 1


def test_the_dashboard_pages_have_no_inline_script_or_style(world):
    client = staff_client(make_staff(world["clinic"], StaffRole.NURSE))
    for name, url in staff_pages(world).items():
        if url.startswith("/admin/"):
            continue  # Django's own templates
        parser = Scripts()
        parser.feed(client.get(url).content.decode())
        assert parser.inline == [], name


def test_htmx_is_told_to_add_no_inline_style_and_evaluate_nothing(world):
    page = staff_client(make_staff(world["clinic"])).get("/staff/").content.decode()
    assert '"includeIndicatorStyles": false' in page
    assert '"allowEval": false' in page


def test_the_sign_in_page_has_the_headers_too():
    answer = APIClient().get("/staff/login/")
    assert "script-src 'self'" in answer["Content-Security-Policy"]
    assert "no-store" in answer["Cache-Control"]


def test_every_api_answer_is_no_store_with_a_csp():
    _, client = enrolled_client(make_clinic("API"))
    for url in ("/api/v1/me/", "/api/v1/entries/", "/api/v1/questionnaires/due/"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert "no-store" in answer["Cache-Control"], url
        assert answer["Content-Security-Policy"].startswith("default-src 'none'")
    refused = APIClient().get("/api/v1/me/")
    assert "no-store" in refused["Cache-Control"]


def test_the_api_docs_page_loads_its_script_from_a_file(client):
    answer = client.get("/api/v1/docs/")
    assert answer.status_code == 200
    parser = Scripts()
    parser.feed(answer.content.decode())
    assert parser.inline == []
    assert "unsafe-inline" not in answer["Content-Security-Policy"]


# --- keys ------------------------------------------------------------------------------------

STRONG = "k3F#9xQ!mZ2@pL7$wR4^tY8&uI1*oP6(aS5)dG0-hJ+vB=nM_cX;eW:qT,rU.yN"


@pytest.mark.parametrize(
    "key",
    [
        "short-but-random-7Hq!",
        "a" * 64,
        "password" * 8,
        "django-insecure-" + STRONG,
    ],
)
def test_the_deploy_check_refuses_a_weak_secret_key(settings, key):
    settings.SECRET_KEY = key
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": key}
    ids = {error.id for error in production_settings(None)}
    assert "toxwatch.E005" in ids


def test_the_deploy_check_accepts_a_random_secret_key(settings):
    from django.core.management.utils import get_random_secret_key

    for _ in range(50):
        key = get_random_secret_key()
        settings.SECRET_KEY = key
        settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": key}
        ids = {error.id for error in production_settings(None)}
        assert not ids & {"toxwatch.E003", "toxwatch.E005", "toxwatch.E006"}


def test_the_deploy_check_refuses_a_weak_separate_signing_key(settings):
    settings.SECRET_KEY = STRONG
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "x" * 60}
    assert "toxwatch.E006" in {error.id for error in production_settings(None)}


def test_a_separate_signing_key_signs_the_patients_tokens():
    code = "from django.conf import settings; print(settings.SIMPLE_JWT['SIGNING_KEY'])"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TOXWATCH_JWT_SIGNING_KEY": "separate-" + STRONG,
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert run.stdout.strip() == "separate-" + STRONG


def test_a_weak_secret_key_fails_manage_py_check_deploy():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "too-short",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode != 0
    assert "toxwatch.E005" in run.stderr + run.stdout


# --- the export rate limit -------------------------------------------------------------------

EXPORT = {"format": "csv", "date_from": "2025-01-01", "date_to": "2025-01-31"}


def test_export_requests_are_limited_per_staff_member(settings, tmp_path):
    from clinicians.exports.models import Export

    settings.TOXWATCH_EXPORT_DIR = tmp_path
    settings.TOXWATCH_EXPORTS_PER_HOUR = 3
    clinic = make_clinic("EXP")
    manager = APIClient()
    manager.force_login(make_staff(clinic, StaffRole.DATA_MANAGER))
    statuses = [
        manager.post("/api/v1/staff/exports/", EXPORT, format="json").status_code for _ in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    refused = manager.post("/api/v1/staff/exports/", EXPORT, format="json")
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert Export.objects.count() == 3

    page = manager.post("/staff/exports/", {**EXPORT, "instruments": ["symptom_diary"]})
    assert page.status_code == 429
    assert Export.objects.count() == 3

    colleague = APIClient()
    colleague.force_login(make_staff(clinic, StaffRole.DATA_MANAGER))
    assert colleague.post("/api/v1/staff/exports/", EXPORT, format="json").status_code == 201
