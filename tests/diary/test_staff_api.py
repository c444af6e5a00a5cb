"""Clinician-entered observations: every clinician-entered example through the staff API."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from diary.grading import TERMS
from diary.models import ClinicianObservation, StaffRole
from tests.grading.sources import rows
from tests.helpers import enroll, make_clinic, make_staff

pytestmark = pytest.mark.django_db

EXAMPLES = rows("grading_examples.tsv")
CLINICIAN = [r for r in EXAMPLES if not TERMS[r["term"]].self_reportable]


def url(subject_id: str) -> str:
    return f"/api/v1/staff/patients/{subject_id}/observations/"


def staff_client(clinic, role=StaffRole.NURSE) -> APIClient:
    client = APIClient()
    client.force_login(make_staff(clinic, role))
    return client


@pytest.mark.parametrize("row", CLINICIAN, ids=[r["case_id"] for r in CLINICIAN])
def test_clinician_entered_example_grades_through_the_staff_api(row):
    clinic = make_clinic()
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan")
    client = staff_client(clinic, StaffRole.ONCOLOGIST)
    body = {"term": row["term"], "inputs": json.loads(row["inputs"])}
    response = client.post(url(patient.subject_id), body, format="json")
    assert response.status_code == 201, response.content
    graded = response.json()["grade"]
    if row["expected_grade"] == "insufficient":
        assert graded["status"] == "insufficient" and graded["grade"] is None
    else:
        assert (graded["status"], graded["grade"]) == ("graded", int(row["expected_grade"]))
    listed = client.get(url(patient.subject_id)).json()
    assert listed[0]["grade"] == graded


def test_staff_reach_only_their_clinics_patients():
    mine, theirs = make_clinic("AAA"), make_clinic("BBB")
    other_patient, _ = enroll(theirs)
    client = staff_client(mine)
    body = {"term": "alt_increased", "inputs": {"alt_x_uln": 4}}
    assert client.post(url(other_patient.subject_id), body, format="json").status_code == 404
    assert client.get(url(other_patient.subject_id)).status_code == 404
    assert client.get(url("NOBODY")).status_code == 404
    assert ClinicianObservation.objects.count() == 0


def test_data_managers_read_but_do_not_record():
    clinic = make_clinic()
    patient, _ = enroll(clinic)
    client = staff_client(clinic, StaffRole.DATA_MANAGER)
    body = {"term": "alt_increased", "inputs": {"alt_x_uln": 4}}
    assert client.post(url(patient.subject_id), body, format="json").status_code == 403
    assert client.get(url(patient.subject_id)).status_code == 200


def test_patients_and_anonymous_callers_cannot_use_the_staff_api():
    from tests.helpers import enrolled_client

    clinic = make_clinic()
    patient, patient_client = enrolled_client(clinic)
    assert patient_client.get(url(patient.subject_id)).status_code in {401, 403}
    assert APIClient().get(url(patient.subject_id)).status_code in {401, 403}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"term": "alt_increased", "inputs": {"alt_x_uln": "high"}}, "inputs.alt_x_uln"),
        ({"term": "alt_increased", "inputs": {"colour": 1}}, "inputs.colour"),
        ({"term": "no_such_term", "inputs": {}}, "term"),
        ({"term": "alt_increased", "inputs": {}, "extra": 1}, "extra"),
        ({"term": "alt_increased", "inputs": {"alt_x_uln": 2}, "observed_at": "x"}, "observed_at"),
    ],
)
def test_bad_observations_are_400_and_nothing_is_stored(body, field):
    clinic = make_clinic()
    patient, _ = enroll(clinic)
    response = staff_client(clinic).post(url(patient.subject_id), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert ClinicianObservation.objects.count() == 0
