"""Issue 15's papercuts, each as a new nurse, data manager or clinic IT person met it: the export
form's dates, the bare error pages, the 404 at / and /api/v1/, the API docs from a CDN, the 500 for
a POST without its trailing slash, the doubled request logs, seed_demo touching a patient enrolled
by hand, and the printed URLs that ignored the serving address."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from diary.models import EnrollmentCode, Patient, StaffRole
from tests.helpers import enroll, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("AAA")


def test_the_export_form_prefills_dates_the_browser_date_field_takes(clinic):
    page = staff_client(make_staff(clinic, StaffRole.DATA_MANAGER)).get("/staff/exports/")
    html = page.content.decode()
    values = dict(re.findall(r'<input type="date" name="(date_\w+)" value="([^"]*)"', html))
    # <input type=date> takes only YYYY-MM-DD; "01/12/2026" is dropped and the field left empty.
    assert set(values) == {"date_from", "date_to"}
    for value in values.values():
        assert date.fromisoformat(value), value


def test_the_exports_list_names_its_sources(clinic):
    from clinicians.exports.models import Export

    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    Export.objects.create(
        clinic=clinic,
        requested_by=manager,
        format="csv",
        date_from=date(2026, 11, 1),
        date_to=date(2026, 11, 30),
        instruments=["symptom_diary", "qlq_c30"],
    )
    html = staff_client(manager).get("/staff/exports/").content.decode()
    assert "EORTC QLQ-C30" in html and "Symptom diary" in html
    assert "qlq_c30" not in html.split("<table>")[1]


def test_a_nurse_opening_exports_gets_a_page_that_says_why_with_a_way_back(clinic):
    answer = staff_client(make_staff(clinic, StaffRole.NURSE)).get("/staff/exports/")
    assert answer.status_code == 403
    html = answer.content.decode()
    assert "site-header" in html  # the dashboard's look, not Django's bare page
    assert "data manager" in html.lower()
    assert 'href="/staff/"' in html


def test_a_missing_staff_page_is_a_friendly_404(clinic):
    answer = staff_client(make_staff(clinic)).get("/staff/no-such-page/")
    assert answer.status_code == 404
    html = answer.content.decode()
    assert "site-header" in html and "Page not found" in html and 'href="/staff/"' in html


def test_a_server_error_page_has_the_dashboard_look(rf):
    from config.views import server_error

    answer = server_error(rf.get("/staff/"))
    assert answer.status_code == 500
    assert "site-header" in answer.content.decode()
    api = server_error(rf.get("/api/v1/me/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"


def test_errors_under_the_api_stay_in_the_one_error_shape(clinic):
    from config.views import forbidden

    client = Client()
    answer = client.get("/api/v1/no-such-thing/")
    assert answer.status_code == 404
    assert set(answer.json()) == {"code", "message", "fields"}
    from django.test import RequestFactory

    denied = forbidden(RequestFactory().get("/api/v1/x/"), Exception("no"))
    assert denied.status_code == 403
    assert denied["Content-Type"] == "application/json"


def test_a_csrf_failure_under_the_api_is_json_and_on_pages_is_friendly(clinic):
    from django.test import RequestFactory

    from config.views import csrf_failure

    api = csrf_failure(RequestFactory().post("/api/v1/x/"), reason="CSRF cookie not set.")
    assert api.status_code == 403 and api["Content-Type"] == "application/json"
    page = csrf_failure(RequestFactory().post("/staff/login/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and "site-header" in page.content.decode()


def test_the_root_leads_to_the_dashboard_the_app_and_the_api_docs():
    answer = Client().get("/")
    assert answer.status_code == 200
    html = answer.content.decode()
    for link in ('href="/staff/"', 'href="/app/"', 'href="/api/v1/docs/"'):
        assert link in html


def test_the_api_root_lists_its_parts():
    answer = Client().get("/api/v1/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["docs"].endswith("/api/v1/docs/") and body["schema"].endswith("/api/v1/schema/")
    assert any(url.endswith("/api/v1/entries/") for url in body["endpoints"].values())


def test_the_api_docs_need_no_internet():
    answer = Client().get("/api/v1/docs/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert not re.search(r"https?://(?!testserver)", html), html
    assert "cdn" not in answer.get("Content-Security-Policy", "")
    redoc = Client().get("/api/v1/redoc/")
    assert redoc.status_code == 200 and not re.search(r"https?://(?!testserver)", redoc.text)


def test_a_post_without_the_trailing_slash_is_a_clear_4xx_even_in_debug(clinic, settings):
    settings.DEBUG = True  # where Django's APPEND_SLASH raised a RuntimeError (a 500 page)
    answer = Client(raise_request_exception=False).post(
        "/api/v1/entries", {}, content_type="application/json"
    )
    assert answer.status_code == 404
    body = answer.json()
    assert body["code"] == "not_found" and "/api/v1/entries/" in body["message"]
    page = staff_client(make_staff(clinic)).post("/staff/exports")
    assert page.status_code == 404


def test_one_log_line_per_request_and_no_traceback_for_an_expected_4xx(clinic, caplog):
    client = staff_client(make_staff(clinic, StaffRole.NURSE))
    with caplog.at_level(logging.INFO):
        client.get("/staff/exports/?q=someone")
    lines = [r for r in caplog.records if r.name.startswith(("django.request", "toxwatch"))]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].exc_info is None
    assert "403" in lines[0].getMessage() and "/staff/exports/" in lines[0].getMessage()
    assert "someone" not in lines[0].getMessage()  # no query string (it may hold a name)


def test_a_server_error_is_still_logged_with_its_traceback(clinic, caplog, monkeypatch):
    from clinicians import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "render", boom)
    client = staff_client(make_staff(clinic))
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        client.get("/staff/")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info is not None


def test_seed_demo_leaves_a_patient_enrolled_by_hand_alone():
    from django.utils import timezone

    call_command("seed_demo", stdout=io.StringIO())
    demo = Patient.objects.get(subject_id="DEMO-001").clinic
    # The README's DEMO-012 was enrolled through the app, then a patient was enrolled by hand.
    demo_012 = Patient.objects.get(subject_id="DEMO-012")
    demo_012.user = get_user_model().objects.create_user("demo-012-app")
    demo_012.save(update_fields=["user"])
    own, _code = enroll(demo)  # `enroll_patient --clinic DEMO` by hand, not yet redeemed
    handed_out = EnrollmentCode.objects.get(patient=own)
    call_command("seed_demo", stdout=io.StringIO())  # `make run` a second time
    handed_out.refresh_from_db()
    assert handed_out.expires_at > timezone.now(), "the code given to the patient stopped working"
    assert EnrollmentCode.objects.filter(patient=own).count() == 1


def test_the_printed_urls_follow_the_serving_address(settings, monkeypatch):
    monkeypatch.setenv("TOXWATCH_ADDR", "0.0.0.0:8080")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert ":8000" not in text
    assert "http://127.0.0.1:8080/staff/" in text  # 0.0.0.0 listens everywhere; this opens
    monkeypatch.setenv("TOXWATCH_ADDR", "192.168.1.20:9000")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://192.168.1.20:9000/app/" in out.getvalue()
