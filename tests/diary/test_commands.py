from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diary.models import DiaryEntry, EntryGrade, Patient
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db


def enroll_cmd(*args: str) -> dict:
    out = StringIO()
    call_command("enroll_patient", *args, stdout=out)
    return json.loads(out.getvalue())


def test_enroll_patient_prints_the_subject_id_and_a_code_that_works():
    make_clinic("DEMO")
    result = enroll_cmd(
        "--clinic",
        "DEMO",
        "--drug",
        "trastuzumab_deruxtecan",
        "--subject-id",
        "DEMO-900",
        "--birth-date",
        "1960-04-02",
        "--started-on",
        "2026-10-01",
        "--baseline-stools-per-day",
        "2",
        "--baseline-spo2-rest",
        "96",
        "--baseline-spo2-exertion",
        "93",
        "--baseline-sob-exertion",
        "moderate",
        "--baseline-weight-kg",
        "71.5",
        "--brain-metastases",
        "--risk-factor",
        "renal_impairment",
        "--risk-factor",
        "prior_ild",
    )
    assert result["subject_id"] == "DEMO-900"
    patient = Patient.objects.get(subject_id="DEMO-900")
    assert patient.brain_metastases and patient.renal_impairment and patient.prior_ild
    assert not patient.lung_comorbidity
    assert patient.baseline_sob_exertion == "moderate"
    assert str(patient.baseline_weight_kg) == "71.5"
    course = patient.courses.get()
    assert (course.drug, course.dose_level, str(course.started_on)) == (
        "trastuzumab_deruxtecan",
        "5.4_mg_kg",
        "2026-10-01",
    )
    from rest_framework.test import APIClient

    response = APIClient().post(
        "/api/v1/auth/enroll/",
        {"code": result["enrollment_code"], "password": "a-good-password"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "args,message",
    [
        (["--clinic", "NOPE", "--drug", "zongertinib"], "No clinic"),
        (["--clinic", "DEMO", "--drug", "aspirin"], "invalid choice"),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--risk-factor", "smoker"],
            "invalid choice",
        ),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--birth-date", "1960-13-01"], "YYYY-MM-DD"),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--baseline-spo2-rest", "120"], "outside"),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--baseline-sob-exertion", "bad"],
            "invalid choice",
        ),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--timezone", "Mars/Base"], "time zone"),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--dose-level", "5.4_mg_kg"], "dose_level"),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--colour", "red"], "unrecognized"),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--baseline-cough-severity", "awful"],
            "invalid choice",
        ),
        (["--clinic", "DEMO", "--drug", "zongertinib", "--neuro-baseline", "elbow"], "CNS term"),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--neuro-baseline", "headache"],
            "needs a level",
        ),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--neuro-baseline", "headache=awful"],
            "needs a level",
        ),
        (
            ["--clinic", "DEMO", "--drug", "zongertinib", "--neuro-baseline", "seizure=mild"],
            "yes/no",
        ),
    ],
)
def test_enroll_patient_refuses_bad_options_and_creates_nothing(args, message):
    make_clinic("DEMO")
    with pytest.raises(CommandError, match=message):
        call_command("enroll_patient", *args, stdout=StringIO())
    assert Patient.objects.count() == 0


def test_enroll_patient_takes_the_cough_neurological_stoma_and_oximeter_baselines():
    make_clinic("DEMO")
    result = enroll_cmd(
        "--clinic",
        "DEMO",
        "--drug",
        "zongertinib",
        "--baseline-cough-severity",
        "mild",
        "--brain-metastases",
        "--neuro-baseline",
        "muscle_weakness_left_sided",
        "--neuro-baseline",
        "headache=moderate",
        "--stoma",
        "--home-oximeter",
    )
    patient = Patient.objects.get(subject_id=result["subject_id"])
    assert patient.baseline_cough_severity == "mild"
    assert patient.baseline_neuro == {"muscle_weakness_left_sided": True, "headache": "moderate"}
    assert patient.stoma and patient.home_oximeter


def test_enroll_patient_refuses_a_taken_subject_id():
    make_clinic("DEMO")
    enroll_cmd("--clinic", "DEMO", "--drug", "zongertinib", "--subject-id", "DEMO-1")
    with pytest.raises(CommandError, match="already exists"):
        enroll_cmd("--clinic", "DEMO", "--drug", "sevabertinib", "--subject-id", "DEMO-1")
    assert Patient.objects.count() == 1


def test_regrade_supersedes_old_grades_and_keeps_them():
    _, client = enrolled_client(make_clinic())
    body = entry_body(symptoms={"diarrhea": {"stools_over_baseline": 5}})
    client.post("/api/v1/entries/", body, format="json")
    EntryGrade.objects.update(grading_version="0-old")
    out = StringIO()
    call_command("regrade", stdout=out)
    assert "Re-graded 1 entries" in out.getvalue()
    entry = DiaryEntry.objects.get()
    assert entry.grades.count() == 2
    current = entry.grades.current().get()
    assert current.grading_version != "0-old" and current.grade == 2
    entry.refresh_from_db()
    assert entry.grade_summary == {"diarrhea": 2}
    assert entry.grades.exclude(superseded_at=None).get().grading_version == "0-old"
    call_command("regrade", stdout=StringIO())
    assert entry.grades.count() == 2  # nothing left to do


def test_seed_demo_builds_the_demo_clinic_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "nurse /" in out.getvalue() and "DEMO-012 has not enrolled yet" in out.getvalue()
    patients = Patient.objects.filter(clinic__code="DEMO")
    assert patients.count() == 12
    drugs = set(patients.values_list("courses__drug", flat=True))
    assert drugs == {"trastuzumab_deruxtecan", "zongertinib", "sevabertinib"}
    assert patients.filter(brain_metastases=True).count() >= 3
    entries = DiaryEntry.objects.filter(patient__clinic__code="DEMO")
    assert entries.count() > 11 * 40  # about 8 weeks, most days
    first, last = entries.earliest("recorded_at"), entries.latest("recorded_at")
    assert (last.recorded_at - first.recorded_at).days >= 50
    # The demo queue holds current alerts only (older ones were resolved by the nurse).
    from alerts.models import Alert

    open_alerts = Alert.objects.active().values_list("patient__subject_id", "kind", "level")
    assert ("DEMO-001", "ild", "red") in set(open_alerts)
    assert Alert.objects.filter(status="resolved", outcome="advice_given").exists()
    # Questionnaires were answered through the service (scored), with some left due.
    from diary import questionnaires
    from diary.models import QuestionnaireResponse

    responses = QuestionnaireResponse.objects.filter(patient__clinic__code="DEMO")
    assert {"qlq_c30", "qlq_lc13", "qol_rating", "ecog_self", "proctcae_tdxd"} <= set(
        responses.values_list("instrument", flat=True)
    )
    assert all(0 <= r.scores["QL2"] <= 100 for r in responses.filter(instrument="qlq_c30"))
    assert any(questionnaires.due_count(patient=p) for p in patients.exclude(user=None))
    count = entries.count()
    call_command("seed_demo", stdout=StringIO())
    assert DiaryEntry.objects.count() == count
