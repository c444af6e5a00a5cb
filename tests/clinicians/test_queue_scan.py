"""A queue a nurse can scan (issue 15, item 2): each row says what was reported in plain words,
how long ago, whether anyone has opened it yet ("New"), and who has it; RED and AMBER each have
their own section, count and pages; an escalation is a hand-off the oncologist sees at the top
of the alert page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, DashboardPush
from diary import services
from diary.models import StaffRole
from tests.helpers import (
    enroll,
    make_alert,
    make_clinic,
    make_staff,
    record_entry,
    report,
    staff_client,
)

pytestmark = pytest.mark.django_db

TDXD = "trastuzumab_deruxtecan"


@pytest.fixture
def clinic():
    return make_clinic("AAA")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, username="nurse-a")


def patient(clinic, n: int, drug: str = "zongertinib", **kwargs):
    return enroll(clinic, drug, subject_id=f"{clinic.code}-{n:03d}", **kwargs)[0]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def row_of(html: str, alert: Alert) -> str:
    """The queue row (<tr>) of an alert."""
    match = re.search(
        rf'<tr[^>]*>(?:(?!</tr>).)*href="/staff/alerts/{alert.pk}/"(?:(?!</tr>).)*</tr>', html, re.S
    )
    assert match, f"alert {alert.pk} is not in the queue"
    return match.group(0)


def section(html: str, level: str) -> str:
    match = re.search(rf'<section[^>]*id="queue-{level}"(?:(?!</section>).)*</section>', html, re.S)
    assert match, f"no {level} section"
    return match.group(0)


def test_a_row_says_what_was_reported_in_plain_words(clinic, nurse):
    # T-DXd, resting SpO2 91% against a baseline of 97% (§5.2 RED 3 [D]) and a new cough
    # (§5.2 AMBER 2 [D]): one ILD alert.
    sick = patient(
        clinic,
        1,
        TDXD,
        baseline=services.Baseline(spo2_rest=97, spo2_exertion=95, cough_severity="none"),
        started_on=timezone.localdate() - timedelta(days=20),
    )
    report(sick, {"hypoxia": {"spo2_rest": 91}, "cough": {"cough_severity": "mild"}})
    alert = Alert.objects.get(patient=sick)
    words = text(row_of(staff_client(nurse).get("/staff/").content.decode(), alert))
    assert "SpO2 at rest 91% (baseline 97%)" in words
    assert "Cough: mild (baseline none)" in words
    assert "spo2_rest" not in words and "ild.red" not in words


def test_a_row_says_how_long_ago_it_opened(clinic, nurse):
    alert = make_alert(patient(clinic, 1), opened_at=timezone.now() - timedelta(minutes=12))
    row = row_of(staff_client(nurse).get("/staff/").content.decode(), alert)
    assert re.search(r'<time datetime="[0-9T:+.-]+"[^>]*>12 min ago</time>', row)


def test_an_alert_nobody_has_opened_is_marked_new_until_a_colleague_opens_it(
    clinic, nurse, django_capture_on_commit_callbacks
):
    alert = make_alert(patient(clinic, 1))
    client = staff_client(nurse)
    assert "New" in text(row_of(client.get("/staff/").content.decode(), alert))
    data_manager = make_staff(clinic, StaffRole.DATA_MANAGER, username="dm-a")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client(data_manager).get(f"/staff/alerts/{alert.pk}/").status_code == 200
    alert.refresh_from_db()
    assert alert.first_opened_by == data_manager and alert.first_opened_at is not None
    assert "New" not in text(row_of(client.get("/staff/").content.decode(), alert))
    # Opening it again keeps the first opening; the other dashboards were told once.
    first = alert.first_opened_at
    with django_capture_on_commit_callbacks(execute=True):
        staff_client(nurse).get(f"/staff/alerts/{alert.pk}/")
    alert.refresh_from_db()
    assert (alert.first_opened_by, alert.first_opened_at) == (data_manager, first)
    assert DashboardPush.objects.filter(alert=alert, reason="first_opened").count() == 1


def test_the_new_marker_is_words_not_only_a_colour(clinic, nurse):
    alert = make_alert(patient(clinic, 1))
    row = row_of(staff_client(nurse).get("/staff/").content.decode(), alert)
    assert re.search(r'<span class="new-marker">New</span>', row)


def test_opening_another_clinics_alert_marks_nothing(clinic, nurse):
    theirs = make_alert(patient(make_clinic("BBB"), 1))
    assert staff_client(nurse).get(f"/staff/alerts/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.first_opened_at is None


def test_a_row_says_who_has_the_alert(clinic, nurse):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    escalated = make_alert(patient(clinic, 1), status="escalated", assigned_to=oncologist)
    paged = make_alert(patient(clinic, 2), status="escalated")
    assigned = make_alert(patient(clinic, 3), assigned_to=nurse)
    nobody = make_alert(patient(clinic, 4))
    html = staff_client(nurse).get("/staff/").content.decode()
    assert "Escalated to onc-a" in text(row_of(html, escalated))
    assert "Escalated to the on-call oncologist" in text(row_of(html, paged))
    assert "Assigned to nurse-a" in text(row_of(html, assigned))
    assert "Not assigned" in text(row_of(html, nobody))


def test_red_and_amber_each_have_their_own_section_with_its_count(clinic, nurse):
    reds = [make_alert(patient(clinic, n), level="red") for n in range(30)]
    ambers = [make_alert(patient(clinic, 100 + n), level="amber") for n in range(6)]
    html = staff_client(nurse).get("/staff/").content.decode()
    red, amber = section(html, "red"), section(html, "amber")
    assert "30 RED alerts" in text(red) and "6 AMBER alerts" in text(amber)
    # Every AMBER is on the first page of its section, whatever the number of REDs.
    assert all(f'href="/staff/alerts/{a.pk}/"' in amber for a in ambers)
    assert sum(f'href="/staff/alerts/{a.pk}/"' in red for a in reds) == 25
    assert "Page 1 of 2" in text(red) and "Page" not in text(amber)


def test_each_section_pages_on_its_own(clinic, nurse):
    for n in range(30):
        make_alert(patient(clinic, n), level="red", due_in=timedelta(minutes=10 + n))
    for n in range(27):
        make_alert(patient(clinic, 100 + n), level="amber", due_in=timedelta(minutes=10 + n))
    client = staff_client(nurse)
    html = client.get("/staff/?red_page=2").content.decode()
    assert section(html, "red").count('href="/staff/alerts/') == 5
    assert section(html, "amber").count('href="/staff/alerts/') == 25  # still its first page
    html = client.get("/staff/?red_page=2&amber_page=2").content.decode()
    assert section(html, "amber").count('href="/staff/alerts/') == 2
    assert "red_page=2&amp;amber_page=1" in section(html, "amber")  # its pager keeps the other


def test_a_level_filter_shows_that_section_alone(clinic, nurse):
    make_alert(patient(clinic, 1), level="red")
    make_alert(patient(clinic, 2), level="amber")
    html = staff_client(nurse).get("/staff/?level=amber").content.decode()
    assert 'id="queue-amber"' in html and 'id="queue-red"' not in html


def test_an_empty_section_says_so(clinic, nurse):
    make_alert(patient(clinic, 1), level="red")
    html = staff_client(nurse).get("/staff/").content.decode()
    assert "No AMBER alerts match these filters." in text(section(html, "amber"))


# --- escalation hand-off ----------------------------------------------------------------------


def escalate(nurse, alert, to, note):
    response = staff_client(nurse).post(
        f"/staff/alerts/{alert.pk}/escalate/",
        {"escalate-to": str(to.pk) if to else "", "escalate-note": note},
    )
    assert response.status_code == 302, response.content


def test_the_oncologist_sees_the_hand_off_at_the_top_of_the_alert_page(clinic, nurse):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    alert = make_alert(patient(clinic, 1), level="red")
    escalate(nurse, alert, oncologist, "SpO2 down to 89, please review today")
    html = staff_client(oncologist).get(f"/staff/alerts/{alert.pk}/").content.decode()
    box = re.search(r'<section class="handoff"(?:(?!</section>).)*</section>', html, re.S)
    assert box, "no hand-off box"
    words = text(box.group(0))
    assert "Escalated by nurse-a to onc-a" in words
    assert "SpO2 down to 89, please review today" in words
    assert re.search(r'<time datetime="[^"]+"', box.group(0))
    assert html.index('class="handoff"') < html.index('id="why-title"')
    assert "Assigned to onc-a" in text(html)
    assert "Nobody" not in text(html.split('id="actions-title"')[0])


def test_an_escalation_to_the_on_call_oncologist_never_reads_assigned_to_nobody(clinic, nurse):
    alert = make_alert(patient(clinic, 1), level="red")
    escalate(nurse, alert, None, "")
    html = staff_client(nurse).get(f"/staff/alerts/{alert.pk}/").content.decode()
    before_actions = text(html.split('id="actions-title"')[0])
    assert "Escalated by nurse-a to the on-call oncologist" in before_actions
    assert "Nobody" not in before_actions


def test_the_latest_escalation_is_the_one_shown(clinic, nurse):
    first = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    second = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-b")
    alert = make_alert(patient(clinic, 1), level="red")
    escalate(nurse, alert, first, "first look")
    escalate(nurse, alert, second, "onc-a is in theatre")
    html = staff_client(nurse).get(f"/staff/alerts/{alert.pk}/").content.decode()
    found = re.search(r'<section class="handoff"(?:(?!</section>).)*</section>', html, re.S)
    assert found
    box = text(found.group(0))
    assert "to onc-b" in box and "onc-a is in theatre" in box and "first look" not in box


def test_an_oncologist_of_another_clinic_cannot_be_chosen(clinic, nurse):
    outsider = make_staff(make_clinic("BBB"), StaffRole.ONCOLOGIST, username="onc-z")
    alert = make_alert(patient(clinic, 1), level="red")
    response = staff_client(nurse).post(
        f"/staff/alerts/{alert.pk}/escalate/", {"escalate-to": str(outsider.pk)}
    )
    assert response.status_code == 400
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to) == ("open", None)


# --- the row's words (clinicians.summary) ------------------------------------------------------


def test_a_time_based_rule_reads_as_its_finding_without_the_tag(clinic):
    from alerts.models import AlertEvidence
    from clinicians.summary import summaries

    alert = make_alert(patient(clinic, 1), kind="diary", level="amber")
    AlertEvidence.objects.create(
        alert=alert,
        code="diary.amber.no_entry",
        level="amber",
        reason="No diary entry for 3 days - §5.7 [D]",
        source="§5.7 [D]",
    )
    assert summaries([alert]) == {alert.pk: "No diary entry for 3 days"}


def test_a_long_report_is_cut_to_four_findings_the_alerts_own_first(clinic):
    from clinicians.summary import summaries

    sick = patient(clinic, 1)
    record_entry(
        sick,
        timezone.now() - timedelta(minutes=5),
        {
            "fatigue": {"fatigue": True, "relieved_by_rest": False},
            "pruritus": {"itch_extent": "widespread"},
            "headache": {"pain_severity": "mild"},
            "diarrhea": {"stools_over_baseline": 5, "blood_in_stool": True},
        },
    )
    alert = Alert.objects.get(patient=sick, kind="gi")
    words = summaries([alert])[alert.pk]
    phrases = words.split("; ")
    # The GI alert's own answers first (in the order the database keeps a report's answers).
    assert set(phrases[:2]) == {"Stools over baseline 5 a day", "Blood in stool"}
    assert phrases[-1] == "and 2 more" and len(phrases) == 5
    assert "Relieved by rest: no" in phrases or "Relieved by rest" not in words


def test_a_questionnaire_reads_as_its_raised_composites(clinic):
    from alerts.models import AlertEvidence
    from clinicians.summary import summaries
    from diary.models import QuestionnaireResponse

    sick = patient(clinic, 1)
    alert = make_alert(sick, kind="gi", level="amber")
    response = QuestionnaireResponse.objects.create(
        id=uuid.uuid4(),
        patient=sick,
        instrument="proctcae_zongertinib",
        completed_at=timezone.now(),
        answers={},
        scores={"nausea": 3, "fatigue": 0},
    )
    AlertEvidence.objects.create(
        alert=alert,
        response=response,
        code="proctcae.amber.nausea_3",
        level="amber",
        symptom="nausea",
        reason="x",
        source="§5.4 [D]",
    )
    assert summaries([alert]) == {alert.pk: "Nausea: PRO-CTCAE 3 of 3"}


def test_a_questionnaire_alerts_own_composite_comes_first(clinic):
    """The rule's symptom is the family (``itch``), the score's key the item (``itchy_skin``,
    alerts.rules.proctcae.PROCTCAE): the alert's own composite still leads the row."""
    from alerts.models import AlertEvidence
    from clinicians.summary import summaries
    from diary.models import QuestionnaireResponse

    sick = patient(clinic, 1)
    alert = make_alert(sick, kind="other", level="amber")
    response = QuestionnaireResponse.objects.create(
        id=uuid.uuid4(),
        patient=sick,
        instrument="proctcae_zongertinib",
        completed_at=timezone.now(),
        answers={},
        scores={"fatigue": 2, "itchy_skin": 3},
    )
    AlertEvidence.objects.create(
        alert=alert,
        response=response,
        code="proctcae.amber.itchy_skin_3",
        level="amber",
        symptom="itch",
        reason="x",
        source="§5.4 [D]",
    )
    first = summaries([alert])[alert.pk].split("; ")[0]
    assert first.endswith("PRO-CTCAE 3 of 3"), first


