"""The nurse reaches the patient and enrols one, in Chromium against the real server (issue 15,
items 1, 4 and 6): the calling details on the alert page, enrolment through the form followed by
the patient web app redeeming the code from the QR code's link, and a patient-list search. Also
takes the README's screenshots of these screens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import Patient
from identity.models import AuditEvent, Contact
from identity.services import save_contact
from tests.browser.server import AppServer
from tests.browser.test_patient_app import assert_accessible
from tests.browser.test_triage import sign_in
from tests.helpers import PASSWORD, enroll, make_alert, make_clinic, make_staff, record_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NURSE = "nurse.calls"
CLINIC_LINE = "+44 20 7946 0000"


def clinic_with_nurse() -> Any:
    clinic = make_clinic("WARD", name="Thoracic oncology day unit", phone_24h=CLINIC_LINE)
    make_staff(clinic, username=NURSE)
    return clinic


def with_contact(clinic: Any, name: str, number: str, phone: str, **kwargs: Any) -> Patient:
    patient, _ = enroll(clinic, **kwargs)
    save_contact(
        patient=patient,
        contact=Contact(
            name=name,
            hospital_number=number,
            phone=phone,
            preferred_language="English",
            emergency_name="Tunde Okafor (husband)",
            emergency_phone="07700 900456",
        ),
        user=None,
    )
    return patient


def test_the_alert_page_shows_who_to_call_with_a_tel_link(
    app: AppServer, page: Any, artifacts: Any
) -> None:
    clinic = clinic_with_nurse()
    patient = with_contact(
        clinic,
        "Adaeze Okafor",
        "RX1 234 567",
        "+44 20 7946 0123",
        drug="trastuzumab_deruxtecan",
        timezone_name="Europe/London",
    )
    alert = make_alert(patient, level="red", kind="ild", reason="SpO2 86% at rest")
    sign_in(page, NURSE)
    page.goto(f"/staff/alerts/{alert.pk}/")
    calling = page.get_by_role("region", name="Calling the patient")
    expect(calling).to_be_visible()
    expect(calling).to_contain_text("Adaeze Okafor")
    expect(calling).to_contain_text("RX1 234 567")
    call = calling.get_by_role("link", name="+44 20 7946 0123")
    expect(call).to_be_visible()
    expect(call).to_have_attribute("href", "tel:+442079460123")
    expect(calling.get_by_role("link", name=CLINIC_LINE)).to_have_attribute(
        "href", "tel:+442079460000"
    )
    expect(calling).to_contain_text("Europe/London")
    # Above the evidence: seen without scrolling.
    assert (
        calling.bounding_box()["y"]
        < page.get_by_role("heading", name="Why it fired").bounding_box()["y"]
    )
    page.screenshot(path=str(artifacts / "calling.png"))
    assert_accessible(page, "alert page with calling details")
    assert AuditEvent.objects.filter(patient=patient, screen="alert").count() == 1


def test_a_nurse_enrols_a_patient_and_the_app_redeems_the_code_from_the_qr_link(
    app: AppServer, page: Any, artifacts: Any, chromium: Any
) -> None:
    clinic_with_nurse()
    sign_in(page, NURSE)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Enrol a patient").click()
    page.get_by_label("Full name").fill("Grace Adeyemi")
    page.get_by_label("Hospital number").fill("RX 777 001")
    page.get_by_label("Phone", exact=True).fill("+44 20 7946 0777")
    page.get_by_label("Language to speak on the phone").fill("Yoruba")
    page.get_by_label("Emergency contact", exact=True).fill("Kola Adeyemi (son)")
    page.get_by_label("Emergency contact's phone").fill("07700 900777")
    page.get_by_label("Drug").select_option("trastuzumab_deruxtecan")
    page.get_by_label("Breathlessness before treatment").select_option("moderate")
    page.get_by_label("Cough before treatment").select_option("mild")
    page.get_by_label("SpO2 at rest (%)").fill("96")
    page.get_by_label("SpO2 after exertion (%)").fill("93")
    page.get_by_label("Stools per day before treatment").fill("1")
    page.get_by_label("Home pulse oximeter").check()
    page.get_by_label("Lung comorbidity").check()
    page.screenshot(path=str(artifacts / "enrol.png"), full_page=True)
    assert_accessible(page, "enrolment form")
    page.get_by_role("button", name="Enrol and show the app code").click()

    expect(page.get_by_role("heading", name="Enrolled. Give the patient this code")).to_be_visible()
    code = page.locator(".enrolment-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    link = page.locator(".app-link").inner_text().strip()
    assert link == f"{app.url}/app/#code={code}"
    page.screenshot(path=str(artifacts / "enrol-code.png"))
    assert_accessible(page, "app code")
    patient = Patient.objects.get(clinic__code="WARD")
    assert patient.baseline_cough_severity == "mild" and patient.lung_comorbidity

    # The patient's phone opens the QR code's link: the code is filled in.
    phone = chromium.new_context(
        base_url=app.url, viewport={"width": 360, "height": 740}, locale="en-GB"
    )
    phone.set_default_timeout(15_000)
    try:
        app_page = phone.new_page()
        app_page.goto(link)
        app_page.wait_for_selector("body[data-ready=true]")
        field = app_page.get_by_label("Enrolment code from your care team")
        expect(field).to_have_value(code)
        assert "code=" not in app_page.url  # taken out of the address
        app_page.get_by_label("Choose a password (8 characters or more)").fill(PASSWORD)
        app_page.get_by_role("button", name="Enrol").click()
        expect(app_page.get_by_role("heading", name="How are you today?")).to_be_visible()
    finally:
        phone.close()
    patient.refresh_from_db()
    assert patient.user is not None


def test_a_nurse_finds_a_patient_by_name_in_the_patient_list(
    app: AppServer, page: Any, artifacts: Any
) -> None:
    clinic = clinic_with_nurse()
    people = [
        ("Adaeze Okafor", "RX1 234 567", "trastuzumab_deruxtecan", "red"),
        ("Bernard Whitlock", "RX2 345 678", "zongertinib", "amber"),
        ("Chiara Benedetti", "RX3 456 789", "sevabertinib", None),
        ("Dmitri Volkov", "RX4 567 890", "zongertinib", None),
    ]
    now = timezone.now()
    for n, (name, number, drug, level) in enumerate(people):
        patient = with_contact(clinic, name, number, f"+44 20 7946 0{300 + n}", drug=drug)
        if level:
            make_alert(patient, level=level, kind="ild" if level == "red" else "gi")
        for day in range(n * 2):
            record_entry(patient, now - timedelta(days=day, hours=2))
    sign_in(page, NURSE)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    rows = page.locator("table.patients tbody tr")
    expect(rows).to_have_count(4)
    page.screenshot(path=str(artifacts / "patients.png"))
    assert_accessible(page, "patient list")
    page.get_by_label("Name, hospital number or study number").fill("okafor")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Adaeze Okafor")
    expect(rows.first).to_contain_text("RED")
    page.get_by_label("Name, hospital number or study number").fill("rx3456789")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Chiara Benedetti")
