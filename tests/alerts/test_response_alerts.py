"""PRO-CTCAE questionnaire responses are reports (reference §5.4, issue 11 item 3): through
POST /questionnaires/responses/ their composites go through the same rules as diary entries,
open or update alerts with evidence linked to the response, and the answer carries the level.
Recent composites count when an entry is evaluated; a recent entry's answers count when a
response is (D52); the first response before cycle 1 sets the baseline composites (D54)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts import pipeline
from alerts.models import Alert, AlertEvidence
from alerts.rules.proctcae import COMPOSITE_RULES, PROCTCAE
from diary import evaluation, instruments
from diary.grading import PROCTCAE_SYMPTOMS, composite
from diary.instruments.proctcae import BY_DRUG, ITEM_SETS
from diary.models import Patient, QuestionnaireResponse
from tests.helpers import enrolled_client, entry_body, make_clinic, response_body

pytestmark = pytest.mark.django_db

RESPONSES = "/api/v1/questionnaires/responses/"
TDXD = "trastuzumab_deruxtecan"
ZONGERTINIB = "zongertinib"


def answers_for(instrument: str, **composites: int) -> dict[str, int]:
    """Every symptom of the set denied (its first item 0), and the given symptoms answered so
    that their composite grade is the one asked for."""
    answers = {i.code: 0 for i in instruments.get(instrument).items if i.enable_when is None}
    for key, target in composites.items():
        items = PROCTCAE_SYMPTOMS[key].items
        for scores in itertools.product(range(5), repeat=len(items)):
            given = {item.attribute: score for item, score in zip(items, scores, strict=True)}
            if composite(key, **given) == target and scores[0] > 0:
                answers.update(
                    {item.item_id: score for item, score in zip(items, scores, strict=True)}
                )
                break
        else:  # pragma: no cover - the table holds every grade for every symptom
            raise AssertionError(f"no answers give {key} composite {target}")
    return answers


def post_response(client: Any, instrument: str, answers: dict[str, int], **extra: Any) -> Any:
    response = client.post(RESPONSES, response_body(instrument, answers, **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def where_asked(rule_code: str) -> tuple[str, str, bool]:
    """(drug, instrument, brain metastases) of a patient who is asked the rule's symptom and
    to whom the rule applies."""
    rule = next(r for r in COMPOSITE_RULES if r.code == rule_code)
    key = next(k for k in PROCTCAE if f".{k}_" in rule.code or rule.code.endswith(f"_{k}_3"))
    if key in ITEM_SETS["proctcae_cns"][1]:
        return ZONGERTINIB, "proctcae_cns", True
    for drug, instrument in BY_DRUG.items():
        if key in ITEM_SETS[instrument][1] and (rule.drugs is None or drug in rule.drugs):
            return drug, instrument, False
    raise AssertionError(f"no item set asks {key} of a patient {rule.code} applies to")


def symptom_of(rule_code: str) -> str:
    return next(
        key
        for key in sorted(PROCTCAE, key=len, reverse=True)
        if rule_code.startswith((f"proctcae.amber.{key}_", f"proctcae.red.tdxd_{key}_"))
    )


def test_every_composite_rule_is_about_a_symptom_a_shipped_item_set_asks():
    asked = {key for _, keys in ITEM_SETS.values() for key in keys}
    assert set(PROCTCAE) <= asked
    with_composite = {key for key in asked if not PROCTCAE_SYMPTOMS[key].presence}
    assert with_composite <= set(PROCTCAE), "a composite asked that no rule reads"


@pytest.mark.parametrize("code", [rule.code for rule in COMPOSITE_RULES])
def test_every_proctcae_rule_fires_through_the_questionnaire_api(code):
    rule = next(r for r in COMPOSITE_RULES if r.code == code)
    key = symptom_of(code)
    drug, instrument, brain_metastases = where_asked(code)
    patient, client = enrolled_client(make_clinic(), drug, brain_metastases=brain_metastases)
    grade = 2 if code.endswith("_2_new_or_worse") else 3
    body = post_response(client, instrument, answers_for(instrument, **{key: grade}))
    assert body["alert_level"] in ("amber", "red")
    evidence = AlertEvidence.objects.get(alert__patient=patient, code=code)
    assert str(evidence.response_id) == body["id"]
    assert evidence.entry_id is None
    assert evidence.alert.kind == rule.kind
    assert QuestionnaireResponse.objects.get(pk=body["id"]).alert_level == body["alert_level"]


def test_a_tdxd_questionnaire_with_severe_breathlessness_answers_red_and_opens_an_ild_red():
    # The reviewer's case: 201 and no alert before (issue 11).
    patient, client = enrolled_client(make_clinic(), TDXD)
    answers = answers_for("proctcae_tdxd")
    answers.update(PROCTCAE_19A=4, PROCTCAE_19B=4, PROCTCAE_20A=3, PROCTCAE_20B=3)
    answers.update(PROCTCAE_16A=4)
    body = post_response(client, "proctcae_tdxd", answers)
    assert body["alert_level"] == "red"
    alert = Alert.objects.get(patient=patient, kind="ild")
    assert alert.level == "red"
    codes = set(alert.evidence.values_list("code", flat=True))
    assert "proctcae.red.tdxd_shortness_of_breath_3" in codes
    assert Alert.objects.get(patient=patient, kind="gi").level in ("amber", "red")


def test_a_replayed_response_answers_the_same_level_and_raises_nothing_twice():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    body = response_body("proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=3))
    first = client.post(RESPONSES, body, format="json")
    evidence = AlertEvidence.objects.filter(alert__patient=patient).count()
    replay = client.post(RESPONSES, body, format="json")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["alert_level"] == replay.json()["alert_level"] == "amber"
    assert first.json()["advice"] == replay.json()["advice"]
    # Composite 3 meets both "= 3" and ">= 2 above baseline" (one §5.1 trigger): two rows, once.
    assert evidence == 2
    assert AlertEvidence.objects.filter(alert__patient=patient).count() == evidence


def test_a_response_with_nothing_above_baseline_is_green():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    body = post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib"))
    assert body["alert_level"] == "green"
    assert not Alert.objects.filter(patient=patient).exists()


def test_other_questionnaires_are_not_reports():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    body = post_response(client, "qol_rating", {"QOL": 1})
    assert body["alert_level"] == "green"


def test_a_composite_above_the_patients_baseline_composite_is_new_and_one_at_it_is_not():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    Patient.objects.filter(pk=patient.pk).update(baseline_composites={"fatigue": 2})
    body = post_response(
        client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=2)
    )
    assert body["alert_level"] == "green"
    body = post_response(
        client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=3)
    )
    codes = set(AlertEvidence.objects.filter(alert__patient=patient).values_list("code", flat=True))
    # 3 is both ">= 2 and above the baseline 2" and "= 3": one answer, one §5.1 trigger.
    assert codes == {"proctcae.amber.fatigue_2_new_or_worse", "proctcae.amber.fatigue_3"}
    assert body["alert_level"] == "amber"


# --- an entry's answers count in a response, a response's composites in entries (D52) -----------


def test_a_response_carries_the_answers_of_an_entry_recorded_in_the_24_hours_before_it():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    now = timezone.now()
    fever = entry_body(recorded_at=now - timedelta(hours=3), symptoms={"fever": {"temp_c": 38.6}})
    assert client.post("/api/v1/entries/", fever, format="json").json()["alert_level"] == "red"
    Alert.objects.filter(patient=patient).update(status="resolved", resolved_at=now)
    body = post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib"))
    assert body["alert_level"] == "red"
    alert = Alert.objects.get(patient=patient, kind="fever", status="open")
    assert [str(e.response_id) for e in alert.evidence.all()] == [
        body["id"]
    ] * alert.evidence.count()


def test_an_entry_older_than_24_hours_does_not_count_in_a_response():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    now = timezone.now()
    fever = entry_body(recorded_at=now - timedelta(hours=30), symptoms={"fever": {"temp_c": 38.6}})
    client.post("/api/v1/entries/", fever, format="json")
    Alert.objects.filter(patient=patient).update(status="resolved", resolved_at=now)
    body = post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib"))
    assert body["alert_level"] == "green"


def test_the_latest_responses_composites_count_for_an_entry_within_7_days():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    now = timezone.now()
    post_response(
        client,
        "proctcae_zongertinib",
        answers_for("proctcae_zongertinib", fatigue=3),
        completed_at=now - timedelta(days=2),
    )
    Alert.objects.filter(patient=patient).update(status="resolved", resolved_at=now)
    entry = entry_body(symptoms={"fever": {"temp_c": 36.8}})
    assert client.post("/api/v1/entries/", entry, format="json").json()["alert_level"] == "amber"
    evidence = AlertEvidence.objects.get(alert__status="open", code="proctcae.amber.fatigue_3")
    assert str(evidence.entry_id) == entry["id"]


def test_a_response_older_than_7_days_does_not_count_for_an_entry():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    now = timezone.now()
    post_response(
        client,
        "proctcae_zongertinib",
        answers_for("proctcae_zongertinib", fatigue=3),
        completed_at=now - timedelta(days=8),
    )
    Alert.objects.filter(patient=patient).update(status="resolved", resolved_at=now)
    entry = entry_body(symptoms={"fever": {"temp_c": 36.8}})
    assert client.post("/api/v1/entries/", entry, format="json").json()["alert_level"] == "green"


# --- baseline composites (D54) --------------------------------------------------------------


def test_the_first_response_before_cycle_1_sets_the_baseline_composites_once():
    today = timezone.localdate()
    patient, client = enrolled_client(
        make_clinic(), ZONGERTINIB, started_on=today + timedelta(days=7)
    )
    post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=2))
    patient.refresh_from_db()
    assert patient.baseline_composites["fatigue"] == 2
    assert patient.baseline_composites["diarrhea"] == 0
    post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=3))
    patient.refresh_from_db()
    assert patient.baseline_composites["fatigue"] == 2


def test_a_response_after_cycle_1_sets_no_baseline():
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=2))
    patient.refresh_from_db()
    assert patient.baseline_composites == {}


def test_a_clinicians_baseline_composite_is_not_overwritten_by_a_response():
    today = timezone.localdate()
    patient, client = enrolled_client(
        make_clinic(), ZONGERTINIB, started_on=today + timedelta(days=7)
    )
    Patient.objects.filter(pk=patient.pk).update(baseline_composites={"fatigue": 1})
    post_response(client, "proctcae_zongertinib", answers_for("proctcae_zongertinib", fatigue=3))
    patient.refresh_from_db()
    assert patient.baseline_composites["fatigue"] == 1


# --- the seam ---------------------------------------------------------------------------------


def test_the_alerts_app_registers_the_one_response_evaluator():
    assert evaluation._response_evaluator is pipeline.raise_response_alerts
    evaluation.register_response_evaluator(pipeline.raise_response_alerts)
    with pytest.raises(RuntimeError):
        evaluation.register_response_evaluator(lambda **kwargs: evaluation.GREEN_OUTCOME)


def test_without_a_response_evaluator_a_response_is_green(monkeypatch):
    monkeypatch.setattr(evaluation, "_response_evaluator", None)
    patient, client = enrolled_client(make_clinic(), TDXD)
    answers = answers_for("proctcae_tdxd", shortness_of_breath=3)
    assert post_response(client, "proctcae_tdxd", answers)["alert_level"] == "green"
    assert not Alert.objects.filter(patient=patient).exists()


def test_the_alert_page_shows_the_questionnaire_and_its_composites_as_evidence():
    from diary.models import StaffRole
    from tests.helpers import make_staff, staff_client

    clinic = make_clinic()
    patient, client = enrolled_client(clinic, TDXD)
    answers = answers_for("proctcae_tdxd", shortness_of_breath=3)
    post_response(client, "proctcae_tdxd", answers)
    alert = Alert.objects.get(patient=patient, kind="ild")
    nurse = staff_client(make_staff(clinic, StaffRole.NURSE))
    page = nurse.get(f"/staff/alerts/{alert.pk}/").content.decode()
    assert "PRO-CTCAE questionnaire of" in page
    assert "proctcae.red.tdxd_shortness_of_breath_3" in page
    assert "not CTCAE grades" in page


def test_an_entry_told_because_of_a_recent_response_names_its_pro_ctcae_symptom_in_the_advice():
    # §5.4: the latest response's composites count in a diary entry's evaluation; the advice of
    # that entry names the PRO-CTCAE symptom that drove the alert kind (§5.8), not the kind.
    patient, client = enrolled_client(make_clinic(), ZONGERTINIB)
    answers = answers_for("proctcae_zongertinib", shortness_of_breath=2)
    assert post_response(client, "proctcae_zongertinib", answers)["alert_level"] == "amber"
    body = entry_body(symptoms={"fatigue": {"fatigue": False}}, recorded_at=timezone.now())
    answer = client.post("/api/v1/entries/", body, format="json").json()
    assert answer["alert_level"] == "amber"
    terms = {item["term"]: item["level"] for item in answer["advice"]}
    assert terms == {"shortness_of_breath": "amber"}