def test_the_queue_reads_both_sections_and_their_words_in_a_constant_number_of_queries(
    clinic, nurse, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_client(nurse)
    tdxd = services.Baseline(spo2_rest=97, spo2_exertion=95, cough_severity="none")
    report(patient(clinic, 1, TDXD, baseline=tdxd), {"hypoxia": {"spo2_rest": 86}})
    report(patient(clinic, 2, baseline=tdxd), {"diarrhea": {"stools_over_baseline": 5}})
    # One of each level (an empty section reads no ids: one query fewer, never more).
    with CaptureQueriesContext(connection) as first:
        assert client.get("/staff/").status_code == 200
    for n in range(3, 40):
        sick = patient(clinic, n, TDXD if n % 2 else "zongertinib", baseline=tdxd)
        symptoms = (
            {"hypoxia": {"spo2_rest": 86}} if n % 2 else {"diarrhea": {"stools_over_baseline": 5}}
        )
        report(sick, symptoms)
    assert Alert.objects.filter(level="red").count() > 10
    assert Alert.objects.filter(level="amber").count() > 10
    with django_assert_num_queries(len(first)):
        html = client.get("/staff/").content.decode()
    assert "Stools over baseline 5" in html and "SpO2 at rest 86%" in html


def test_the_upgrade_counts_an_alert_a_colleague_acted_on_as_opened(clinic, nurse):
    import importlib

    from django.apps import apps

    from alerts import lifecycle

    backfill = importlib.import_module("alerts.migrations.0012_backfill_first_opened").backfill
    handled = make_alert(patient(clinic, 1))
    lifecycle.acknowledge_alert(alert_id=handled.pk, user=nurse)
    untouched = make_alert(patient(clinic, 2))
    backfill(apps, None)
    handled.refresh_from_db()
    untouched.refresh_from_db()
    event = handled.events.get(type="acknowledged")
    assert (handled.first_opened_by, handled.first_opened_at) == (nurse, event.at)
    assert untouched.first_opened_at is None


@pytest.mark.parametrize(
    "term,field,value,words",
    [
        ("diarrhea", "blood_in_stool", True, "Blood in stool"),
        ("fatigue", "relieved_by_rest", False, "Relieved by rest: no"),  # "no" is the worse
        ("dyspnea", "sob_exertion", "minimal", "Breathlessness: with minimal exertion"),
        ("fever", "temp_c", 38.4, "Temperature 38.4 °C"),
        ("vomiting", "vomiting_episodes_24h", 3, "Vomiting episodes in 24 h 3"),
    ],
)
def test_an_answer_reads_in_the_catalogues_words(clinic, term, field, value, words):
    from clinicians.summary import _notable, _phrase

    assert _notable(term, field, value)
    assert _phrase(term, field, value, patient(clinic, 1)) == words
