"""Expected AMBER, reference §5.2 [D] (issue 11 item 5; D46): a nurse or oncologist marks the AMBER
triggers present on an open alert as expected for at most 7 days, with a reason. Those same
triggers, no worse, are then stored as evidence without re-opening, re-notifying or the 24-h
persistence escalation; a different AMBER trigger, any RED and a worsened trigger alert as usual.

The issue's reproduction ("expected AMBER folds every AMBER of a kind for up to 30 days") is
held by the tests marked "reproduction": each fails on the kind-wide ExpectedLevel it replaces.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from alerts import lifecycle, pipeline
from alerts.models import (
    Alert,
    AlertEvent,
    AlertEvidence,
    EventType,
    ExpectedAmber,
    Notification,
    Outcome,
)
from diary.models import StaffRole
from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/entries/"
DIARRHEA_G2 = {"diarrhea": {"stools_over_baseline": 5}}
NAUSEA_G2 = {"nausea": {"oral_intake": "decreased"}}


def post(client: Any, symptoms: dict[str, Any]) -> dict[str, Any]:
    response = client.post(ENTRIES, entry_body(symptoms=symptoms), format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def clinic():
    return make_clinic("EXP")


@pytest.fixture
def nurse(clinic):
    return make_staff(clinic, StaffRole.NURSE, username="nurse-e")


def marked(clinic, nurse, symptoms: dict[str, Any], reason: str = "chronic, on loperamide"):
    """A zongertinib patient whose first report opened an AMBER GI alert, whose triggers the
    nurse then marked expected for 7 days."""
    patient, client = enrolled_client(clinic, "zongertinib")
    assert post(client, symptoms)["alert_level"] == "amber"
    alert = Alert.objects.get(patient=patient, kind="gi")
    marking = lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=7, reason=reason)
    return patient, client, alert, marking


def opened_a_day_ago(alert: Alert) -> None:
    """As if the alert had opened 25 h ago: the next AMBER report is the §5.1 persistence one."""
    Alert.objects.filter(pk=alert.pk).update(opened_at=timezone.now() - timedelta(hours=25))


def notifications(alert: Alert) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(alert=alert).values_list("reason", "level"))


# --- the marking --------------------------------------------------------------------------------


def test_a_marking_lists_the_alerts_amber_triggers_with_their_measure_and_reason(clinic, nurse):
    _, _, alert, marking = marked(clinic, nurse, DIARRHEA_G2)
    assert marking.alert == alert
    assert marking.triggers == {"gi.amber.diarrhea_g2": 2}
    assert marking.reason == "chronic, on loperamide"
    assert marking.set_by == nurse
    assert marking.until - marking.set_at == timedelta(days=7)
    event = alert.events.get(type=EventType.EXPECTED_LEVEL_SET)
    assert (event.actor, event.detail["codes"]) == (nurse, ["gi.amber.diarrhea_g2"])


@pytest.mark.parametrize("days", [0, 8, 30])
def test_reproduction_a_marking_lasts_1_to_7_days_never_30(clinic, nurse, days):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, DIARRHEA_G2)
    alert = Alert.objects.get(patient=patient)
    with pytest.raises(lifecycle.AlertActionError, match="1 to 7 days"):
        lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=days, reason="chronic")
    assert not ExpectedAmber.objects.exists()


def test_a_marking_needs_a_reason(clinic, nurse):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, DIARRHEA_G2)
    alert = Alert.objects.get(patient=patient)
    with pytest.raises(lifecycle.AlertActionError, match="why"):
        lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=7, reason="  ")
    assert not ExpectedAmber.objects.exists()


def test_a_new_marking_replaces_the_running_one(clinic, nurse):
    _, _, alert, first = marked(clinic, nurse, DIARRHEA_G2)
    second = lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=3, reason="still")
    first.refresh_from_db()
    assert first.ended_at is not None
    assert list(ExpectedAmber.objects.running()) == [second]
    assert alert.events.filter(type=EventType.EXPECTED_ENDED).count() == 1


# --- while marked ---------------------------------------------------------------------------


def test_a_marked_trigger_folds_without_a_notification(clinic, nurse):
    _, client, alert, _ = marked(clinic, nurse, DIARRHEA_G2)
    before = notifications(alert)
    folded = post(client, DIARRHEA_G2)
    assert folded["alert_level"] == "green"
    assert notifications(alert) == before
    assert AlertEvidence.objects.filter(alert=alert, entry_id=folded["id"]).exists()
    event = alert.events.get(type=EventType.SUPPRESSED)
    assert event.detail == {"entry": folded["id"], "codes": ["gi.amber.diarrhea_g2"]}


def test_a_marked_trigger_reported_after_24_h_is_not_escalated_by_persistence(clinic, nurse):
    _, client, alert, _ = marked(clinic, nurse, DIARRHEA_G2)
    opened_a_day_ago(alert)
    before = notifications(alert)
    assert post(client, DIARRHEA_G2)["alert_level"] == "green"
    alert.refresh_from_db()
    assert alert.level == "amber"
    assert notifications(alert) == before
    assert not alert.evidence.filter(code="combined.red.amber_unresolved_24h").exists()


def test_reproduction_a_different_amber_trigger_of_the_same_kind_still_alerts(clinic, nurse):
    _, client, alert, _ = marked(clinic, nurse, DIARRHEA_G2)
    other = post(client, {"dehydration": {"dehydration_signs": True}})
    assert other["alert_level"] == "amber"  # told, as any new evidence on an open AMBER alert
    assert alert.events.filter(type=EventType.EVIDENCE).exists()
    assert not alert.events.filter(type=EventType.SUPPRESSED).exists()


def test_reproduction_a_different_amber_trigger_after_24_h_escalates_and_notifies(clinic, nurse):
    _, client, alert, _ = marked(clinic, nurse, DIARRHEA_G2)
    opened_a_day_ago(alert)
    assert post(client, {"dehydration": {"dehydration_signs": True}})["alert_level"] == "red"
    alert.refresh_from_db()
    assert alert.level == "red"
    assert alert.evidence.filter(code="combined.red.amber_unresolved_24h").exists()
    assert ("raised", "red") in notifications(alert)


def test_red_still_alerts_while_a_trigger_is_marked(clinic, nurse):
    _, client, alert, _ = marked(clinic, nurse, DIARRHEA_G2)
    assert post(client, {"diarrhea": {"stools_over_baseline": 9}})["alert_level"] == "red"
    alert.refresh_from_db()
    assert alert.level == "red"
    assert ("raised", "red") in notifications(alert)


def test_reproduction_a_marked_trigger_that_worsens_still_alerts(clinic, nurse):
    _, client, alert, marking = marked(clinic, nurse, NAUSEA_G2, reason="nausea since cycle 1")
    assert marking.triggers == {"gi.amber.nausea_intake_decreased": 2}
    assert post(client, NAUSEA_G2)["alert_level"] == "green"  # the same, no worse: folded
    opened_a_day_ago(alert)
    worse = post(client, {"nausea": {"oral_intake": "inadequate"}})  # nausea G3, still AMBER
    assert worse["alert_level"] == "red"  # alerted as usual: AMBER persisting 24 h is RED
    alert.refresh_from_db()
    assert alert.level == "red"
    assert ("raised", "red") in notifications(alert)


def test_resolving_the_alert_ends_its_marking_and_the_next_report_opens_a_new_alert(clinic, nurse):
    patient, client, alert, marking = marked(clinic, nurse, DIARRHEA_G2)
    lifecycle.resolve_alert(alert_id=alert.pk, user=nurse, outcome=Outcome.ADVICE_GIVEN)
    marking.refresh_from_db()
    assert marking.ended_at is not None
    ended = alert.events.get(type=EventType.EXPECTED_ENDED)
    assert (ended.actor, ended.detail["why"]) == (nurse, "the alert was resolved")
    assert post(client, DIARRHEA_G2)["alert_level"] == "amber"
    new = Alert.objects.get(patient=patient, status="open")
    assert new.pk != alert.pk
    assert ("opened", "amber") in notifications(new)


def test_a_marking_past_its_days_folds_nothing(clinic, nurse):
    _, client, alert, marking = marked(clinic, nurse, DIARRHEA_G2)
    ExpectedAmber.objects.filter(pk=marking.pk).update(until=timezone.now() - timedelta(minutes=1))
    assert post(client, DIARRHEA_G2)["alert_level"] == "amber"
    assert not alert.events.filter(type=EventType.SUPPRESSED).exists()


def test_an_ild_marking_is_the_under_active_ild_management_flag(clinic, nurse):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, {"hypoxia": {"spo2_exertion": 87}})
    alert = Alert.objects.get(patient=patient, kind="ild")
    with transaction.atomic():
        assert pipeline._load_context(patient).snapshot["under_ild_management"] is False
    lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=7, reason="known ILD, on steroids")
    with transaction.atomic():
        context = pipeline._load_context(patient)
    assert context.snapshot["under_ild_management"] is True
    assert context.expected == {
        "ild": {"ild.amber.spo2_exertion_below_88": 13, "ild.amber.spo2_exertion_drop_4": 13}
    }


# --- shown on the alert page and the patient page ----------------------------------------------


def test_the_marking_shows_on_the_alert_page_and_the_patient_page(clinic, nurse):
    patient, _, alert, marking = marked(clinic, nurse, DIARRHEA_G2, reason="Chronic G2 <known>")
    client = staff_client(nurse)
    # Staff pages show times in the clinic's zone.
    until = timezone.localtime(marking.until, ZoneInfo(clinic.timezone)).strftime(
        "%a %-d %b %Y %H:%M"
    )
    for url in (f"/staff/alerts/{alert.pk}/", f"/staff/patients/{patient.subject_id}/"):
        page = client.get(url).content.decode()
        assert "Reason: Chronic G2 &lt;known&gt;" in page, url
        assert "gi.amber.diarrhea_g2" in page, url
        assert "marked expected until <time datetime=" in page, url
        assert until in page, url
        assert "by nurse-e" in page, url


def test_only_an_alert_with_an_amber_trigger_offers_to_mark_it_expected(clinic, nurse):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, {"diarrhea": {"stools_over_baseline": 9}})  # RED only
    red = Alert.objects.get(patient=patient)
    staff = staff_client(nurse)
    assert "Mark expected" not in staff.get(f"/staff/alerts/{red.pk}/").content.decode()
    post(client, {"hypoxia": {"spo2_exertion": 87}})  # an AMBER ILD alert
    amber = Alert.objects.get(patient=patient, kind="ild")
    assert "Mark expected" in staff.get(f"/staff/alerts/{amber.pk}/").content.decode()


def test_an_ended_marking_is_no_longer_shown(clinic, nurse):
    patient, _, alert, _ = marked(clinic, nurse, DIARRHEA_G2, reason="Chronic G2 here")
    lifecycle.resolve_alert(alert_id=alert.pk, user=nurse, outcome=Outcome.ADVICE_GIVEN)
    page = staff_client(nurse).get(f"/staff/patients/{patient.subject_id}/").content.decode()
    assert "Reason: Chronic G2 here" not in page


# --- the data migration -----------------------------------------------------------------------

BEFORE = [
    ("alerts", "0006_alert_clinic_indexes"),
    ("diary", "0010_patient_baselines_response_alert_level"),
]


@pytest.mark.django_db(transaction=True)
def test_the_migration_ends_old_kind_wide_declarations_and_keeps_them_on_their_alert():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Clinic = old.get_model("diary", "Clinic")
    Patient = old.get_model("diary", "Patient")
    OldAlert = old.get_model("alerts", "Alert")
    OldEvidence = old.get_model("alerts", "AlertEvidence")
    ExpectedLevel = old.get_model("alerts", "ExpectedLevel")
    now = timezone.now()
    clinic = Clinic.objects.create(code="MIG", name="MIG")
    patient = Patient.objects.create(subject_id="MIG-1", clinic=clinic)
    alert = OldAlert.objects.create(
        patient=patient, clinic=clinic, kind="gi", level="amber", reason="r", due_at=now
    )
    OldEvidence.objects.create(alert=alert, code="gi.amber.diarrhea_g2", level="amber", reason="")
    OldEvidence.objects.create(alert=alert, code="gi.red.diarrhea_g3", level="red", reason="")
    for kind, until in (("gi", now + timedelta(days=20)), ("fever", now + timedelta(days=20))):
        ExpectedLevel.objects.create(patient=patient, kind=kind, reason="chronic", until=until)
    ExpectedLevel.objects.create(patient=patient, kind="gi", until=now - timedelta(days=1))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    (marking,) = ExpectedAmber.objects.all()
    assert (marking.alert_id, marking.reason) == (alert.pk, "chronic")
    assert marking.triggers == {"gi.amber.diarrhea_g2": None}
    assert marking.ended_at is not None
    assert not ExpectedAmber.objects.running().exists()
    event = AlertEvent.objects.get(alert_id=alert.pk, type=EventType.EXPECTED_ENDED)
    assert "mark this alert's AMBER triggers again" in event.detail["why"]
