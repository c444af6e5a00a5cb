"""The dashboard's exports page (issue 15): dates pre-filled in the format <input type=date>
takes, a rejected request says why, sources listed by their names, not their codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from clinicians.exports.models import Export
from diary import instruments
from diary.models import StaffRole
from tests.helpers import make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.TOXWATCH_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):  # type: ignore[no-untyped-def]
    """The export task runs in-process here."""


def _date_values(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="date" name="(\w+)" value="([^"]*)"', html))


def test_the_dates_are_prefilled_as_the_date_field_takes_them():
    """Old code: value="01/12/2026" (en-gb), which the browser's date field rejects, so the
    field showed empty and the first request did nothing."""
    manager = make_staff(make_clinic("AAA"), StaffRole.DATA_MANAGER)
    html = staff_client(manager).get("/staff/exports/").content.decode()
    values = _date_values(html)
    today = timezone.localdate()
    assert values == {
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
    }


def test_the_prefilled_form_as_a_browser_sends_it_requests_an_export(
    django_capture_on_commit_callbacks,
):
    manager = make_staff(make_clinic("AAA"), StaffRole.DATA_MANAGER)
    client = staff_client(manager)
    values = _date_values(client.get("/staff/exports/").content.decode())
    body = {**values, "format": "csv", "instruments": ["symptom_diary", "qlq_c30"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/exports/", body)
    assert response.status_code == 302
    assert Export.objects.count() == 1


def test_a_rejected_request_says_why():
    manager = make_staff(make_clinic("AAA"), StaffRole.DATA_MANAGER)
    today = timezone.localdate()
    body = {
        "format": "csv",
        "date_from": today.isoformat(),
        "date_to": (today - timedelta(days=3)).isoformat(),
        "instruments": ["symptom_diary"],
    }
    response = staff_client(manager).post("/staff/exports/", body)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The export was not requested" in html
    assert 'role="alert"' in html
    assert "The last day is before the first day." in html or "before" in html
    # An empty date (what the browser sends for a value it rejected) is named too.
    response = staff_client(manager).post(
        "/staff/exports/", {"format": "csv", "date_from": "", "date_to": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The export was not requested" in html
    assert "First day: This field is required." in html


def test_the_list_names_the_sources(django_capture_on_commit_callbacks):
    """Old code: the list said "qlq_c30, symptom_diary"."""
    manager = make_staff(make_clinic("AAA"), StaffRole.DATA_MANAGER)
    client = staff_client(manager)
    today = timezone.localdate()
    body = {
        "format": "csv",
        "date_from": today.isoformat(),
        "date_to": today.isoformat(),
        "instruments": ["symptom_diary", "qlq_c30"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/exports/", body)
    html = client.get("/staff/exports/list/").content.decode()
    assert instruments.CURRENT["qlq_c30"].title in html
    assert "Symptom diary" in html
    row = html[html.index("<tbody>") :]
    assert "qlq_c30" not in row
    assert "symptom_diary" not in row
