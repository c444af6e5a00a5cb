"""Every example of the reference's grading_examples.tsv through the mobile API."""

from __future__ import annotations

import json

import pytest

from diary.grading import TERMS
from tests.grading.sources import rows
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db

EXAMPLES = rows("grading_examples.tsv")
SELF_REPORTED = [r for r in EXAMPLES if TERMS[r["term"]].self_reportable]
CLINICIAN = [r for r in EXAMPLES if not TERMS[r["term"]].self_reportable]


@pytest.mark.parametrize("row", SELF_REPORTED, ids=[r["case_id"] for r in SELF_REPORTED])
def test_self_reported_example_grades_through_the_api(row):
    _, client = enrolled_client(make_clinic())
    body = entry_body(symptoms={row["term"]: json.loads(row["inputs"])})
    response = client.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 201, response.content
    graded = response.json()["grades"][row["term"]]
    if row["expected_grade"] == "insufficient":
        assert graded["status"] == "insufficient"
        assert graded["grade"] is None and graded["missing"]
    else:
        assert graded["status"] == "graded"
        assert graded["grade"] == int(row["expected_grade"])
    assert graded["ctcae_version"] == "5.0"
    stored = client.get(f"/api/v1/entries/{body['id']}/").json()["grades"][row["term"]]
    assert stored == graded


@pytest.mark.parametrize("row", CLINICIAN, ids=[r["case_id"] for r in CLINICIAN])
def test_clinician_entered_terms_are_refused_from_patients(row):
    _, client = enrolled_client(make_clinic())
    body = entry_body(symptoms={row["term"]: json.loads(row["inputs"])})
    response = client.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 400
    assert f"symptoms.{row['term']}" in response.json()["fields"]


def test_alert_only_terms_answer_not_graded():
    _, client = enrolled_client(make_clinic(), "zongertinib")
    body = entry_body(symptoms={"liver_symptoms": {"jaundice": False, "dark_urine": False}})
    grades = client.post("/api/v1/entries/", body, format="json").json()["grades"]
    assert grades["liver_symptoms"] == {
        "grade": None,
        "status": "not_graded",
        "criteria": [],
        "ctcae_version": "5.0",
    }
