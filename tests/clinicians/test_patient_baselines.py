"""The patient page shows the baselines (reference §5.2, §5.5) and lets nurses and oncologists
change them; every change is audited (issue 11 item 4)."""

from __future__ import annotations

from typing import Any

import pytest

from diary.models import BaselineChange, Patient, StaffRole
from tests.helpers import enroll, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Any:
    return make_clinic()


@pytest.fixture
def patient(clinic: Any) -> Patient:
    return enroll(
        clinic,
        "trastuzumab_deruxtecan",
        neuro_baseline={"headache": "mild"},
        stoma=True,
    )[0]


def form(**changes: Any) -> dict[str, Any]:
    data = {"stools_per_day": "1", "spo2_rest": "97", "spo2_exertion": "95", "reason": "clinic"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def url(patient: Patient) -> str:
    return f"/staff/patients/{patient.subject_id}/baselines/"


def test_the_patient_page_shows_the_new_baselines_and_the_edit_form_to_a_nurse(clinic, patient):
    nurse = staff_client(make_staff(clinic, StaffRole.NURSE))
    body = nurse.get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert "Neurological deficits" in body and "Headache (mild)" in body
    assert "Stoma" in body
    assert "Save baselines" in body


def test_a_data_manager_sees_the_baselines_but_no_edit_form_and_cannot_post(clinic, patient):
    manager = staff_client(make_staff(clinic, StaffRole.DATA_MANAGER))
    body = manager.get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert "Headache (mild)" in body and "Save baselines" not in body
    assert manager.post(url(patient), form(cough_severity="mild")).status_code == 403
    assert not BaselineChange.objects.exists()


def test_a_nurse_saves_baselines_and_the_change_is_audited(clinic, patient):
    nurse = staff_client(make_staff(clinic, StaffRole.NURSE))
    response = nurse.post(
        url(patient),
        form(cough_severity="mild", neuro_headache="mild", neuro_seizure="on", stoma="on"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.baseline_cough_severity == "mild"
    assert patient.baseline_neuro == {"headache": "mild", "seizure": True}
    changes = {c.field: c for c in BaselineChange.objects.filter(patient=patient)}
    assert set(changes) == {"cough_severity", "neuro"}
    assert changes["neuro"].old == {"headache": "mild"}
    assert changes["neuro"].changed_by is not None and changes["neuro"].reason == "clinic"
    page = nurse.get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert "Cough (baseline)" in page


def test_a_bad_baseline_is_shown_on_the_form_and_changes_nothing(clinic, patient):
    oncologist = staff_client(make_staff(clinic, StaffRole.ONCOLOGIST))
    response = oncologist.post(url(patient), form(composites="cough=7", stoma="on"))
    assert response.status_code == 400
    assert "composite grade" in response.content.decode()
    assert not BaselineChange.objects.exists()


def test_another_clinics_nurse_cannot_change_the_baselines(patient):
    other = staff_client(make_staff(make_clinic("OTH"), StaffRole.NURSE))
    assert other.post(url(patient), form(cough_severity="mild")).status_code == 404
    assert not BaselineChange.objects.exists()
