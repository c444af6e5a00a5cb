"""Alert actions on the dashboard: each goes through its service in alerts/lifecycle.py and leaves
an audit event with its actor; bad input or a state that forbids it changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from alerts.models import Alert, AlertEvent, EventType, ExpectedAmber, Notification, Outcome
from diary.models import StaffRole
from tests.helpers import (
    add_amber_evidence,
    enroll,
    make_alert,
    make_clinic,
    make_staff,
    staff_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("AAA")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, username="nurse-a")


@pytest.fixture
def alert(clinic):
    return make_alert(enroll(clinic, subject_id="AAA-001")[0], level="amber", kind="gi")


def act(user, alert, action, body=None):
    return staff_client(user).post(f"/staff/alerts/{alert.pk}/{action}/", body or {})


def last_event(alert):
    return AlertEvent.objects.filter(alert=alert).latest("pk")


def test_acknowledge_records_who_and_when(nurse, alert):
    response = act(nurse, alert, "acknowledge")
    assert response.status_code == 302
    assert response["Location"] == f"/staff/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", nurse)
    event = last_event(alert)
    assert (event.type, event.actor) == (EventType.ACKNOWLEDGED, nurse)


def test_assign_to_a_colleague_and_back_to_nobody(clinic, nurse, alert):
    colleague = make_staff(clinic, username="nurse-b")
    act(nurse, alert, "assign", {"assign-assignee": str(colleague.pk)})
    alert.refresh_from_db()
    assert alert.assigned_to == colleague
    event = last_event(alert)
    assert (event.type, event.actor, event.detail) == (
        EventType.ASSIGNED,
        nurse,
        {"assignee": colleague.pk},
    )
    act(nurse, alert, "assign", {"assign-assignee": ""})
    alert.refresh_from_db()
    assert alert.assigned_to is None


def test_log_a_call_keeps_the_summary_and_whether_the_patient_was_reached(nurse, alert):
    act(nurse, alert, "call", {"call-summary": "No answer, voicemail left", "call-reached": "no"})
    event = last_event(alert)
    assert (event.type, event.actor) == (EventType.CALL_LOGGED, nurse)
    assert event.detail == {"summary": "No answer, voicemail left", "reached": False}


def test_add_a_note(nurse, alert):
    act(nurse, alert, "note", {"note-text": "Loperamide started"})
    event = last_event(alert)
    assert (event.type, event.actor, event.detail) == (
        EventType.NOTE,
        nurse,
        {"text": "Loperamide started"},
    )


def test_escalate_to_the_on_call_oncologist_pages_them(nurse, alert):
    act(nurse, alert, "escalate", {"escalate-to": "", "escalate-note": "Worse since morning"})
    alert.refresh_from_db()
    assert alert.status == "escalated"
    assert alert.assigned_to is None
    event = last_event(alert)
    assert (event.type, event.actor, event.detail) == (
        EventType.ESCALATED,
        nurse,
        {"note": "Worse since morning"},
    )
    assert Notification.objects.filter(alert=alert, channel="pager").exists()


def test_escalate_to_a_named_oncologist_assigns_it_to_them(clinic, nurse, alert):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    act(nurse, alert, "escalate", {"escalate-to": str(oncologist.pk), "escalate-note": ""})
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to) == ("escalated", oncologist)
    assert last_event(alert).detail == {"note": "", "to": oncologist.pk}
    queue = staff_client(oncologist).get("/staff/?escalated_to_me=on").content.decode()
    assert f"/staff/alerts/{alert.pk}/" in queue


def test_a_nurse_cannot_escalate_to_someone_who_is_not_an_oncologist(clinic, nurse, alert):
    other_nurse = make_staff(clinic, username="nurse-b")
    response = act(nurse, alert, "escalate", {"escalate-to": str(other_nurse.pk)})
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.status == "open"


@pytest.mark.parametrize("outcome", Outcome.values)
def test_resolve_with_each_outcome_of_the_issue(nurse, alert, outcome):
    act(nurse, alert, "resolve", {"resolve-outcome": outcome, "resolve-note": "Done"})
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.resolved_by) == ("resolved", outcome, nurse)
    event = last_event(alert)
    assert (event.type, event.actor, event.detail) == (
        EventType.RESOLVED,
        nurse,
        {"outcome": outcome, "note": "Done"},
    )


def test_the_outcomes_are_those_the_issue_lists():
    assert set(Outcome.labels) == {
        "Advice given",
        "Drug held",
        "Dose reduced",
        "Seen in clinic",
        "Emergency department",
        "No action needed",
    }


def test_marking_the_alerts_amber_triggers_expected_records_them_with_the_reason(nurse, alert):
    add_amber_evidence(alert, "gi.amber.diarrhea_g2", 2)
    add_amber_evidence(alert, "gi.amber.nausea_intake_decreased", 2)
    response = act(
        nurse, alert, "expected", {"expected-days": "7", "expected-reason": "Chronic G2"}
    )
    assert response.status_code == 302
    marking = ExpectedAmber.objects.get(alert=alert)
    assert (marking.patient, marking.set_by, marking.reason) == (alert.patient, nurse, "Chronic G2")
    assert marking.triggers == {"gi.amber.diarrhea_g2": 2, "gi.amber.nausea_intake_decreased": 2}
    assert marking.until - marking.set_at == timedelta(days=7)
    event = last_event(alert)
    assert (event.type, event.actor, event.detail["days"], event.detail["reason"]) == (
        EventType.EXPECTED_LEVEL_SET,
        nurse,
        7,
        "Chronic G2",
    )
    assert event.detail["codes"] == ["gi.amber.diarrhea_g2", "gi.amber.nausea_intake_decreased"]


def test_an_alert_without_an_amber_trigger_cannot_be_marked_expected(nurse, alert):
    response = act(nurse, alert, "expected", {"expected-days": "3", "expected-reason": "x"})
    assert response.status_code == 409
    assert "no AMBER trigger" in response.content.decode()
    assert not ExpectedAmber.objects.exists()


# --- bad input and forbidden states: a form error, nothing changed ---------------------------


@pytest.mark.parametrize(
    "action,body,field",
    [
        ("resolve", {"resolve-outcome": ""}, "resolve-outcome"),
        ("resolve", {"resolve-outcome": "cured_by_magic"}, "resolve-outcome"),
        ("call", {"call-summary": "", "call-reached": "yes"}, "call-summary"),
        ("call", {"call-summary": "x", "call-reached": "maybe"}, "call-reached"),
        ("note", {"note-text": ""}, "note-text"),
        ("note", {"note-text": "x" * 2001}, "note-text"),
        ("assign", {"assign-assignee": "999999"}, "assign-assignee"),
        ("expected", {"expected-days": "0", "expected-reason": "x"}, "expected-days"),
        ("expected", {"expected-days": "8", "expected-reason": "x"}, "expected-days"),
        ("expected", {"expected-days": "30", "expected-reason": "x"}, "expected-days"),
        ("expected", {"expected-days": "many", "expected-reason": "x"}, "expected-days"),
        ("expected", {"expected-days": "7", "expected-reason": ""}, "expected-reason"),
        ("expected", {"expected-days": "7", "expected-reason": "   "}, "expected-reason"),
    ],
)
def test_invalid_input_is_a_form_error_and_changes_nothing(nurse, alert, action, body, field):
    before = list(AlertEvent.objects.filter(alert=alert).values_list("pk", flat=True))
    response = act(nurse, alert, action, body)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert list(AlertEvent.objects.filter(alert=alert).values_list("pk", flat=True)) == before
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to, alert.outcome) == ("open", None, "")
    assert not ExpectedAmber.objects.exists()


def test_a_colleague_from_another_clinic_cannot_be_assigned(nurse, alert):
    outsider = make_staff(make_clinic("BBB"))
    response = act(nurse, alert, "assign", {"assign-assignee": str(outsider.pk)})
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.assigned_to is None


@pytest.mark.parametrize(
    "action,body",
    [
        ("acknowledge", {}),
        ("resolve", {"resolve-outcome": "advice_given"}),
        ("escalate", {"escalate-to": ""}),
        ("assign", {"assign-assignee": ""}),
        ("expected", {"expected-days": "3", "expected-reason": "chronic"}),
    ],
)
def test_an_action_the_alerts_state_forbids_is_a_409_with_the_reason(nurse, alert, action, body):
    Alert.objects.filter(pk=alert.pk).update(status="resolved", outcome="advice_given")
    before = AlertEvent.objects.count()
    response = act(nurse, alert, action, body)
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()
    assert AlertEvent.objects.count() == before
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("resolved", "advice_given")


def test_acknowledging_twice_is_refused_the_second_time(nurse, alert):
    assert act(nurse, alert, "acknowledge").status_code == 302
    again = act(nurse, alert, "acknowledge")
    assert again.status_code == 409
    assert "Only an open or escalated alert can be acknowledged." in again.content.decode()
    assert AlertEvent.objects.filter(alert=alert, type=EventType.ACKNOWLEDGED).count() == 1


def test_actions_need_the_csrf_token(nurse, alert):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    response = client.post(f"/staff/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"
    page = client.get(f"/staff/alerts/{alert.pk}/")
    token = page.cookies["csrftoken"].value
    ok = client.post(f"/staff/alerts/{alert.pk}/acknowledge/", {"csrfmiddlewaretoken": token})
    assert ok.status_code == 302


def test_actions_are_posts_only(nurse, alert):
    assert staff_client(nurse).get(f"/staff/alerts/{alert.pk}/acknowledge/").status_code == 405


def test_the_audit_trail_shows_who_did_what_and_when(clinic, nurse, alert):
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username="onc-a")
    act(nurse, alert, "call", {"call-summary": "Five stools today", "call-reached": "yes"})
    act(nurse, alert, "escalate", {"escalate-to": str(oncologist.pk), "escalate-note": "Review"})
    act(oncologist, alert, "resolve", {"resolve-outcome": "dose_reduced", "resolve-note": ""})
    html = staff_client(nurse).get(f"/staff/alerts/{alert.pk}/").content.decode()
    assert "<strong>nurse-a</strong>: Call logged (reached): Five stools today" in html
    assert "<strong>nurse-a</strong>: Escalated to onc-a: Review" in html
    assert "<strong>onc-a</strong>: Resolved, outcome dose reduced." in html


def test_a_data_manager_is_not_offered_or_accepted_as_an_assignee(clinic, nurse, alert):
    manager = make_staff(clinic, StaffRole.DATA_MANAGER, username="dm-a")
    page = staff_client(nurse).get(f"/staff/alerts/{alert.pk}/").content.decode()
    assert f'<option value="{manager.pk}">' not in page
    response = act(nurse, alert, "assign", {"assign-assignee": str(manager.pk)})
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.assigned_to is None
