"""The patient list, enrolment from the dashboard and the app code (issue 15, item 4)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from diary.models import EnrollmentCode, Patient, StaffRole
from identity import services as identity_services
from identity.models import Action, AuditEvent, Contact, PatientIdentity
from tests.helpers import (
    PASSWORD,
    enroll,
    make_alert,
    make_clinic,
    make_staff,
    record_entry,
    staff_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("PTL")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, StaffRole.NURSE)


def patient_with(clinic, name, number, drug="zongertinib", **kwargs):
    patient, _ = enroll(clinic, drug, **kwargs)
    identity_services.save_contact(
        patient=patient,
        contact=Contact(name=name, hospital_number=number, phone="+44 20 7946 0999"),
        user=None,
    )
    return patient


def shown_code(html: str) -> str:
    match = re.search(r'data-code="([A-Z0-9-]+)"', html)
    assert match is not None, "no enrolment code on the page"
    return match.group(1)


def subjects(response) -> list[str]:
    return re.findall(r'href="/staff/patients/([A-Z0-9-]+)/"', response.content.decode())


def search(client, page: int | None = None, **data):
    """Search as the form does: a POST, then the list at the address it redirects to."""
    response = client.post("/staff/patients/", data)
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    if data.get("q"):
        assert data["q"] not in location
    if page is not None:
        location += f"&page={page}"
    return client.get(location)


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_a_nurse_names_and_numbers_and_audits_each_shown_patient(clinic, nurse):
    ada = patient_with(clinic, "Ada Lovelace", "RX100")
    bob = patient_with(clinic, "Bob Marley", "RX200")
    response = staff_client(nurse).get("/staff/patients/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html and "RX200" in html
    assert set(subjects(response)) == {ada.subject_id, bob.subject_id}
    viewed = AuditEvent.objects.filter(action=Action.VIEWED, screen="patient_list", user=nurse)
    assert sorted(viewed.values_list("patient_id", flat=True)) == sorted([ada.pk, bob.pk])


def test_a_data_manager_sees_study_numbers_only_and_nothing_is_audited(clinic):
    ada = patient_with(clinic, "Ada Lovelace", "RX100")
    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    client = staff_client(manager)
    html = client.get("/staff/patients/").content.decode()
    assert ada.subject_id in html and "Ada" not in html and "RX100" not in html
    assert not AuditEvent.objects.filter(user=manager).exists()
    # A name search finds nothing for them: they search study numbers only.
    assert subjects(search(client, q="Lovelace")) == []


def test_another_clinics_patients_are_never_listed_or_found(clinic, nurse):
    patient_with(make_clinic("OTH"), "Ada Lovelace", "RX100")
    client = staff_client(nurse)
    assert subjects(client.get("/staff/patients/")) == []
    assert subjects(search(client, q="Lovelace")) == []
    assert subjects(search(client, q="RX100")) == []


@pytest.mark.parametrize("text", ["lovelace", "ADA", "rx-100", "PTL-"])
def test_search_by_name_word_hospital_number_or_study_number(clinic, nurse, text):
    ada = patient_with(clinic, "Ada Lovelace", "RX100")
    other = patient_with(clinic, "Bob Marley", "RX200")
    found = subjects(search(staff_client(nurse), q=text))
    assert ada.subject_id in found
    assert (other.subject_id in found) == (text == "PTL-")


def test_filters_by_drug_open_alert_and_diary_completion(clinic, nurse):
    red = patient_with(clinic, "Red One", "R1", drug="trastuzumab_deruxtecan")
    amber = patient_with(clinic, "Amber Two", "A2")
    both = patient_with(clinic, "Both Three", "B3")
    quiet = patient_with(clinic, "Quiet Four", "Q4")
    make_alert(red, level="red", kind="ild")
    make_alert(amber, level="amber")
    make_alert(both, level="amber")
    make_alert(both, level="red", kind="fever")
    make_alert(quiet, level="red", status="resolved")  # closed: not open
    now = timezone.now()
    for days in range(5):
        record_entry(quiet, now - timedelta(days=days, hours=1))
    record_entry(amber, now - timedelta(days=1))
    record_entry(red, now - timedelta(days=10))  # outside the 7 days
    client = staff_client(nurse)

    def shown(**params):
        return set(subjects(client.get("/staff/patients/", params)))

    assert shown(drug="trastuzumab_deruxtecan") == {red.subject_id}
    assert shown(alerts="red") == {red.subject_id, both.subject_id}
    assert shown(alerts="amber") == {amber.subject_id}
    assert shown(alerts="none") == {quiet.subject_id}
    assert shown(diary="none") == {red.subject_id, both.subject_id}
    assert shown(diary="some") == {amber.subject_id}
    assert shown(diary="most") == {quiet.subject_id}
    assert shown(alerts="red", drug="zongertinib") == {both.subject_id}


def test_an_unknown_filter_value_is_a_400_showing_every_patient(clinic, nurse):
    ada = patient_with(clinic, "Ada Lovelace", "RX100")
    response = staff_client(nurse).get("/staff/patients/", {"alerts": "purple", "page": "x"})
    assert response.status_code == 400
    assert subjects(response) == [ada.subject_id]


def test_the_list_is_paged_in_a_constant_number_of_queries(
    clinic, nurse, django_assert_max_num_queries
):
    client = staff_client(nurse)
    patient_with(clinic, "First Patient", "X0")
    client.get("/staff/patients/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        search(client, q="Patient")
    for n in range(1, 31):
        p = patient_with(clinic, f"Patient Number{n}", f"X{n}")
        make_alert(p, level="red" if n % 2 else "amber")
        record_entry(p, timezone.now() - timedelta(hours=n))
    with django_assert_max_num_queries(len(few)):
        response = search(client, q="Patient")
    assert len(subjects(response)) == 25
    with django_assert_max_num_queries(len(few)):
        second = search(client, q="Patient", page=2)
    assert len(subjects(second)) == 6
    assert "Page 2 of 2" in second.content.decode()


def test_the_search_text_never_goes_into_the_address(clinic, nurse):
    """Patient data never goes into URLs: the form posts the search, the list's address holds
    an opaque token that only this session can read, and the filters (no patient data)."""
    ada = patient_with(clinic, "Ada Lovelace", "RX100")
    bob = patient_with(clinic, "Bob Marley", "RX200")
    client = staff_client(nurse)
    response = client.post("/staff/patients/", {"q": "Lovelace", "drug": "zongertinib"})
    assert response.status_code == 302
    location = response["Location"]
    assert "Lovelace" not in location
    assert "drug=zongertinib" in location
    listed = client.get(location)
    assert subjects(listed) == [ada.subject_id]
    html = listed.content.decode()
    assert 'value="Lovelace"' in html  # the box still shows what was searched
    # A name in the address is not a search (nothing to bookmark or share).
    assert set(subjects(client.get("/staff/patients/", {"q": "Lovelace"}))) == {
        ada.subject_id,
        bob.subject_id,
    }
    # Another session cannot read the search behind the token.
    other = staff_client(make_staff(clinic, StaffRole.NURSE))
    stranger = other.get(location)
    assert stranger.status_code == 200
    assert set(subjects(stranger)) == {ada.subject_id, bob.subject_id}
    assert "search again" in stranger.content.decode()


def test_the_search_text_is_not_logged(clinic, nurse, caplog):
    patient_with(clinic, "Ada Lovelace", "RX100")
    with caplog.at_level(logging.DEBUG):
        search(staff_client(nurse), q="Lovelace RX100")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/staff/patients/" in logged  # the access line
    assert "Lovelace" not in logged and "RX100" not in logged


# --- enrolment --------------------------------------------------------------------------------

ENROL_FORM = {
    "name": "Grace Hopper",
    "hospital_number": "RX 777 001",
    "phone": "+44 20 7946 0777",
    "other_phone": "",
    "preferred_language": "English",
    "emergency_name": "Vincent Hopper",
    "emergency_phone": "+44 20 7946 0778",
    "drug": "trastuzumab_deruxtecan",
    "dose_level": "",
    "started_on": "",
    "birth_date": "1960-05-01",
    "sob_exertion": "moderate",
    "cough_severity": "mild",
    "spo2_rest": "96",
    "spo2_exertion": "93",
    "stools_per_day": "1",
    "weight_kg": "62.5",
    "composites": "",
    "brain_metastases": "on",
    "home_oximeter": "on",
    "risk_factors": ["lung_comorbidity", "prior_ild"],
}


def test_a_nurse_enrols_a_patient_and_is_shown_the_code_and_its_qr_which_the_app_redeems(
    clinic, nurse
):
    client = staff_client(nurse)
    response = client.post("/staff/patients/enrol/", ENROL_FORM, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/code/")  # post/redirect/get
    html = response.content.decode()
    code = shown_code(html)
    assert 'src="data:image/svg+xml;base64,' in html
    assert f"/app/#code={code}" in html
    assert "Waiting, until" in html  # the codes issued, this one among them
    patient = Patient.objects.get(clinic=clinic)
    assert patient.baseline_sob_exertion == "moderate"
    assert patient.baseline_cough_severity == "mild"
    assert (patient.baseline_spo2_rest, patient.baseline_spo2_exertion) == (96, 93)
    assert patient.brain_metastases and patient.home_oximeter and not patient.stoma
    assert patient.lung_comorbidity and patient.prior_ild and not patient.renal_impairment
    course = patient.current_course()
    assert course is not None and course.drug == "trastuzumab_deruxtecan"
    contact = PatientIdentity.objects.get(patient=patient).contact()
    assert (contact.name, contact.hospital_number) == ("Grace Hopper", "RX 777 001")
    assert contact.emergency_phone == "+44 20 7946 0778"
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", "user"))
    assert actions == {(Action.CHANGED, nurse.pk), (Action.CODE_ISSUED, nurse.pk)}
    assert EnrollmentCode.objects.get(patient=patient).created_by == nurse
    # Reloading the page shows the code no more and enrols nobody again.
    again = client.get(response.redirect_chain[-1][0]).content.decode()
    assert code not in again and "data-code" not in again
    assert Patient.objects.count() == 1
    redeemed = APIClient().post(
        "/api/v1/auth/enroll/", {"code": code, "password": PASSWORD}, format="json"
    )
    assert redeemed.status_code == 201
    assert redeemed.json()["subject_id"] == patient.subject_id


@pytest.mark.parametrize(
    "change,field",
    [
        ({"cough_severity": ""}, "cough_severity"),
        ({"sob_exertion": ""}, "sob_exertion"),
        ({"spo2_rest": ""}, "spo2_rest"),  # needed on T-DXd
        ({"spo2_rest": "130"}, "spo2_rest"),
        ({"phone": "call me"}, "phone"),
        ({"name": ""}, "name"),
        ({"dose_level": "zon_120"}, "dose_level"),  # not a dose of T-DXd
        ({"risk_factors": ["smoker"]}, "risk_factors"),
    ],
)
def test_a_bad_enrolment_is_a_400_that_creates_nothing(clinic, nurse, change, field):
    response = staff_client(nurse).post("/staff/patients/enrol/", {**ENROL_FORM, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Patient.objects.exists() and not PatientIdentity.objects.exists()


def test_a_tki_patient_without_an_oximeter_needs_no_spo2_baseline(clinic, nurse):
    body = {**ENROL_FORM, "drug": "zongertinib", "spo2_rest": "", "spo2_exertion": ""}
    body.pop("home_oximeter")
    assert staff_client(nurse).post("/staff/patients/enrol/", body).status_code == 302
    assert Patient.objects.get().baseline_spo2_rest is None


def test_a_data_manager_cannot_enrol(clinic):
    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    assert staff_client(manager).post("/staff/patients/enrol/", ENROL_FORM).status_code == 403
    assert not Patient.objects.exists()


def test_the_patient_page_links_contact_details_and_code_for_nurses_only(clinic, nurse):
    patient, _ = enroll(clinic)
    links = [
        f'href="/staff/patients/{patient.subject_id}/contact/"',
        f'href="/staff/patients/{patient.subject_id}/code/"',
    ]
    page = staff_client(nurse).get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert all(link in page for link in links)
    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    page = staff_client(manager).get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert not any(link in page for link in links)


# --- the app code: re-issue and revoke --------------------------------------------------------


def redeem(code):
    return APIClient().post(
        "/api/v1/auth/enroll/", {"code": code, "password": PASSWORD}, format="json"
    )


def test_re_issuing_shows_a_new_code_and_ends_the_old_one(clinic, nurse):
    patient, old = enroll(clinic)
    response = staff_client(nurse).post(
        f"/staff/patients/{patient.subject_id}/code/", {"action": "issue"}, follow=True
    )
    new = shown_code(response.content.decode())
    assert new != old
    assert redeem(old).status_code == 400
    assert redeem(new).status_code == 201
    assert AuditEvent.objects.filter(
        patient=patient, user=nurse, action=Action.CODE_REISSUED
    ).exists()


def test_a_revoked_code_fails_in_the_api_error_shape_with_its_own_words(clinic, nurse):
    patient, code = enroll(clinic)
    client = staff_client(nurse)
    response = client.post(f"/staff/patients/{patient.subject_id}/code/", {"action": "revoke"})
    assert response.status_code == 302
    row = EnrollmentCode.objects.get(patient=patient)
    assert row.revoked_by == nurse and row.revoked_at is not None
    answer = redeem(code)
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "invalid_enrollment_code"  # the documented code (api.md)
    assert "withdrawn" in body["message"]
    assert AuditEvent.objects.filter(
        patient=patient, user=nurse, action=Action.CODE_REVOKED
    ).exists()
    page = client.get(f"/staff/patients/{patient.subject_id}/code/").content.decode()
    assert "Revoked" in page


def test_an_unknown_code_action_is_a_400_that_changes_nothing(clinic, nurse):
    patient, code = enroll(clinic)
    response = staff_client(nurse).post(
        f"/staff/patients/{patient.subject_id}/code/", {"action": "delete"}
    )
    assert response.status_code == 400
    assert redeem(code).status_code == 201


def test_a_nurse_changes_contact_details_and_the_change_is_audited(clinic, nurse):
    patient = patient_with(clinic, "Ada Lovelace", "RX100")
    client = staff_client(nurse)
    page = client.get(f"/staff/patients/{patient.subject_id}/contact/")
    assert "Ada Lovelace" in page.content.decode()
    body = {"name": "Ada King", "hospital_number": "RX100", "phone": "+44 20 7946 0100"}
    assert client.post(f"/staff/patients/{patient.subject_id}/contact/", body).status_code == 302
    assert PatientIdentity.objects.get(patient=patient).contact().name == "Ada King"
    screens = set(AuditEvent.objects.filter(user=nurse).values_list("action", "screen"))
    assert screens == {(Action.VIEWED, "contact"), (Action.CHANGED, "contact")}
    bad = client.post(f"/staff/patients/{patient.subject_id}/contact/", {**body, "phone": "x"})
    assert bad.status_code == 400
