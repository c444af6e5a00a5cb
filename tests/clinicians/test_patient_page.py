"""The patient page (/staff/patients/<subject_id>/): scope, header, timeline, tables, period."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinicians.pages import table_rows
from clinicians.timeline import DayRow
from diary.models import DiaryEntry, Infusion, Patient, StaffRole
from diary.services import Baseline
from tests.helpers import enroll, make_alert, make_clinic, make_staff, record_entry, staff_client

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def clinic():
    return make_clinic("PAT", timezone="Europe/Paris")


@pytest.fixture
def nurse(clinic):
    return staff_client(make_staff(clinic, StaffRole.NURSE))


@pytest.fixture
def patient(clinic) -> Patient:
    return enroll(
        clinic,
        "trastuzumab_deruxtecan",
        subject_id="PAT-001",
        timezone_name="Europe/Paris",
        baseline=Baseline(stools_per_day=1, spo2_rest=98, spo2_exertion=95),
        risk_factors=["prior_ild"],
        brain_metastases=True,
        started_on=timezone.localdate(timezone=PARIS) - timedelta(days=60),
    )[0]


def today() -> date:
    return timezone.localdate(timezone=PARIS)


def local(days_ago: int, hour: int = 12, minute: int = 0, tz: Any = PARIS) -> datetime:
    return datetime.combine(today() - timedelta(days=days_ago), time(hour, minute), tzinfo=tz)


def svg_of(html: str) -> Any:
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match, "no chart on the page"
    return ET.fromstring(match.group(0))


def lane_points(root: Any, label: str) -> dict[str, int]:
    for group in root.iter(f"{SVG}g"):
        if "lane" in (group.get("class") or "").split() and group.get("data-label") == label:
            return {c.get("data-day"): int(c.get("data-value")) for c in group.iter(f"{SVG}circle")}
    return {}


def series_points(root: Any, label: str) -> dict[str, str]:
    for group in root.iter(f"{SVG}g"):
        if "series" in (group.get("class") or "").split() and group.get("data-label") == label:
            return {
                shape.get("data-day"): shape.get("data-value")
                for shape in group
                if shape.get("data-day") is not None
            }
    return {}


def reflines(root: Any) -> dict[str, str]:
    return {
        g.find(f"{SVG}title").text: g.get("data-value")
        for g in root.iter(f"{SVG}g")
        if "refline" in (g.get("class") or "").split()
    }


def page(client: Any, patient: Patient, query: str = "", **headers: Any) -> Any:
    return client.get(f"/staff/patients/{patient.subject_id}/{query}", **headers)


def test_another_clinics_patient_is_not_found(patient):
    other_nurse = staff_client(make_staff(make_clinic("OTH")))
    assert page(other_nurse, patient).status_code == 404


def test_an_unknown_patient_is_not_found(nurse):
    assert nurse.get("/staff/patients/NOBODY/").status_code == 404


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, patient):
    response = page(client, patient)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_every_role_reads_the_patient_page(clinic, patient):
    for role in StaffRole.values:
        assert page(staff_client(make_staff(clinic, role)), patient).status_code == 200


def test_the_header_shows_treatment_cycle_baselines_and_risk_factors(nurse, patient):
    course = patient.courses.get()
    Infusion.objects.create(
        course=course, given_on=today() - timedelta(days=25), dose_level="5.4_mg_kg"
    )
    Infusion.objects.create(
        course=course, given_on=today() - timedelta(days=4), dose_level="5.4_mg_kg"
    )

    html = page(nurse, patient).content.decode()

    assert "<h1>Patient PAT-001</h1>" in html
    assert "Trastuzumab deruxtecan (Enhertu)" in html
    assert "5.4 mg/kg every 3 weeks" in html
    assert "Cycle 2, day 5" in html
    assert "4 days ago" in html
    assert "98%" in html  # baseline SpO2 at rest
    assert "prior ILD/pneumonitis" in html
    assert re.search(r"<dt>Brain metastases</dt><dd>Yes</dd>", html)


def test_grades_show_the_days_highest_grade_per_term(nurse, patient):
    record_entry(patient, local(3, 9), {"diarrhea": {"stools_over_baseline": 2}})  # G1
    record_entry(patient, local(3, 18), {"diarrhea": {"stools_over_baseline": 5}})  # G2
    record_entry(patient, local(2), {"diarrhea": {"stools_over_baseline": 0}})  # G0
    record_entry(patient, local(2), {"nausea": {"nausea": False}})  # graded 0 only

    html = page(nurse, patient).content.decode()
    root = svg_of(html)

    assert lane_points(root, "Diarrhea") == {
        local(3).date().isoformat(): 2,
        local(2).date().isoformat(): 0,
    }
    assert lane_points(root, "Nausea") == {}  # never above 0: named under the chart instead
    assert "Reported at grade 0 throughout: Nausea." in html


def test_a_day_is_the_patients_local_day(nurse, patient):
    tokyo = ZoneInfo("Asia/Tokyo")
    # 00:30 in Tokyo is still the previous day in UTC (and in Paris): it counts on Tokyo's day.
    record_entry(patient, local(5, 0, 30, tz=tokyo), {"diarrhea": {"stools_over_baseline": 5}})
    root = svg_of(page(nurse, patient).content.decode())
    assert lane_points(root, "Diarrhea") == {local(5).date().isoformat(): 2}


def test_a_corrected_entry_no_longer_counts(nurse, patient):
    wrong = record_entry(patient, local(4), {"diarrhea": {"stools_over_baseline": 8}})
    DiaryEntry.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        recorded_at=local(4, 13),
        symptoms={"diarrhea": {"stools_over_baseline": 1}},
        corrects=wrong,
    )
    record_entry(patient, local(4, 14), {"diarrhea": {"stools_over_baseline": 1}})
    root = svg_of(page(nurse, patient).content.decode())
    assert lane_points(root, "Diarrhea") == {local(4).date().isoformat(): 1}


def test_spo2_and_temperature_are_drawn_against_baseline_and_thresholds(nurse, patient):
    record_entry(patient, local(6, 8), {"hypoxia": {"spo2_rest": 96, "spo2_exertion": 93}})
    record_entry(patient, local(6, 20), {"hypoxia": {"spo2_rest": 94, "spo2_exertion": 94}})
    record_entry(patient, local(5), {"fever": {"temp_c": 37.2}})
    record_entry(patient, local(5, 18), {"fever": {"temp_f": 100.4}})  # 38.0 °C

    root = svg_of(page(nurse, patient).content.decode())

    day6, day5 = local(6).date().isoformat(), local(5).date().isoformat()
    assert series_points(root, "At rest") == {day6: "94"}
    assert series_points(root, "After exertion") == {day6: "93"}
    assert series_points(root, "Temperature") == {day5: "38"}
    lines = reflines(root)
    assert lines["The patient's baseline SpO2 at rest: 98%"] == "98"
    assert [v for k, v in lines.items() if k.startswith("RED: resting SpO2 below 88%")] == ["88"]
    # T-DXd: RED at <=92% or 4 below the baseline of 98, so from 94% [D §5.2].
    assert [v for k, v in lines.items() if k.startswith("T-DXd RED")] == ["94"]
    assert [v for k, v in lines.items() if k.startswith("RED: temperature 38.0")] == ["38"]


def test_a_tki_patient_has_no_tdxd_oxygen_line(clinic, nurse):
    tki = enroll(clinic, "zongertinib", subject_id="PAT-002")[0]
    root = svg_of(page(nurse, tki).content.decode())
    assert not [k for k in reflines(root) if k.startswith("T-DXd")]


def test_treatment_events_and_alerts_are_marked(nurse, patient):
    course = patient.courses.get()
    Infusion.objects.create(
        course=course, given_on=today() - timedelta(days=30), dose_level="5.4_mg_kg"
    )
    Infusion.objects.create(
        course=course, given_on=today() - timedelta(days=9), dose_level="4.4_mg_kg"
    )
    record_entry(patient, local(2), {"hypoxia": {"spo2_rest": 86}})  # RED ILD alert

    html = page(nurse, patient).content.decode()
    root = svg_of(html)

    markers = {
        (g.get("data-day"), g.find(f"{SVG}title").text.split(": ", 1)[1])
        for g in root.iter(f"{SVG}g")
        if "marker" in (g.get("class") or "").split()
    }
    nine = (today() - timedelta(days=9)).isoformat()
    assert (nine, "T-DXd infusion 4.4 mg/kg") in markers
    assert (nine, "Dose changed to 4.4 mg/kg") in markers
    assert ((today() - timedelta(days=30)).isoformat(), "T-DXd infusion 5.4 mg/kg") in markers
    assert (
        (today() - timedelta(days=60)).isoformat(),
        "T-DXd started, 5.4 mg/kg every 3 weeks",
    ) in markers
    red = [text for _, text in markers if text.startswith("RED")]
    assert red == ["RED: Possible ILD / pneumonitis"]


def test_the_alerts_list_links_to_each_alert_of_this_patient_only(clinic, nurse, patient):
    other = enroll(clinic, subject_id="PAT-009")[0]
    mine = make_alert(patient, kind="fever", level="red")
    theirs = make_alert(other, kind="gi")
    old_resolved = make_alert(
        patient, kind="gi", status="resolved", opened_at=timezone.now() - timedelta(days=200)
    )
    html = page(nurse, patient).content.decode()
    assert f'href="/staff/alerts/{mine.pk}/"' in html
    assert f'href="/staff/alerts/{theirs.pk}/"' not in html
    assert f'href="/staff/alerts/{old_resolved.pk}/"' not in html  # outside the period


def test_the_recent_entries_table_shows_grades_values_and_level(nurse, patient):
    record_entry(
        patient, local(1), {"diarrhea": {"stools_over_baseline": 5}, "fever": {"temp_c": 38.4}}
    )
    html = page(nurse, patient).content.decode()
    table = html[html.index('id="entries-title"') :]
    assert "Diarrhea G2" in table
    assert "38.4 °C" in table
    assert '<span class="badge red">RED</span>' in table


def test_the_chart_has_a_text_alternative_and_a_data_table(nurse, patient):
    record_entry(patient, local(3), {"diarrhea": {"stools_over_baseline": 5}})
    html = page(nurse, patient).content.decode()
    root = svg_of(html)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text.startswith("Timeline of PAT-001")
    assert "Diarrhea" in root.find(f"{SVG}desc").text
    assert "<summary>Show the chart's values as a table</summary>" in html
    day = local(3).date()
    assert f'<time datetime="{day.isoformat()}">' in html
    assert "Diarrhea G2" in html[html.index("<summary>") :]


def test_the_data_table_escapes_what_it_shows():
    html = table_rows([DayRow(date(2026, 10, 5), events=["<script>x</script> & co"])])
    assert '<time datetime="2026-10-05">Mon 5 Oct</time>' in html
    assert "<td>&lt;script&gt;x&lt;/script&gt; &amp; co</td>" in html


def test_the_period_selector_shows_the_period_in_force(nurse, patient):
    default = page(nurse, patient).content.decode()
    assert '<option value="84" selected>12 weeks</option>' in default
    chosen = page(nurse, patient, "?days=28").content.decode()
    assert '<option value="28" selected>4 weeks</option>' in chosen


def test_the_period_selector_narrows_the_window(nurse, patient):
    record_entry(patient, local(40), {"diarrhea": {"stools_over_baseline": 5}})
    record_entry(patient, local(10), {"diarrhea": {"stools_over_baseline": 2}})
    default = lane_points(svg_of(page(nurse, patient).content.decode()), "Diarrhea")
    four_weeks = lane_points(svg_of(page(nurse, patient, "?days=28").content.decode()), "Diarrhea")
    ended = page(nurse, patient, f"?days=14&end={(today() - timedelta(days=35)).isoformat()}")
    assert set(default) == {local(40).date().isoformat(), local(10).date().isoformat()}
    assert set(four_weeks) == {local(10).date().isoformat()}
    assert set(lane_points(svg_of(ended.content.decode()), "Diarrhea")) == {
        local(40).date().isoformat()
    }


@pytest.mark.parametrize(
    "query", ["?days=5", "?days=many", "?end=2999-01-01", "?end=yesterday", "?end=1900-01-01"]
)
def test_a_bad_period_is_a_form_error_over_the_default_window(nurse, patient, query):
    response = page(nurse, patient, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error"' in html
    assert "the last 84 days are shown" in html


def test_the_period_selector_gets_only_its_part_of_the_page_over_htmx(nurse, patient):
    response = page(nurse, patient, "?days=28", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'hx-target="#patient-period"' in html
    assert "<svg" in html
    restored = page(
        nurse, patient, "?days=28", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restored.content.decode()


def test_the_page_loads_its_print_stylesheet(nurse, patient):
    html = page(nurse, patient).content.decode()
    assert 'href="/static/clinicians/charts.css"' in html


def fill_history(patient: Patient, days: int, alerts: int) -> None:
    """Entries twice a day for `days` days, some alerts, and an infusion every three weeks."""
    course = patient.courses.get()
    for n in range(days):
        record_entry(
            patient,
            local(n + 1, 9),
            {"diarrhea": {"stools_over_baseline": n % 5}, "hypoxia": {"spo2_rest": 95}},
        )
        record_entry(patient, local(n + 1, 19), {"fever": {"temp_c": 36.5 + (n % 3) / 2}})
    for n in range(0, days, 21):
        Infusion.objects.create(
            course=course, given_on=today() - timedelta(days=n + 1), dose_level="5.4_mg_kg"
        )
    kinds = ["ild", "gi", "fever", "hepatic", "cardiac", "cns", "adherence", "loperamide"]
    for n in range(alerts):
        make_alert(
            patient,
            kind=kinds[n % len(kinds)],
            status="resolved",
            opened_at=timezone.now() - timedelta(days=n + 1),
        )


def test_the_page_takes_the_same_number_of_queries_whatever_the_history(
    nurse, patient, django_assert_num_queries
):
    # Session, user, TOTP device check, staff member, patient, courses, infusions, expected
    # levels (the alert page's context), then grades, measures, entries and alerts: twelve.
    with django_assert_num_queries(12):
        assert page(nurse, patient).status_code == 200
    fill_history(patient, days=100, alerts=30)
    with django_assert_num_queries(12):
        response = page(nurse, patient, "?days=182")
    assert response.status_code == 200
    assert len(lane_points(svg_of(response.content.decode()), "Diarrhea")) == 100


def test_a_reading_with_float_noise_is_shown_to_two_decimals_at_most(nurse, patient):
    record_entry(patient, local(1), {"fever": {"temp_c": 36.800000000000004}})
    record_entry(patient, local(2), {"fever": {"temp_c": 37.95}})
    html = page(nurse, patient).content.decode()
    table = html[html.index('id="entries-title"') :]
    assert "36.8 °C" in table and "36.800000000000004" not in table
    assert "37.95 °C" in table  # never rounded up to the 38.0 °C fever line
