"""The programme view (/staff/programme/): the clinic's figures over a period, and only its own."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from diary.models import Patient, StaffRole
from tests.helpers import enroll, make_alert, make_clinic, make_staff, record_entry, staff_client

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def clinic():
    return make_clinic("PRG", timezone="Europe/Paris", red_due_minutes=60, amber_due_hours=24)


@pytest.fixture
def nurse(clinic):
    return staff_client(make_staff(clinic, StaffRole.NURSE))


def enrolled(clinic: Any, subject_id: str, days_ago: int = 40) -> Patient:
    patient = enroll(clinic, subject_id=subject_id, timezone_name="Europe/Paris")[0]
    start = timezone.localdate(timezone=PARIS) - timedelta(days=days_ago)
    Patient.objects.filter(pk=patient.pk).update(enrolled_on=start)
    patient.refresh_from_db()
    return patient


def answered(patient: Patient, kind: str, level: str, after: timedelta, days_ago: int = 3) -> Any:
    opened = timezone.now() - timedelta(days=days_ago)
    due = timedelta(minutes=60) if level == "red" else timedelta(hours=24)
    alert = make_alert(patient, kind=kind, level=level, status="acknowledged", opened_at=opened)
    alert.due_at = opened + due
    alert.acknowledged_at = opened + after
    alert.save()
    return alert


def programme(client: Any, query: str = "", **headers: Any) -> Any:
    return client.get(f"/staff/programme/{query}", **headers)


def cells(html: str, heading: str) -> list[str]:
    """The text of each cell of the table row whose header cell reads `heading`."""
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(heading)}</th>(.*?)</tr>", html, re.S)
    assert row, f"no row {heading!r}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def level_cells(html: str, level: str) -> list[str]:
    """The cells of the response-times row of a level."""
    badge = f'<span class="badge {level}">{level.upper()}</span></th>'
    row = re.search(rf"{re.escape(badge)}(.*?)</tr>", html, re.S)
    assert row, f"no row for {level}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client):
    response = programme(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_nurses_oncologists_and_data_managers_see_the_programme(clinic):
    for role in StaffRole.values:
        assert programme(staff_client(make_staff(clinic, role))).status_code == 200


def test_alert_volume_by_kind_and_level_counts_only_this_clinic(clinic, nurse):
    mine = enrolled(clinic, "PRG-001")
    other = enrolled(make_clinic("OTH"), "OTH-001")
    answered(mine, "fever", "red", timedelta(minutes=20))
    answered(mine, "gi", "amber", timedelta(hours=2))
    answered(mine, "ild", "amber", timedelta(hours=2))
    answered(other, "fever", "red", timedelta(minutes=20))
    # Opened before the default 28 days: not counted.
    answered(mine, "cns", "red", timedelta(minutes=5), days_ago=40)

    html = programme(nurse).content.decode()

    assert "3 alerts opened, by kind and level" in html
    assert cells(html, "Fever") == ["1", "0", "1"]
    assert cells(html, "GI: diarrhea, vomiting, dehydration") == ["0", "1", "1"]
    assert cells(html, "All kinds") == ["1", "2", "3"]
    assert "OTH-001" not in html


def test_response_times_show_median_and_share_within_the_target(clinic, nurse):
    patient = enrolled(clinic, "PRG-001")
    kinds = iter(["fever", "gi", "ild", "cns"])
    for minutes in (10, 30, 90):
        answered(patient, next(kinds), "red", timedelta(minutes=minutes))
    answered(patient, next(kinds), "amber", timedelta(hours=30))

    html = programme(nurse).content.decode()
    times = html[html.index('id="times-title"') : html.index('id="overdue-title"')]

    assert level_cells(times, "red")[:5] == ["3", "60 min", "30 min", "1 h 18 min", "67% (2 of 3)"]
    assert "Resolved within 72 h" in times
    assert level_cells(times, "amber")[:5] == ["1", "24 h", "1 d 6 h", "1 d 6 h", "0% (0 of 1)"]
    assert "Time to first response, RED alerts" in times  # the chart's title


def test_overdue_alerts_link_to_the_alert_and_the_patient(clinic, nurse):
    patient = enrolled(clinic, "PRG-001")
    late = make_alert(patient, kind="fever", level="red", due_in=timedelta(minutes=-30))
    make_alert(patient, kind="gi", due_in=timedelta(hours=3))  # not due yet
    other = make_alert(
        enrolled(make_clinic("OTH"), "OTH-001"), kind="fever", due_in=timedelta(hours=-1)
    )

    html = programme(nurse).content.decode()
    overdue = html[html.index('id="overdue-title"') : html.index('id="completion-title"')]

    assert "1 alert not acknowledged by the due time" in overdue
    assert f'href="/staff/alerts/{late.pk}/"' in overdue
    assert 'href="/staff/patients/PRG-001/"' in overdue
    assert f'href="/staff/alerts/{other.pk}/"' not in overdue
    assert '<strong class="overdue">30 min</strong>' in overdue


def test_diary_completion_lists_patients_lowest_first(clinic, nurse):
    keen = enrolled(clinic, "PRG-001")
    quiet = enrolled(clinic, "PRG-002")
    today = timezone.localdate(timezone=PARIS)
    for n in range(1, 8):
        record_entry(keen, datetime.combine(today - timedelta(days=n), time(10), tzinfo=PARIS))
    record_entry(quiet, datetime.combine(today - timedelta(days=2), time(10), tzinfo=PARIS))

    html = programme(nurse, "?days=7").content.decode()
    completion = html[html.index('id="completion-title"') :]

    assert completion.index("PRG-002") < completion.index("PRG-001")
    # Seven days ending today: the keen patient wrote on six of them (not today), the quiet one.
    assert re.search(
        r"PRG-001</a></th><td class=\"num\">6</td><td class=\"num\">7</td>", completion
    )
    assert re.search(
        r"PRG-002</a></th><td class=\"num\">1</td><td class=\"num\">7</td>", completion
    )
    assert "14%" in completion


@pytest.mark.parametrize("query", ["?days=3", "?days=x", "?end=2999-01-01", "?end=not-a-day"])
def test_a_bad_period_is_a_form_error_over_the_default_period(nurse, query):
    response = programme(nurse, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error"' in html
    assert "the last 28 days are shown" in html


def test_the_period_selector_gets_only_its_part_of_the_page_over_htmx(nurse):
    response = programme(nurse, "?days=91", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "(91 days, clinic time)" in html


def test_the_programme_takes_the_same_number_of_queries_whatever_the_volume(
    clinic, nurse, django_assert_num_queries
):
    # Session, user, TOTP device check, staff member, then overdue, volume, response times and
    # two for completion.
    with django_assert_num_queries(9):
        assert programme(nurse).status_code == 200
    for n in range(12):
        patient = enrolled(clinic, f"PRG-{n:03d}")
        answered(patient, "fever", "red", timedelta(minutes=n * 10))
        make_alert(patient, kind="gi", due_in=timedelta(minutes=-n - 1))
        record_entry(patient, timezone.now() - timedelta(days=n % 5 + 1))
    with django_assert_num_queries(9):
        response = programme(nurse)
    assert "12 alerts not acknowledged by the due time" in response.content.decode()


class Labels(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in {"input", "select", "textarea"} and found.get("type") != "hidden":
            self.controls.append(str(found.get("id")))


def test_every_control_of_the_patient_page_and_the_programme_has_a_label(clinic, nurse):
    enrolled(clinic, "PRG-001")
    for url in ("/staff/programme/", "/staff/patients/PRG-001/"):
        parser = Labels()
        parser.feed(nurse.get(url).content.decode())
        assert parser.controls, url
        assert set(parser.controls) <= parser.labels, url


def test_the_chart_stylesheet_prints_the_charts_and_hides_the_period_form():
    found = finders.find("clinicians/charts.css")
    assert isinstance(found, str)
    css = Path(found).read_text()
    printing = css[css.index("@media print") :]
    assert re.search(r"\.period-form \{ display: none", printing)
    assert re.search(r"\.chart-figure svg\.chart \{ min-width: 0; width: 100%", printing)
    assert re.search(r"\.print-only \{ display: block", printing)
