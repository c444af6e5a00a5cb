"""The calling details at the top of the alert page (issue 15, item 1)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from diary.models import StaffRole
from identity import services as identity_services
from identity.models import Action, AuditEvent, Contact
from tests.helpers import enroll, make_alert, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db

CONTACT = Contact(
    name="Florence Nightingale",
    hospital_number="RX 1820 512",
    phone="+44 20 7946 0182",
    other_phone="07700 900182",
    preferred_language="Italian",
    emergency_name="Parthenope Verney",
    emergency_phone="+44 20 7946 0183",
)


@pytest.fixture
def world():
    clinic = make_clinic("CAL", phone_24h="+44 20 7946 0000", timezone="Europe/London")
    patient, _ = enroll(clinic, timezone_name="America/New_York")
    identity_services.save_contact(patient=patient, contact=CONTACT, user=None)
    return {"clinic": clinic, "patient": patient, "alert": make_alert(patient, level="red")}


def calling(html: str) -> str:
    match = re.search(r'<section class="panel calling".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_a_nurse_sees_who_to_call_with_tel_links_the_clinic_line_and_local_time(world):
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    html = staff_client(nurse).get(f"/staff/alerts/{world['alert'].pk}/").content.decode()
    block = calling(html)
    assert html.index("calling-title") < html.index("why-title")  # at the top
    for text in ("Florence Nightingale", "RX 1820 512", "Italian", "Parthenope Verney"):
        assert text in block
    assert 'href="tel:+442079460182"' in block
    assert 'href="tel:07700900182"' in block
    assert 'href="tel:+442079460183"' in block
    assert 'href="tel:+442079460000"' in block  # the clinic's 24-hour line
    assert "America/New_York" in block
    now_there = datetime.now(ZoneInfo("America/New_York"))
    assert now_there.strftime("%H:") in block  # the patient's hour, not the clinic's


def test_every_showing_is_audited_with_who_which_patient_and_the_screen(world):
    oncologist = make_staff(world["clinic"], StaffRole.ONCOLOGIST)
    client = staff_client(oncologist)
    for _ in range(2):
        client.get(f"/staff/alerts/{world['alert'].pk}/")
    views = AuditEvent.objects.filter(action=Action.VIEWED)
    assert (
        list(views.values_list("user", "patient", "screen"))
        == [(oncologist.pk, world["patient"].pk, "alert")] * 2
    )


def test_a_data_manager_sees_no_identity_and_nothing_is_audited(world):
    manager = make_staff(world["clinic"], StaffRole.DATA_MANAGER)
    html = staff_client(manager).get(f"/staff/alerts/{world['alert'].pk}/").content.decode()
    assert calling(html) == ""
    assert "Nightingale" not in html and "7946 0182" not in html
    assert not AuditEvent.objects.filter(action=Action.VIEWED).exists()


def test_without_contact_details_the_page_says_so_and_offers_to_add_them(world):
    patient, _ = enroll(world["clinic"])
    alert = make_alert(patient)
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    block = calling(staff_client(nurse).get(f"/staff/alerts/{alert.pk}/").content.decode())
    assert "No contact details are recorded" in block
    assert f"/staff/patients/{patient.subject_id}/contact/" in block
    assert not AuditEvent.objects.filter(patient=patient).exists()


def test_another_clinics_alert_stays_not_found(world):
    outsider = make_staff(make_clinic("OUT"), StaffRole.NURSE)
    response = staff_client(outsider).get(f"/staff/alerts/{world['alert'].pk}/")
    assert response.status_code == 404
    assert "Nightingale" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.VIEWED).exists()
