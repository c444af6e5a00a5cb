"""The alert page: why it fired (entries, inputs, grades, rule reasons), the patient's context,
the nurse guidance with its source tags, and a query count that does not grow with evidence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from clinicians import guidance
from diary.models import Infusion
from tests.helpers import enroll, make_clinic, make_staff, report, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("AAA")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, username="nurse-a")


def page(user, alert) -> str:
    response = staff_client(user).get(f"/staff/alerts/{alert.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_entry_its_inputs_grades_and_rule_reasons(clinic, nurse):
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan", subject_id="AAA-001")
    report(patient, {"hypoxia": {"spo2_rest": 86}})
    alert = Alert.objects.get(patient=patient)
    html = page(nurse, alert)
    assert "SpO2 at rest: <strong>86%</strong>" in html  # the catalogue's label, the unit
    assert "Grade 3" in html  # CTCAE hypoxia G3: SpO2 at rest <88%
    assert "Decreased oxygen saturation at rest" in html
    assert "ild.red.spo2_rest_below_88" in html
    assert "resting SpO2 86% &lt; 88%" in html
    assert "patient-reported, provisional" in html


def test_the_page_shows_days_since_the_last_t_dxd_infusion_and_the_cycle_day(clinic, nurse):
    patient, _ = enroll(
        clinic,
        "trastuzumab_deruxtecan",
        subject_id="AAA-001",
        started_on=timezone.localdate() - timedelta(days=30),
    )
    course = patient.current_course()
    assert course is not None
    today = timezone.localdate()
    for days_ago in (30, 9):
        Infusion.objects.create(
            course=course, given_on=today - timedelta(days=days_ago), dose_level="5.4_mg_kg"
        )
    report(patient, {"hypoxia": {"spo2_rest": 86}})
    words = text(page(nurse, Alert.objects.get(patient=patient)))
    # The patient's local date can differ from the server's by a day near midnight.
    assert re.search(r"Cycle 2, day (10|11)", words)
    assert re.search(r"(9|10) days ago", words)
    assert "5.4 mg/kg every 3 weeks (starting dose)" in words


def test_the_page_shows_tki_adherence_from_recent_entries(clinic, nurse):
    patient, _ = enroll(clinic, "zongertinib", subject_id="AAA-002")
    report(patient, {}, medications={"tki_doses_taken": 1, "tki_doses_missed": 0})
    report(
        patient,
        {},
        medications={
            "tki_doses_taken": 0,
            "tki_doses_missed": 2,
            "missed_dose_reason": "Felt sick",
        },
    )
    report(patient, {}, medications={"tki_doses_taken": 1, "tki_dose_vomited": True})
    alert = Alert.objects.get(patient=patient, kind="adherence")
    words = text(page(nurse, alert))
    assert "2 doses taken, 2 missed, 1 vomited (counts as taken). Reasons: Felt sick" in words


def test_the_page_shows_baselines_risk_factors_and_brain_metastases(clinic, nurse):
    patient, _ = enroll(
        clinic,
        "trastuzumab_deruxtecan",
        subject_id="AAA-003",
        brain_metastases=True,
        risk_factors=["lung_comorbidity"],
    )
    report(patient, {"hypoxia": {"spo2_rest": 86}})
    words = text(page(nurse, Alert.objects.get(patient=patient)))
    assert "Brain metastases Yes" in words
    assert "lung comorbidity" in words
    assert "SpO2 at rest 97%" in words


def test_suspected_ild_on_t_dxd_tells_the_nurse_to_image_and_check_the_label_on_holding(
    clinic, nurse
):
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan", subject_id="AAA-001")
    report(patient, {"hypoxia": {"spo2_rest": 86}})
    words = text(page(nurse, Alert.objects.get(patient=patient)))
    assert "Check the current label: Whether to hold the next T-DXd infusion" in words
    assert "Arrange CT imaging" in words
    assert "Grade 2 or higher (symptomatic): permanently discontinue" in words
    assert "Check the current label: The same reduction ladder in NSCLC" in words


def test_a_tki_gi_alert_says_check_the_label_for_the_unverified_dose_table(clinic, nurse):
    patient, _ = enroll(clinic, "sevabertinib", subject_id="AAA-004")
    report(patient, {"diarrhea": {"stools_over_baseline": 5}})
    words = text(page(nurse, Alert.objects.get(patient=patient, kind="gi")))
    assert "Check the current label: Sevabertinib diarrhea dose modifications" in words
    assert "(secondary source: confirm in the current label)" in words  # Benson [S]


def queries_for(user, alert) -> int:
    client = staff_client(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/staff/alerts/{alert.pk}/").status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_evidence_or_history(
    clinic, nurse, django_assert_num_queries
):
    patient, _ = enroll(clinic, "zongertinib", subject_id="AAA-005")
    report(patient, {"diarrhea": {"stools_over_baseline": 5}})
    alert = Alert.objects.get(patient=patient, kind="gi")
    queries_for(nurse, alert)  # the first opening is recorded once (the queue's "New", D77)
    few = queries_for(nurse, alert)
    client = staff_client(nurse)
    for n in range(6):
        report(
            patient,
            {"diarrhea": {"stools_over_baseline": 5 + n}, "fatigue": {"fatigue": True}},
            recorded_at=timezone.now() - timedelta(minutes=n + 1),
        )
        client.post(f"/staff/alerts/{alert.pk}/note/", {"note-text": f"note {n}"})
    assert alert.evidence.count() >= 6
    with django_assert_num_queries(few):
        assert client.get(f"/staff/alerts/{alert.pk}/").status_code == 200


# --- the guidance data ------------------------------------------------------------------------

ALL_ITEMS = [
    item
    for table in (guidance.KIND_GUIDANCE.values())
    for items in table.values()
    for item in items
] + [item for items in guidance.DRUG_NOTES.values() for item in items]


def test_every_guidance_item_cites_a_reference_section_and_a_tag():
    for item in ALL_ITEMS:
        assert re.fullmatch(r"§[35]\.\d", item.section), item
        assert item.tag in {"V", "S", "D", "NV"}, item


def test_unverified_items_name_a_topic_and_never_a_threshold():
    unverified = [item for item in ALL_ITEMS if item.tag == "NV"]
    assert unverified
    for item in unverified:
        assert item.check_label
        assert not re.search(r"\d+\s*(%|mg|°|x|h\b|days?)|[<>]=?\s*\d", item.text), item


def test_every_alert_kind_has_guidance():
    from alerts.models import Kind

    assert set(Kind.values) - {"other"} <= set(guidance.KIND_GUIDANCE)


def test_guidance_for_a_red_ild_on_t_dxd_has_response_alert_drug_and_dosing_sections():
    sections = guidance.guidance_for(kind="ild", level="red", drug="trastuzumab_deruxtecan")
    assert [s.title for s in sections] == ["Response", "For this alert", "For this drug", "Dosing"]
    assert sections[0].items[0].source == "§5.1 [V]"


def test_the_nurse_guidance_does_not_tag_an_unsourced_infusion_hold_as_verified():
    # The reference gives the label's actions for ILD by grade; "hold while suspected" is not
    # in it, so it may not carry [V].
    from clinicians import guidance

    verified = [
        item.text.lower()
        for items in guidance.KIND_GUIDANCE["ild"].values()
        for item in items
        if item.tag == "V"
    ]
    assert not [text for text in verified if "suspected" in text and "hold" in text]
