"""The clinical safety review (issue 11), bullet by bullet, through the mobile API.

Each test reproduces one thing the reviewer saw on the demo and holds the fix to the clarified
reference (../shared/clinical/reference.md §1.2-§1.3, §5.1-§5.5, §5.8). What the app tells the
patient must come from the same evaluation that alerts the care team, and never be calmer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Alert
from diary import services
from tests.helpers import enrolled_client, entry_body, make_clinic, response_body

pytestmark = pytest.mark.django_db
# Until its fix lands on main: strict, so a test that starts passing must lose its marker.
IN_PROGRESS = pytest.mark.xfail(strict=True, reason="issue 11 in progress")

TDXD = "trastuzumab_deruxtecan"
ZONGERTINIB = "zongertinib"
CALMER_WORDING = ("within 24 hours", "Keep recording how you feel", "we will ask again")


@pytest.fixture
def clinic():  # type: ignore[no-untyped-def]
    return make_clinic("SAFE", phone_24h="+44 20 7000 0000")


def post(client: Any, symptoms: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/entries/", entry_body(symptoms=symptoms, **extra), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def assert_red_answer(body: dict[str, Any], *, says: str) -> None:
    """A RED answer: RED everywhere, the 24-hour line and the emergency number, the kind's RED
    text, and no AMBER or GREEN wording anywhere."""
    assert body["alert_level"] == "red"
    assert body["advice_summary"]["level"] == "red"
    assert body["advice"], "a RED answer always carries advice"
    assert {item["level"] for item in body["advice"]} == {"red"}
    texts = [body["advice_summary"]["text"], *(item["text"] for item in body["advice"])]
    everything = "\n".join(texts)
    assert "+44 20 7000 0000" in body["advice_summary"]["text"]
    assert "emergency number" in body["advice_summary"]["text"]
    assert says.lower() in everything.lower()
    for calmer in CALMER_WORDING:
        assert calmer.lower() not in everything.lower(), calmer


# --- advice calmer than the alert ---------------------------------------------------------------


def test_a_seizure_answer_tells_the_carer_seizure_first_aid_and_to_call_now(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB, brain_metastases=True)
    body = post(client, {"seizure": {"seizure_type": "generalized"}})
    assert_red_answer(body, says="on their side")
    assert "5 minutes" in "\n".join(item["text"] for item in body["advice"])


@pytest.mark.parametrize(
    "symptoms",
    [
        {"confusion": {"disorientation": "mild"}},
        {"muscle_weakness_left_sided": {"one_sided_weakness": True}},
        {"headache": {"pain_severity": "mild"}, "vomiting": {"vomiting_episodes_24h": 1}},
    ],
    ids=["new-confusion", "new-one-sided-weakness", "headache-with-vomiting"],
)
def test_a_new_neurological_symptom_is_told_as_red_cns_advice(clinic, symptoms):
    _, client = enrolled_client(clinic, ZONGERTINIB, brain_metastases=True)
    body = post(client, symptoms)
    assert_red_answer(body, says="call the team")


@pytest.mark.parametrize(
    "symptoms",
    [
        {"diarrhea": {"stools_over_baseline": 2, "blood_in_stool": True}},
        {"diarrhea": {"stools_over_baseline": 2}, "fever": {"temp_c": 38.4}},
        {"diarrhea": {"stools_over_baseline": 2}, "dehydration": {"dizzy_on_standing": True}},
    ],
    ids=["blood", "fever", "dizzy"],
)
def test_complicated_diarrhea_is_told_not_to_take_more_loperamide(clinic, symptoms):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, symptoms)
    assert_red_answer(body, says="do not take more loperamide")


def test_seven_vomiting_episodes_are_told_as_red(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"vomiting": {"vomiting_episodes_24h": 7}})
    assert_red_answer(body, says="call")


def test_a_resting_spo2_of_92_on_tdxd_is_told_as_a_possible_lung_side_effect(clinic):
    _, client = enrolled_client(clinic, TDXD)
    body = post(client, {"hypoxia": {"spo2_rest": 92}})
    assert_red_answer(body, says="lung")


def test_jaundice_on_a_tki_is_told_to_call_now(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"liver_symptoms": {"jaundice": True}})
    assert_red_answer(body, says="yellow")


def test_a_fever_is_told_not_to_hide_it_with_paracetamol(clinic):
    _, client = enrolled_client(clinic, TDXD)
    body = post(client, {"fever": {"temp_c": 38.2}})
    assert_red_answer(body, says="paracetamol")


def test_an_amber_answer_says_the_team_will_call_within_24_hours_and_nothing_red(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"diarrhea": {"stools_over_baseline": 5}})
    assert body["alert_level"] == "amber"
    assert body["advice_summary"]["level"] == "amber"
    assert "24 hours" in body["advice_summary"]["text"]
    assert {item["level"] for item in body["advice"]} <= {"amber", "green"}
    assert any(item["level"] == "amber" for item in body["advice"])


def test_a_green_answer_promises_no_review_by_the_team(clinic):
    # Fatigue not relieved by rest is CTCAE G2 but no alert rule fires: the old advice promised a
    # review within 24 hours that nobody had been asked to do.
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"fatigue": {"fatigue": True, "relieved_by_rest": False}})
    assert body["alert_level"] == "green"
    assert body["advice_summary"]["level"] == "green"
    assert {item["level"] for item in body["advice"]} <= {"green"}
    assert "within 24 hours" not in str(body)


def test_tki_diarrhea_counselling_names_the_tablet_rules(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"diarrhea": {"stools_over_baseline": 2}})
    text = "\n".join(item["text"] for item in body["advice"] if item["term"] == "diarrhea")
    assert "vomited" in text and "dose" in text


def test_a_replay_and_the_entry_read_back_carry_the_same_advice(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB, brain_metastases=True)
    body = entry_body(symptoms={"seizure": {"seizure_type": "generalized"}})
    first = client.post("/api/v1/entries/", body, format="json").json()
    replay = client.post("/api/v1/entries/", body, format="json").json()
    read = client.get(f"/api/v1/entries/{body['id']}/").json()
    assert first["advice"] == replay["advice"] == read["advice"]
    assert first["advice_summary"] == replay["advice_summary"] == read["advice_summary"]


# --- PRO-CTCAE answers reach the rules -------------------------------------------------------


def proctcae_answers(**given: int) -> dict[str, int]:
    from diary import instruments

    answers = {i.code: 0 for i in instruments.get("proctcae_tdxd").items if i.enable_when is None}
    answers.update(given)
    return answers


def test_a_tdxd_questionnaire_with_severe_breathlessness_raises_a_red_alert(clinic):
    patient, client = enrolled_client(clinic, TDXD)
    answers = proctcae_answers(
        PROCTCAE_19A=4, PROCTCAE_19B=4, PROCTCAE_20A=3, PROCTCAE_20B=3, PROCTCAE_16A=4
    )
    response = client.post(
        "/api/v1/questionnaires/responses/",
        response_body("proctcae_tdxd", answers),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["alert_level"] == "red"
    assert body["advice_summary"]["level"] == "red"
    assert Alert.objects.filter(patient=patient, kind="ild", level="red").exists()


# --- baselines and "new" ------------------------------------------------------------------------


def test_a_stable_chronic_cough_in_the_baseline_raises_nothing_for_tdxd_with_a_risk_factor(clinic):
    _, client = enrolled_client(
        clinic,
        TDXD,
        risk_factors=["lung_comorbidity"],
        baseline=services.Baseline(spo2_rest=97, spo2_exertion=95, cough_severity="mild"),
    )
    for _ in range(3):
        body = post(client, {"cough": {"cough_severity": "mild"}})
        assert body["alert_level"] == "green"


def test_a_one_sided_weakness_that_resolved_and_came_back_is_new_again(clinic):
    patient, client = enrolled_client(clinic, ZONGERTINIB, brain_metastases=True)
    now = timezone.now()
    first = post(
        client,
        {"muscle_weakness_left_sided": {"one_sided_weakness": True}},
        recorded_at=now - timedelta(days=3),
    )
    assert first["alert_level"] == "red"
    Alert.objects.filter(patient=patient).update(status="resolved", resolved_at=now)
    post(
        client,
        {"muscle_weakness_left_sided": {"one_sided_weakness": False}},
        recorded_at=now - timedelta(days=2),
    )
    again = post(client, {"muscle_weakness_left_sided": {"one_sided_weakness": True}})
    assert again["alert_level"] == "red"


def test_a_deficit_in_the_neurological_baseline_is_not_new(clinic):
    _, client = enrolled_client(
        clinic,
        ZONGERTINIB,
        brain_metastases=True,
        neuro_baseline={"muscle_weakness_left_sided": True},
    )
    body = post(client, {"muscle_weakness_left_sided": {"one_sided_weakness": True}})
    assert body["alert_level"] == "green"


# --- rules that differed from the reference ----------------------------------------------------


def test_grade_2_diarrhea_with_more_than_16_mg_loperamide_is_red(clinic):
    # §5.1: two different AMBER rules count as two triggers, even within one symptom family.
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(
        client, {"diarrhea": {"stools_over_baseline": 5}}, medications={"loperamide_mg": 18}
    )
    assert body["alert_level"] == "red"


def test_a_new_antiemetic_alone_is_amber_not_red(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB)
    body = post(client, {"vomiting": {"vomiting_episodes_24h": 1, "medical_intervention": True}})
    assert body["alert_level"] == "amber"


def test_tdxd_patients_are_asked_about_abdominal_pain_and_chills(clinic):
    _, client = enrolled_client(clinic, TDXD)
    terms = client.get("/api/v1/me/").json()["report_terms"]
    assert "abdominal_pain" in terms
    assert "chills" in terms


def test_a_patient_with_a_home_oximeter_is_asked_for_spo2_whatever_the_drug(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB, home_oximeter=True)
    assert "hypoxia" in client.get("/api/v1/me/").json()["report_terms"]


# --- grading through the API -------------------------------------------------------------------


def test_a_stoma_patient_reports_diarrhea_as_ostomy_output(clinic):
    _, client = enrolled_client(clinic, ZONGERTINIB, stoma=True)
    assert "diarrhea" in client.get("/api/v1/me/").json()["report_terms"]
    body = post(client, {"diarrhea": {"ostomy_output_increase": "moderate"}})
    assert body["grades"]["diarrhea"]["grade"] == 2
    assert body["alert_level"] == "amber"


def test_a_clinician_recorded_low_neutrophil_count_makes_diarrhea_complicated(clinic):
    # §5.3 "known neutropenia": a clinician-recorded neutrophil count below the LLN (G>=1) in the
    # last 14 days. The pipeline used to look for it only among the patient's own reports.
    from tests.helpers import make_staff

    patient, client = enrolled_client(clinic, ZONGERTINIB)
    services.record_observation(
        patient=patient,
        term="neutrophil_count_decreased",
        inputs={"anc_per_mm3": 1200, "lln_per_mm3": 1800},
        observed_at=timezone.now() - timedelta(days=2),
        user=make_staff(clinic),
    )
    body = post(client, {"diarrhea": {"stools_over_baseline": 1}})
    assert body["alert_level"] == "red"
    assert Alert.objects.get(patient=patient, kind="gi").level == "red"
