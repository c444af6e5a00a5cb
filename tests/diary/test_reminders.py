"""Push reminders: sent in the patient's own time zone, never in quiet hours, once per occasion,
through the configured backend, with nothing about the patient in the message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from diary import reminders
from diary.models import Device, QuestionnaireSchedule, ReminderLog
from diary.tasks import send_reminders_task
from tests.helpers import (
    RecordingPushBackend,
    enrolled_client,
    entry_body,
    make_clinic,
    response_body,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def recording_backend(settings):
    settings.TOXWATCH_PUSH_BACKEND = "tests.helpers.RecordingPushBackend"
    settings.TOXWATCH_QUIET_HOURS = ("21:00", "08:00")
    settings.TOXWATCH_DIARY_REMINDER_HOUR = 18
    RecordingPushBackend.sent = []
    RecordingPushBackend.rejected_tokens = set()
    yield
    RecordingPushBackend.sent = []


@pytest.fixture
def clinic():
    return make_clinic()


def patient_with_phone(clinic, drug="zongertinib", tz="Europe/Paris", token=None, starts=MONDAY):
    patient, client = enrolled_client(clinic, drug, timezone_name=tz)
    QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=starts)
    token = token or f"token-{patient.subject_id}"
    assert (
        client.post(
            "/api/v1/devices/", {"platform": "fcm", "token": token}, format="json"
        ).status_code
        == 201
    )
    return patient, client


def bodies() -> list[str]:
    return [message.body for _, message, _ in RecordingPushBackend.sent]


def kinds() -> list[str]:
    return [message.kind for _, message, _ in RecordingPushBackend.sent]


def test_due_questionnaires_are_reminded_once_in_one_push(clinic):
    patient, _ = patient_with_phone(clinic)
    morning = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # 10:00 in Paris, a weekly due day
    assert reminders.send_due_reminders(now=morning) == 1
    assert bodies() == ["You have 3 questionnaires due."]  # PRO-CTCAE, QoL rating, ECOG
    assert ReminderLog.objects.filter(patient=patient, kind="questionnaire").count() == 3
    assert reminders.send_due_reminders(now=morning) == 0
    assert reminders.send_due_reminders(now=morning + timedelta(minutes=15)) == 0
    assert len(RecordingPushBackend.sent) == 1


def test_the_next_occasion_is_reminded_again(clinic):
    patient_with_phone(clinic)
    reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    reminders.send_due_reminders(now=datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    assert len(RecordingPushBackend.sent) == 2


def test_an_answered_questionnaire_is_left_out_of_the_reminder(clinic):
    _, client = patient_with_phone(clinic)
    answered = response_body(completed_at=datetime(2026, 3, 9, 7, 0, tzinfo=UTC))  # 08:00 Paris
    assert (
        client.post("/api/v1/questionnaires/responses/", answered, format="json").status_code == 201
    )
    reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    assert bodies() == ["You have 2 questionnaires due."]


def test_nothing_is_sent_in_quiet_hours_and_the_reminder_goes_when_they_end(clinic):
    patient_with_phone(clinic)
    late = datetime(2026, 3, 9, 20, 30, tzinfo=UTC)  # 21:30 in Paris
    assert reminders.send_due_reminders(now=late) == 0
    assert not ReminderLog.objects.exists()
    next_morning = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # 08:00: quiet hours have ended
    assert reminders.send_due_reminders(now=next_morning) == 1
    assert bodies() == ["You have 3 questionnaires due."]  # still open: overdue


def test_quiet_hours_are_the_patients_own(clinic):
    paris, _ = patient_with_phone(clinic, tz="Europe/Paris")
    new_york, _ = patient_with_phone(clinic, tz="America/New_York")
    instant = datetime(2026, 3, 9, 20, 30, tzinfo=UTC)  # Paris 21:30 (quiet), New York 16:30
    reminders.send_due_reminders(now=instant)
    devices = {device_id for device_id, _, _ in RecordingPushBackend.sent}
    assert devices == set(new_york.devices.values_list("pk", flat=True))
    assert not ReminderLog.objects.filter(patient=paris).exists()


def test_quiet_hours_follow_the_clock_change(clinic):
    patient_with_phone(clinic, starts=date(2026, 3, 28))
    # 06:30 UTC is 07:30 in Paris on Saturday 28 March (winter time: quiet)...
    assert reminders.send_due_reminders(now=datetime(2026, 3, 28, 6, 30, tzinfo=UTC)) == 0
    # ...and 08:30 on Sunday 29 March (summer time: not quiet).
    assert reminders.send_due_reminders(now=datetime(2026, 3, 29, 6, 30, tzinfo=UTC)) == 1


def test_quiet_hours_may_be_switched_off_or_lie_within_one_day(settings):
    paris = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    settings.TOXWATCH_QUIET_HOURS = ("00:00", "00:00")
    assert not reminders.in_quiet_hours(paris)
    settings.TOXWATCH_QUIET_HOURS = ("12:00", "14:00")
    assert reminders.in_quiet_hours(paris)
    assert not reminders.in_quiet_hours(paris.replace(hour=14))


def test_the_diary_is_reminded_in_the_evening_when_nothing_was_recorded_today(clinic):
    patient_with_phone(clinic, starts=date(2026, 1, 1))  # no questionnaire due on 10 March
    afternoon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 16:00 in Paris
    reminders.send_due_reminders(now=afternoon)
    assert "diary" not in kinds()
    evening = datetime(2026, 3, 10, 17, 15, tzinfo=UTC)  # 18:15
    reminders.send_due_reminders(now=evening)
    reminders.send_due_reminders(now=evening + timedelta(minutes=15))
    assert kinds().count("diary") == 1
    assert ReminderLog.objects.get(kind="diary").occasion == "2026-03-10"


def test_no_diary_reminder_after_an_entry_recorded_that_local_day(clinic):
    _, client = patient_with_phone(clinic, starts=date(2026, 1, 1))
    morning = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # 08:30 in Paris
    assert (
        client.post("/api/v1/entries/", entry_body(recorded_at=morning), format="json").status_code
        == 201
    )
    reminders.send_due_reminders(now=datetime(2026, 3, 10, 17, 15, tzinfo=UTC))
    assert "diary" not in kinds()


def test_an_entry_from_the_day_before_in_local_time_does_not_count(clinic):
    _, client = patient_with_phone(clinic, tz="Pacific/Auckland", starts=date(2026, 1, 1))
    # 10 March 10:00 UTC is 23:00 on 10 March in Auckland; the reminder runs at 18:30 on 11 March.
    yesterday_local = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    client.post("/api/v1/entries/", entry_body(recorded_at=yesterday_local), format="json")
    reminders.send_due_reminders(now=datetime(2026, 3, 11, 5, 30, tzinfo=UTC))
    assert kinds() == ["diary"]


def test_a_reported_missed_tki_dose_is_reminded_once(clinic):
    _, client = patient_with_phone(clinic, starts=date(2026, 1, 1))
    noon = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    body = entry_body(recorded_at=noon - timedelta(hours=2), medications={"tki_doses_missed": 1})
    assert client.post("/api/v1/entries/", body, format="json").status_code == 201
    reminders.send_due_reminders(now=noon)
    reminders.send_due_reminders(now=noon + timedelta(hours=1))
    assert kinds() == ["missed_dose"]
    assert "Never take two doses together" in bodies()[0]
    reminders.send_due_reminders(now=noon + timedelta(days=1))  # the entry is 26 hours old
    assert kinds() == ["missed_dose"]


def test_t_dxd_patients_get_no_missed_dose_reminders(clinic):
    _, client = patient_with_phone(clinic, drug="trastuzumab_deruxtecan", starts=date(2026, 1, 1))
    noon = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)
    body = entry_body(recorded_at=noon - timedelta(hours=2), medications={"tki_doses_missed": 1})
    client.post("/api/v1/entries/", body, format="json")
    reminders.send_due_reminders(now=noon)
    assert "missed_dose" not in kinds()


def test_patients_without_a_phone_are_skipped_and_nothing_is_claimed(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=MONDAY)
    assert reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC)) == 0
    assert not ReminderLog.objects.exists()


def test_every_phone_of_the_patient_gets_the_push_and_a_rejected_token_is_forgotten(clinic):
    patient, client = patient_with_phone(clinic, token="token-good-1")
    client.post("/api/v1/devices/", {"platform": "apns", "token": "token-gone-2"}, format="json")
    RecordingPushBackend.rejected_tokens = {"token-gone-2"}
    reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    assert len(RecordingPushBackend.sent) == 1
    assert list(patient.devices.values_list("token", flat=True)) == ["token-good-1"]
    assert set(ReminderLog.objects.values_list("devices", flat=True)) == {1}


def test_a_failing_backend_does_not_stop_other_patients(clinic, settings, monkeypatch):
    first, _ = patient_with_phone(clinic, token="token-first-1")
    second, _ = patient_with_phone(clinic, token="token-second-2")

    def send(self, device, message, *, key):
        if device.token == "token-first-1":
            raise ConnectionError("push service down")
        RecordingPushBackend.sent.append((device.pk, message, key))
        from diary.push import PushResult

        return PushResult(delivered=True)

    monkeypatch.setattr(RecordingPushBackend, "send", send)
    reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    assert [d for d, _, _ in RecordingPushBackend.sent] == list(
        second.devices.values_list("pk", flat=True)
    )
    # At most once: the first patient's reminder was claimed and is not retried.
    assert ReminderLog.objects.filter(patient=first, devices=0).count() == 3


def test_messages_say_nothing_about_the_patient(clinic):
    patient, client = patient_with_phone(clinic, starts=date(2026, 3, 10))
    evening = datetime(2026, 3, 10, 17, 15, tzinfo=UTC)
    body = entry_body(recorded_at=evening - timedelta(days=1), medications={"tki_doses_missed": 1},
                      note="felt awful")  # fmt: skip
    client.post("/api/v1/entries/", body, format="json")
    reminders.send_due_reminders(now=evening)
    assert set(kinds()) == {"questionnaires", "missed_dose", "diary"}
    for _, message, key in RecordingPushBackend.sent:
        text = f"{message.title} {message.body} {message.data} {key}"
        for private in (patient.subject_id, "zongertinib", "awful", "PROCTCAE", "qol_rating"):
            assert private not in text


def test_the_beat_task_sends_and_is_safe_to_run_twice(clinic, settings):
    settings.TOXWATCH_QUIET_HOURS = ("00:00", "00:00")
    settings.TOXWATCH_DIARY_REMINDER_HOUR = 0
    patient_with_phone(clinic, starts=date.today() - timedelta(days=56))
    assert send_reminders_task() >= 1
    sent = len(RecordingPushBackend.sent)
    assert sent >= 1
    assert send_reminders_task() == 0
    assert len(RecordingPushBackend.sent) == sent


def test_the_beat_schedule_runs_reminders_every_quarter_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    assert entry == {"task": "diary.tasks.send_reminders_task", "schedule": 900.0}


def test_the_default_backend_logs_device_ids_never_tokens(clinic, settings, caplog):
    import logging

    settings.TOXWATCH_PUSH_BACKEND = "diary.push.ConsoleBackend"
    patient, _ = patient_with_phone(clinic, token="very-secret-token-42")
    with caplog.at_level(logging.INFO):
        reminders.send_due_reminders(now=datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    device = Device.objects.get(patient=patient)
    assert f"push device_id={device.pk}" in caplog.text
    assert "very-secret-token-42" not in caplog.text


def test_push_payloads_have_the_shape_fcm_and_apns_expect(clinic):
    from diary import push

    patient, _ = patient_with_phone(clinic, token="abcdef0123456789")
    device = patient.devices.get()
    message = reminders.questionnaire_message(2)
    fcm = push.fcm_payload(device, message, key="k1")
    assert fcm["message"]["token"] == "abcdef0123456789"
    assert fcm["message"]["notification"]["body"] == "You have 2 questionnaires due."
    assert fcm["message"]["android"]["collapse_key"] == "questionnaires"
    headers, body = push.apns_payload(device, message, key="k1")
    assert headers["apns-collapse-id"] == "questionnaires"
    # A stable id per key (D70): every attempt of one push carries the same apns-id.
    assert headers["apns-id"] == push.apns_payload(device, message, key="k1")[0]["apns-id"]
    assert headers["apns-id"] != push.apns_payload(device, message, key="k2")[0]["apns-id"]
    assert body["aps"]["alert"]["title"] == "ToxWatch"


@pytest.mark.parametrize(
    "name,value,error",
    [
        ("TOXWATCH_QUIET_HOURS", ("21",), "toxwatch.E010"),
        ("TOXWATCH_QUIET_HOURS", ("9pm", "8am"), "toxwatch.E010"),
        ("TOXWATCH_DIARY_REMINDER_HOUR", 24, "toxwatch.E011"),
        ("TOXWATCH_PUSH_BACKEND", "diary.push.NoSuchBackend", "toxwatch.E012"),
    ],
)
def test_bad_reminder_settings_are_refused_at_start_up(settings, name, value, error):
    from config.checks import reminder_settings

    assert reminder_settings(None) == []
    setattr(settings, name, value)
    assert [e.id for e in reminder_settings(None)] == [error]
