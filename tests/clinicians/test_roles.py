"""The role matrix of the dashboard (docs/decisions.md) and clinic scoping, enforced in
clinicians/access.py: a role's missing capability is a 403, another clinic's object a 404."""

from __future__ import annotations

import pytest

from alerts.models import AlertEvent
from clinicians.access import ROLE_CAPABILITIES, Can
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

NURSE, ONCOLOGIST, DATA_MANAGER = StaffRole.NURSE, StaffRole.ONCOLOGIST, StaffRole.DATA_MANAGER

# page, and the roles that may open it
PAGES = [
    ("/staff/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/queue/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/alerts/{alert}/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/patients/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/patients/enrol/", {NURSE, ONCOLOGIST}),
    ("/staff/patients/{subject}/code/", {NURSE, ONCOLOGIST}),
    ("/staff/patients/{subject}/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/programme/", {NURSE, ONCOLOGIST, DATA_MANAGER}),
    ("/staff/exports/", {DATA_MANAGER}),
]

# action, a valid form body, and the roles that may do it
ACTIONS = [
    ("acknowledge", {}, {NURSE, ONCOLOGIST}),
    ("assign", {"assign-assignee": ""}, {NURSE, ONCOLOGIST}),
    ("call", {"call-summary": "Spoke to her", "call-reached": "yes"}, {NURSE, ONCOLOGIST}),
    ("note", {"note-text": "Seen"}, {NURSE, ONCOLOGIST}),
    ("escalate", {"escalate-to": "", "escalate-note": ""}, {NURSE, ONCOLOGIST}),
    ("resolve", {"resolve-outcome": "advice_given", "resolve-note": ""}, {NURSE, ONCOLOGIST}),
    ("expected", {"expected-days": "7", "expected-reason": "Known"}, {NURSE, ONCOLOGIST}),
]


@pytest.fixture
def world():
    clinic = make_clinic("AAA")
    patient, _ = enroll(clinic, subject_id="AAA-001")
    alert = make_alert(patient)
    add_amber_evidence(alert)  # a trigger to mark expected
    return {
        "clinic": clinic,
        "alert": alert,
        "staff": {role: make_staff(clinic, role) for role in StaffRole.values},
    }


def test_the_role_matrix_is_the_documented_one():
    assert {
        NURSE: {Can.VIEW, Can.TRIAGE, Can.PROGRAMME, Can.CONTACT, Can.ENROL},
        ONCOLOGIST: {Can.VIEW, Can.TRIAGE, Can.PROGRAMME, Can.CONTACT, Can.ENROL},
        DATA_MANAGER: {Can.VIEW, Can.PROGRAMME, Can.EXPORT},
    } == ROLE_CAPABILITIES


@pytest.mark.parametrize("role", StaffRole.values)
@pytest.mark.parametrize("path,allowed", PAGES)
def test_each_role_opens_only_its_pages(world, role, path, allowed):
    url = path.format(alert=world["alert"].pk, subject="AAA-001")
    response = staff_client(world["staff"][role]).get(url)
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", StaffRole.values)
@pytest.mark.parametrize("action,body,allowed", ACTIONS)
def test_each_role_may_take_only_its_actions(world, role, action, body, allowed):
    alert = world["alert"]
    before = AlertEvent.objects.filter(alert=alert).count()
    response = staff_client(world["staff"][role]).post(f"/staff/alerts/{alert.pk}/{action}/", body)
    if role in allowed:
        assert response.status_code == 302
        assert AlertEvent.objects.filter(alert=alert).count() == before + 1
    else:
        assert response.status_code == 403
        assert AlertEvent.objects.filter(alert=alert).count() == before


def test_the_nav_offers_each_role_its_pages(world):
    nurse = staff_client(world["staff"][NURSE]).get("/staff/").content.decode()
    manager = staff_client(world["staff"][DATA_MANAGER]).get("/staff/").content.decode()
    assert 'href="/staff/programme/"' in nurse
    assert 'href="/staff/exports/"' not in nurse
    assert 'href="/staff/exports/"' in manager
    assert 'href="/staff/patients/"' in nurse
    assert 'href="/staff/patients/"' in manager
    assert 'href="/staff/patients/enrol/"' in nurse
    assert 'href="/staff/patients/enrol/"' not in manager


def test_a_data_manager_sees_an_alert_without_its_action_forms(world):
    alert = world["alert"]
    html = staff_client(world["staff"][DATA_MANAGER]).get(f"/staff/alerts/{alert.pk}/")
    assert "Acknowledge" not in html.content.decode()
    nurse_html = staff_client(world["staff"][NURSE]).get(f"/staff/alerts/{alert.pk}/")
    assert "Acknowledge" in nurse_html.content.decode()


# --- clinic scoping ---------------------------------------------------------------------------


@pytest.fixture
def elsewhere():
    clinic = make_clinic("BBB")
    patient, _ = enroll(clinic, subject_id="BBB-001")
    return make_alert(patient)


def test_another_clinics_alert_is_not_found(world, elsewhere):
    client = staff_client(world["staff"][NURSE])
    assert client.get(f"/staff/alerts/{elsewhere.pk}/").status_code == 404
    assert client.get("/staff/patients/BBB-001/").status_code == 404
    assert client.get("/staff/patients/BBB-001/code/").status_code == 404
    assert client.post("/staff/patients/BBB-001/code/", {"action": "issue"}).status_code == 404
    assert client.post("/staff/patients/BBB-001/code/", {"action": "revoke"}).status_code == 404


@pytest.mark.parametrize("action,body,_", ACTIONS)
def test_no_action_reaches_another_clinics_alert(world, elsewhere, action, body, _):
    client = staff_client(world["staff"][NURSE])
    response = client.post(f"/staff/alerts/{elsewhere.pk}/{action}/", body)
    assert response.status_code == 404
    assert not AlertEvent.objects.filter(alert=elsewhere).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.status == "open"


def test_an_unknown_action_is_not_found(world):
    client = staff_client(world["staff"][NURSE])
    assert client.post(f"/staff/alerts/{world['alert'].pk}/delete/").status_code == 404
