"""The alert pipeline through the real API and services: entry -> alert -> outbox -> delivery."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts import delivery, lifecycle, pipeline
from alerts.models import (
    Alert,
    AlertEvent,
    AlertEvidence,
    DashboardPush,
    EventType,
    Notification,
    Status,
)
from diary.models import DiaryEntry
from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff

# Transactional: deliveries are enqueued on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

ENTRIES = "/api/v1/entries/"


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):  # type: ignore[no-untyped-def]
    """These tests run the tasks in-process; tests/integration runs them on a real worker."""


@pytest.fixture
def clinic():
    return make_clinic()


@pytest.fixture
def tdxd(clinic):
    return enrolled_client(clinic, "trastuzumab_deruxtecan")


def post(client: Any, **kwargs: Any) -> dict[str, Any]:
    response = client.post(ENTRIES, entry_body(**kwargs), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_resting_spo2_below_88_raises_a_red_ild_alert_in_the_same_transaction(tdxd):
    patient, client = tdxd
    data = post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    assert data["alert_level"] == "red"
    alert = Alert.objects.get(patient=patient)
    assert (alert.kind, alert.level, alert.status) == ("ild", "red", "open")
    assert AlertEvidence.objects.filter(alert=alert, entry_id=data["id"]).exists()
    assert alert.due_at - alert.opened_at == timedelta(hours=1)
    assert DiaryEntry.objects.get(pk=data["id"]).alert_level == "red"
    # In-process tasks delivered the outbox already.
    channels = set(Notification.objects.filter(alert=alert).values_list("channel", flat=True))
    assert channels == {"dashboard", "email", "sms"}
    assert not Notification.objects.filter(sent_at=None).exists()
    assert DashboardPush.objects.filter(alert=alert).count() == 1


def test_an_entry_matching_no_rule_is_green_and_raises_nothing(tdxd):
    _, client = tdxd
    data = post(client, symptoms={"fever": {"temp_c": 36.8}, "dyspnea": {"sob_exertion": "none"}})
    assert data["alert_level"] == "green"
    assert Alert.objects.count() == 0


def test_one_active_alert_per_patient_and_kind_with_new_evidence_attached(tdxd):
    patient, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    post(client, symptoms={"hypoxia": {"spo2_rest": 85}})
    alert = Alert.objects.get(patient=patient, kind="ild")
    assert alert.evidence.values("entry").distinct().count() == 2
    # Folded: no second round of notifications for the same level.
    assert Notification.objects.filter(alert=alert).count() == 3


def test_the_level_rises_and_notifies_again_but_never_silently_falls(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    first = post(client, symptoms={"diarrhea": {"stools_over_baseline": 5}})
    assert first["alert_level"] == "amber"
    alert = Alert.objects.get(patient=patient, kind="gi")
    assert alert.level == "amber" and alert.due_at - alert.opened_at == timedelta(hours=24)
    second = post(client, symptoms={"diarrhea": {"stools_over_baseline": 8}})
    assert second["alert_level"] == "red"
    alert.refresh_from_db()
    assert alert.level == "red"
    assert alert.events.filter(type=EventType.LEVEL_RAISED).count() == 1
    assert Notification.objects.filter(alert=alert, reason="raised", level="red").count() == 3
    post(client, symptoms={"diarrhea": {"stools_over_baseline": 5}})
    alert.refresh_from_db()
    assert alert.level == "red"


def test_replaying_an_entry_raises_nothing_twice(tdxd):
    _, client = tdxd
    body = entry_body(symptoms={"hypoxia": {"spo2_rest": 86}})
    client.post(ENTRIES, body, format="json")
    evidence = AlertEvidence.objects.count()
    notifications = Notification.objects.count()
    assert evidence >= 1
    assert client.post(ENTRIES, body, format="json").json()["alert_level"] == "red"
    assert Alert.objects.count() == 1
    assert AlertEvidence.objects.count() == evidence
    assert Notification.objects.count() == notifications


def test_alerts_are_kept_when_the_broker_is_down(tdxd, monkeypatch):
    from alerts import tasks

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notification_task, "delay", broker_down)
    patient, client = tdxd
    data = post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    assert data["alert_level"] == "red"
    assert Alert.objects.filter(patient=patient, level="red").exists()
    assert Notification.objects.filter(sent_at=None).count() == 3
    monkeypatch.undo()
    # Two minutes later the sweeper sends them.
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    assert delivery.sweep_outbox() == 3
    assert not Notification.objects.filter(sent_at=None).exists()


def test_a_notification_is_delivered_once_even_when_the_task_runs_twice(tdxd):
    _, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    notification = Notification.objects.get(channel="dashboard")
    assert delivery.deliver_notification(notification_id=notification.pk) is False
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=None)
    assert delivery.deliver_notification(notification_id=notification.pk) is True
    assert DashboardPush.objects.filter(key=str(notification.pk)).count() == 1


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_the_lease(tdxd):
    _, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    notification = Notification.objects.get(channel="sms")
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=timezone.now())
    assert delivery.deliver_notification(notification_id=notification.pk) is False
    Notification.objects.filter(pk=notification.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=3)
    )
    assert delivery.deliver_notification(notification_id=notification.pk) is True


def test_unacknowledged_alerts_escalate_once_past_their_due_time(tdxd):
    patient, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    alert = Alert.objects.get()
    assert delivery.escalate_overdue(now=alert.due_at - timedelta(seconds=1)) == 0
    later = alert.due_at + timedelta(minutes=5)
    assert delivery.escalate_overdue(now=later) == 1
    assert delivery.escalate_overdue(now=later + timedelta(minutes=1)) == 0  # beat ran late/twice
    alert.refresh_from_db()
    assert alert.status == Status.ESCALATED
    assert set(
        Notification.objects.filter(
            alert=alert, reason__in=["escalated", "patient_advice"]
        ).values_list("channel", flat=True)
    ) == {"pager", "patient"}
    assert alert.events.filter(type=EventType.ESCALATED).count() == 1


def test_the_patient_channel_pushes_to_the_patients_phone_without_content(tdxd, settings):
    from tests.helpers import RecordingPushBackend

    settings.TOXWATCH_PUSH_BACKEND = "tests.helpers.RecordingPushBackend"
    RecordingPushBackend.sent = []
    patient, client = tdxd
    client.post("/api/v1/devices/", {"platform": "fcm", "token": "phone-token-1"}, format="json")
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    alert = Alert.objects.get()
    delivery.escalate_overdue(now=alert.due_at + timedelta(minutes=5))
    assert Notification.objects.get(alert=alert, channel="patient").sent_at is not None
    [(device_id, message, _key)] = RecordingPushBackend.sent
    assert device_id == patient.devices.get().pk
    assert message.kind == "care_team_message"
    assert patient.subject_id not in message.body and "86" not in message.body
    RecordingPushBackend.sent = []


def test_an_acknowledged_alert_does_not_escalate(tdxd):
    patient, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    alert = Alert.objects.get()
    nurse = make_staff(patient.clinic)
    lifecycle.acknowledge_alert(alert_id=alert.pk, user=nurse)
    assert delivery.escalate_overdue(now=alert.due_at + timedelta(hours=1)) == 0


def test_every_lifecycle_action_is_audited_with_who_and_when(tdxd):
    patient, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    alert = Alert.objects.get()
    nurse = make_staff(patient.clinic)
    oncologist = make_staff(patient.clinic, "oncologist")
    lifecycle.acknowledge_alert(alert_id=alert.pk, user=nurse)
    lifecycle.assign_alert(alert_id=alert.pk, user=nurse, assignee=nurse)
    lifecycle.log_call(alert_id=alert.pk, user=nurse, summary="Breathless on stairs; advised ED")
    lifecycle.add_note(alert_id=alert.pk, user=nurse, text="CT booked")
    lifecycle.escalate_alert(alert_id=alert.pk, user=nurse, note="for review")
    lifecycle.resolve_alert(alert_id=alert.pk, user=oncologist, outcome="drug_held")
    types = list(alert.events.values_list("type", "actor"))
    assert types == [
        ("opened", None),
        ("acknowledged", nurse.pk),
        ("assigned", nurse.pk),
        ("call_logged", nurse.pk),
        ("note", nurse.pk),
        ("escalated", nurse.pk),
        ("resolved", oncologist.pk),
    ]
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == ("resolved", "drug_held")
    with pytest.raises(lifecycle.AlertActionError):
        lifecycle.resolve_alert(alert_id=alert.pk, user=nurse, outcome="drug_held")
    # A resolved alert frees the slot: new evidence opens a new alert.
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    assert Alert.objects.filter(patient=patient, kind="ild").count() == 2


def test_an_expected_amber_is_folded_but_red_is_never_suppressed(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, symptoms={"diarrhea": {"stools_over_baseline": 5}})
    alert = Alert.objects.get(kind="gi")
    nurse = make_staff(clinic)
    lifecycle.mark_expected(
        alert_id=alert.pk, user=nurse, days=7, reason="chronic G2 on loperamide"
    )
    notifications = Notification.objects.count()
    folded = post(client, symptoms={"diarrhea": {"stools_over_baseline": 5}})
    assert folded["alert_level"] == "green"
    assert Notification.objects.count() == notifications
    assert alert.events.filter(type=EventType.SUPPRESSED).exists()
    red = post(client, symptoms={"diarrhea": {"stools_over_baseline": 9}})
    assert red["alert_level"] == "red"
    alert.refresh_from_db()
    assert alert.level == "red"
    with pytest.raises(lifecycle.AlertActionError):
        lifecycle.mark_expected(alert_id=alert.pk, user=nurse, days=90, reason="chronic")


def test_a_late_entry_from_an_offline_phone_is_evaluated_in_recorded_order(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    now = timezone.now()
    # Two reports with 2 missed doses in total, the earlier one arriving last (offline phone).
    later = entry_body(
        recorded_at=now - timedelta(days=1),
        symptoms={},
        medications={"tki_doses_missed": 1, "tki_doses_taken": 0},
    )
    earlier = entry_body(
        recorded_at=now - timedelta(days=3),
        symptoms={},
        medications={"tki_doses_missed": 1, "tki_doses_taken": 0, "missed_dose_reason": "away"},
    )
    assert client.post(ENTRIES, later, format="json").json()["alert_level"] == "green"
    client.post(ENTRIES, earlier, format="json")
    alert = Alert.objects.get(patient=patient, kind="adherence")
    assert alert.level == "amber"
    assert client.get(f"{ENTRIES}{earlier['id']}/").json()["alert_level"] == "amber"
    assert set(alert.evidence.values_list("entry_id", flat=True)) == {uuid.UUID(later["id"])}


def test_no_diary_for_3_days_opens_one_amber_alert(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, recorded_at=timezone.now() - timedelta(days=4))
    assert pipeline.check_missed_diaries() == 1
    assert pipeline.check_missed_diaries() == 0
    alert = Alert.objects.get(kind="diary")
    assert alert.level == "amber" and alert.evidence.get().entry is None


def test_alert_events_and_notifications_carry_no_patient_data_in_task_arguments(tdxd, monkeypatch):
    from alerts import tasks

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.deliver_notification_task, "delay", lambda *a: calls.append(a))
    _, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}}, note="my neighbour Mrs Smith")
    assert calls and all(len(a) == 1 and isinstance(a[0], int) for a in calls)
    assert AlertEvent.objects.exists()


def test_an_alerted_fever_is_asked_again_until_it_resolves(clinic):
    from diary.models import FollowUp

    patient, client = enrolled_client(clinic, "zongertinib")
    post(client, symptoms={"fever": {"temp_c": 38.4}})
    followup = FollowUp.objects.get(patient=patient, code="recheck_fever")
    assert followup.terms == ["fever", "chills"]
    assert timedelta(hours=3, minutes=59) < followup.due_at - timezone.now() <= timedelta(hours=4)
    assert client.get("/api/v1/me/").json()["followups"] == []  # not due yet
    later = followup.due_at + timedelta(minutes=1)
    assert pipeline.ask_due_followups(now=later) == 1
    assert pipeline.ask_due_followups(now=later) == 0  # beat ran twice: asked once
    followup.refresh_from_db()
    assert followup.asked_count == 1 and followup.due_at == later + timedelta(hours=4)
    FollowUp.objects.filter(pk=followup.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    me = client.get("/api/v1/me/").json()
    assert [f["code"] for f in me["followups"]] == ["recheck_fever"]
    assert "fever" in me["report_terms"]
    # Still febrile: keep asking.
    post(client, symptoms={"fever": {"temp_c": 38.2}})
    assert FollowUp.objects.open().filter(code="recheck_fever").exists()
    # Temperature back to normal: resolved.
    post(client, symptoms={"fever": {"temp_c": 36.9}})
    assert not FollowUp.objects.open().filter(code="recheck_fever").exists()


def test_resolving_the_alert_stops_its_follow_ups(tdxd):
    from diary.models import FollowUp

    patient, client = tdxd
    post(client, symptoms={"hypoxia": {"spo2_rest": 86}})
    assert FollowUp.objects.open().filter(code="recheck_ild").exists()
    alert = Alert.objects.get(kind="ild")
    lifecycle.resolve_alert(
        alert_id=alert.pk, user=make_staff(patient.clinic), outcome="emergency_department"
    )
    assert not FollowUp.objects.open().exists()


def test_a_tdxd_fever_without_respiratory_symptoms_schedules_a_respiratory_recheck(tdxd):
    from diary.models import FollowUp

    patient, client = tdxd
    post(client, symptoms={"fever": {"temp_c": 38.5}, "dyspnea": {"sob_exertion": "none"}})
    recheck = FollowUp.objects.get(patient=patient, code="respiratory_recheck_24h")
    assert "dyspnea" in recheck.terms
    post(
        client, symptoms={"dyspnea": {"sob_exertion": "none"}, "cough": {"cough_severity": "none"}}
    )
    recheck.refresh_from_db()
    assert recheck.resolved_at is not None


def test_the_pipeline_reads_the_same_patient_context_as_the_models_say():
    """The lock's plain SQL (alerts.pipeline._load_context) picks the current course as
    Patient.current_course does: the newest by start date that is not discontinued."""
    from datetime import date

    from django.db import transaction

    from diary.models import Infusion, TreatmentCourse
    from tests.helpers import enroll

    patient, _ = enroll(make_clinic(), "zongertinib")
    older = TreatmentCourse.objects.create(
        patient=patient,
        drug="trastuzumab_deruxtecan",
        dose_level="5.4_mg_kg",
        started_on=date(2026, 1, 5),
    )
    Infusion.objects.create(course=older, given_on=date(2026, 1, 5), dose_level="5.4_mg_kg")
    Infusion.objects.create(course=older, given_on=date(2026, 1, 26), dose_level="5.4_mg_kg")
    TreatmentCourse.objects.filter(patient=patient).exclude(pk=older.pk).update(
        started_on=date(2025, 6, 1)
    )
    TreatmentCourse.objects.create(
        patient=patient,
        drug="sevabertinib",
        dose_level="",
        started_on=date(2026, 3, 1),
        stopped_on=date(2026, 3, 2),
        status="discontinued",
    )
    patient.refresh_from_db()
    with transaction.atomic():
        snapshot = pipeline._load_context(patient).snapshot
    assert patient.current_course() == older
    assert snapshot == pipeline._patient_context(patient, set())
    assert snapshot["drug"] == "trastuzumab_deruxtecan"
    assert snapshot["infusion_dates"] == (date(2026, 1, 5), date(2026, 1, 26))


def test_a_late_entry_leaves_the_follow_up_an_already_stored_entry_asked_for():
    """D13 re-evaluates the stored entries recorded after a late one; the follow-up such an
    entry asked for when it arrived stays as it is: not answered by the entry itself, not
    asked anew with its ask count back to 0."""
    from diary.models import FollowUp

    patient, client = enrolled_client(make_clinic(), "zongertinib")
    now = timezone.now()
    post(client, recorded_at=now - timedelta(hours=2))  # diarrhea G1: ask again in 24 h
    recheck = FollowUp.objects.get(patient=patient, code="diarrhea_recheck_24h")
    FollowUp.objects.filter(pk=recheck.pk).update(asked_count=1)

    post(client, recorded_at=now - timedelta(hours=5), symptoms={"fatigue": {"fatigue": False}})

    rechecks = FollowUp.objects.filter(patient=patient, code="diarrhea_recheck_24h")
    assert [(f.pk, f.resolved_at, f.asked_count) for f in rechecks] == [(recheck.pk, None, 1)]


def test_a_late_entry_does_not_ask_again_what_a_later_entry_answered():
    """The answer is recorded more than 14 days after the late entry, so it is not evaluated
    again with it: only the entry that asked is, and it must not ask anew."""
    from diary.models import FollowUp

    patient, client = enrolled_client(make_clinic(), "zongertinib")
    now = timezone.now()
    post(client, recorded_at=now - timedelta(days=15))  # diarrhea G1: ask again in 24 h
    post(
        client,
        recorded_at=now - timedelta(hours=1),
        symptoms={"diarrhea": {"stools_over_baseline": 0}},
    )
    assert not FollowUp.objects.filter(patient=patient).open().exists()

    post(client, recorded_at=now - timedelta(days=16), symptoms={"fatigue": {"fatigue": False}})

    assert not FollowUp.objects.filter(patient=patient).open().exists()


def test_a_late_entry_s_own_follow_up_is_answered_by_a_stored_entry_recorded_after_it():
    """The follow-up a late entry asks for is answered by what the patient reported after it,
    even though that report was stored first."""
    from diary.models import FollowUp

    patient, client = enrolled_client(make_clinic(), "zongertinib")
    now = timezone.now()
    post(
        client,
        recorded_at=now - timedelta(hours=1),
        symptoms={"diarrhea": {"stools_over_baseline": 0}},
    )
    post(client, recorded_at=now - timedelta(hours=4))  # late diarrhea G1

    recheck = FollowUp.objects.get(patient=patient, code="diarrhea_recheck_24h")
    assert recheck.resolved_at is not None
