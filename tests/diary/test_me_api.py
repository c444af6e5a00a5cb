from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from diary.models import TreatmentCourse
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic()


def test_me_gives_the_contract_fields(clinic):
    patient, client = enrolled_client(
        clinic, "trastuzumab_deruxtecan", timezone_name="Europe/Berlin"
    )
    data = client.get("/api/v1/me/").json()
    assert data["subject_id"] == patient.subject_id
    assert data["clinic"] == "TST"
    assert data["timezone"] == "Europe/Berlin"
    assert data["treatment"]["drug"] == "trastuzumab_deruxtecan"
    assert data["treatment"]["drug_class"] == "adc"
    assert data["treatment"]["status"] == "active"
    assert data["treatment"]["dose_level"] == "5.4_mg_kg"
    assert data["baseline"] == {
        "stools_per_day": 1,
        "spo2_rest": 97,
        "spo2_exertion": 95,
        "sob_exertion": None,
        "weight_kg": None,
        "cough_severity": None,
    }
    assert "24-hour line" in data["urgent_advice"]


def test_tdxd_patients_are_asked_respiratory_fever_gi_and_fatigue(clinic):
    _, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
    terms = client.get("/api/v1/me/").json()["report_terms"]
    for term in (
        "dyspnea",
        "cough",
        "hypoxia",
        "fever",
        "diarrhea",
        "nausea",
        "vomiting",
        "fatigue",
    ):
        assert term in terms
    assert "paronychia" not in terms
    assert "headache" not in terms


@pytest.mark.parametrize("drug", ["zongertinib", "sevabertinib"])
def test_tki_patients_are_asked_gi_skin_nails_mouth_and_fatigue(clinic, drug):
    _, client = enrolled_client(clinic, drug)
    terms = client.get("/api/v1/me/").json()["report_terms"]
    for term in (
        "diarrhea",
        "rash_acneiform",
        "dry_skin",
        "paronychia",
        "mucositis_oral",
        "fatigue",
    ):
        assert term in terms
    assert client.get("/api/v1/me/").json()["treatment"]["drug_class"] == "tki"


def test_brain_metastases_add_the_neurological_terms(clinic):
    _, client = enrolled_client(clinic, "zongertinib", brain_metastases=True)
    terms = client.get("/api/v1/me/").json()["report_terms"]
    for term in ("headache", "seizure", "confusion", "dysphasia", "vision_change"):
        assert term in terms


def test_liver_questions_are_asked_weekly_in_the_first_12_weeks_on_a_tki(clinic):
    patient, client = enrolled_client(clinic, "sevabertinib")
    assert "liver_symptoms" in client.get("/api/v1/me/").json()["report_terms"]
    body = entry_body(
        symptoms={
            "liver_symptoms": {
                "jaundice": False,
                "dark_urine": False,
                "right_upper_abdominal_pain": False,
            }
        }
    )
    assert client.post("/api/v1/entries/", body, format="json").status_code == 201
    assert "liver_symptoms" not in client.get("/api/v1/me/").json()["report_terms"]
    TreatmentCourse.objects.filter(patient=patient).update(
        started_on=timezone.localdate() - timedelta(weeks=13)
    )
    assert "liver_symptoms" not in client.get("/api/v1/me/").json()["report_terms"]


def test_zongertinib_starting_dose_follows_body_weight(clinic):
    from diary.services import Baseline
    from tests.helpers import enroll

    heavy, _ = enroll(clinic, "zongertinib", baseline=Baseline(weight_kg=Decimal(95)))
    light, _ = enroll(clinic, "zongertinib", baseline=Baseline(weight_kg=Decimal("89.9")))
    assert [p.courses.get().dose_level for p in (heavy, light)] == ["180_mg_qd", "120_mg_qd"]


def test_ild_risk_factors_include_the_derived_ones(clinic):
    from diary.services import Baseline
    from tests.helpers import enroll

    patient, _ = enroll(
        clinic,
        "trastuzumab_deruxtecan",
        birth_date=date(1970, 6, 1),
        baseline=Baseline(spo2_rest=94),
        risk_factors=["prior_ild"],
    )
    factors = patient.ild_risk_factors(today=date(2026, 11, 24))
    assert factors == ["age_under_65", "prior_ild", "baseline_spo2_under_95"]
    assert patient.ild_risk_factors(today=date(2035, 6, 1)) == [
        "prior_ild",
        "baseline_spo2_under_95",
    ]


def test_every_patient_is_asked_about_chills_and_tdxd_patients_about_abdominal_pain(clinic):
    for drug in ("trastuzumab_deruxtecan", "zongertinib", "sevabertinib", "other"):
        _, client = enrolled_client(clinic, drug)
        terms = client.get("/api/v1/me/").json()["report_terms"]
        assert "chills" in terms, drug
    _, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
    assert "abdominal_pain" in client.get("/api/v1/me/").json()["report_terms"]


def test_spo2_is_asked_of_a_tki_patient_only_with_a_home_oximeter(clinic):
    _, without = enrolled_client(clinic, "zongertinib")
    assert "hypoxia" not in without.get("/api/v1/me/").json()["report_terms"]
    _, with_one = enrolled_client(clinic, "zongertinib", home_oximeter=True)
    data = with_one.get("/api/v1/me/").json()
    assert "hypoxia" in data["report_terms"]
    assert data["report_fields"]["hypoxia"] == ["spo2_rest", "spo2_exertion", "intermittent_oxygen"]


def test_report_fields_ask_a_stoma_patient_for_ostomy_output_instead_of_the_stool_count(clinic):
    _, stoma = enrolled_client(clinic, "zongertinib", stoma=True)
    data = stoma.get("/api/v1/me/").json()
    assert "diarrhea" in data["report_terms"]
    assert data["report_fields"]["diarrhea"] == ["ostomy_output_increase"]
    assert set(data["report_fields"]) == set(data["report_terms"])
    _, other = enrolled_client(clinic, "zongertinib")
    assert other.get("/api/v1/me/").json()["report_fields"]["diarrhea"] == ["stools_over_baseline"]
