"""Reminders pushed to the patient: diary, questionnaires due, missed TKI doses.

``send_due_reminders`` runs from Celery beat every 15 minutes. For each patient on active
treatment with a registered phone it works in the patient's own time zone: nothing is sent in
quiet hours (``TOXWATCH_QUIET_HOURS``, 21:00-08:00 by default [D]); a reminder due then goes at
the first run after they end. Each reminder is sent once per occasion: its ``ReminderLog`` row
(unique per patient, kind and occasion) is claimed, under a lock on the patient row, with a
conditional UPDATE before anything is sent, so a late, repeated or concurrent run never sends it
twice (at most once: a crash after
the claim loses that one reminder rather than repeating it).

What is reminded [D: needs clinical sign-off]:
- the diary, at ``TOXWATCH_DIARY_REMINDER_HOUR`` local time (18 by default) when nothing was
  recorded that local day;
- questionnaires, once per due occasion (one push lists how many are waiting);
- each time the care team's follow-up questions are asked (``alerts`` marks the ask on the
  ``FollowUp`` row: ``asked_count``), once per ask: the questions themselves are in the app
  (``/me`` and the catalogue's ``ask_today``);
- a missed oral TKI dose reported in an entry of the last 24 hours, once per entry: how to take
  the next dose without doubling (zongertinib: skip a dose more than 12 h late; sevabertinib:
  never double; reference §3.2-3.3 [V]). Adherence alerts for the care team stay with the
  alert rules (§5.6).
Devices are registered through the API (``register_device``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop, ngettext

from diary import push, questionnaires
from diary.models import (
    CourseStatus,
    Device,
    Patient,
    ReminderKind,
    ReminderLog,
)

logger = logging.getLogger(__name__)

MAX_DEVICES_PER_PATIENT = 5  # [D] older registrations beyond this are dropped

MESSAGES = {
    ReminderKind.DIARY: push.PushMessage(
        title="ToxWatch",
        body=gettext_noop("How are you today? Your diary is waiting."),
        kind="diary",
        collapse_key="diary",
    ),
    ReminderKind.FOLLOWUP: push.PushMessage(
        title="ToxWatch",
        body=gettext_noop(
            "Your care team would like to know how you are now. Please open your diary."
        ),
        kind="diary",
        collapse_key="followup",
    ),
    ReminderKind.MISSED_DOSE: push.PushMessage(
        title="ToxWatch",
        body=gettext_noop(
            "About a missed tablet: take your next dose at the usual time. Never take two "
            "doses together. Open the app for details."
        ),
        kind="missed_dose",
        collapse_key="missed_dose",
    ),
}


def questionnaire_message(count: int) -> push.PushMessage:
    """In the active language (``remind_patient`` activates the patient's)."""
    body = ngettext(
        "You have a questionnaire due.", "You have %(count)d questionnaires due.", count
    ) % {"count": count}
    return push.PushMessage(
        title="ToxWatch", body=body, kind="questionnaires", collapse_key="questionnaires"
    )


# --- devices --------------------------------------------------------------------------------


def register_device(*, patient: Patient, platform: str, token: str) -> tuple[Device, bool]:
    """Register a phone's push token, or refresh it (a token signed in anew moves to this
    patient). Returns the device and whether it is new. The token is never logged."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                device = Device.objects.select_for_update().filter(token=token).first()
                created = device is None
                if device is None:
                    device = Device.objects.create(
                        patient=patient, platform=platform, token=token, registered_at=now
                    )
                else:
                    device.patient = patient
                    device.platform = platform
                    device.registered_at = now
                    device.save(update_fields=["patient", "platform", "registered_at"])
                stale = list(
                    Device.objects.filter(patient=patient)
                    .order_by("-registered_at", "-pk")
                    .values_list("pk", flat=True)[MAX_DEVICES_PER_PATIENT:]
                )
                if stale:
                    Device.objects.filter(pk__in=stale).delete()
            break
        except IntegrityError:
            continue  # registered by a racing request a moment ago: update it instead
    else:  # pragma: no cover - two consecutive races on one token
        raise RuntimeError("device registration raced twice")
    logger.info(
        "device registered device_id=%s patient_id=%s new=%s", device.pk, patient.pk, created
    )
    return device, created


def unregister_device(*, patient: Patient, token: str) -> bool:
    """Forget the patient's phone with this token (sign-out); another patient's is untouched."""
    deleted, _ = Device.objects.filter(patient=patient, token=token).delete()
    return bool(deleted)


# --- reminders ------------------------------------------------------------------------------


def _parse_hours(value: Sequence[str]) -> tuple[time, time]:
    start, end = (time.fromisoformat(part) for part in value)
    return start, end


def in_quiet_hours(local: datetime) -> bool:
    start, end = _parse_hours(settings.TOXWATCH_QUIET_HOURS)
    now = local.time()
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # the window spans midnight


def _claim(patient: Patient, wanted: Sequence[tuple[str, str]], now: datetime) -> list[ReminderLog]:
    """Claim the reminders (kind, occasion) not sent yet; returns the rows this run won.

    Claims of one patient are serialised by a lock on the patient row, and each row is taken
    with a conditional UPDATE (``sent_at`` still empty), so concurrent runs never share a
    reminder and never send two pushes for one batch. The lock is released before sending.
    """
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        pks = [
            ReminderLog.objects.get_or_create(patient=patient, kind=kind, occasion=occasion)[0].pk
            for kind, occasion in wanted
        ]
        won = list(ReminderLog.objects.filter(pk__in=pks, sent_at=None).order_by("pk"))
        ReminderLog.objects.filter(pk__in=[log.pk for log in won]).update(sent_at=now)
    return won


def remind_patient(*, patient: Patient, now: datetime | None = None) -> list[str]:
    """Send the patient's reminders due now (one push per kind); returns the kinds sent."""
    now = now or timezone.now()
    tz = ZoneInfo(patient.timezone)
    local = now.astimezone(tz)
    if in_quiet_hours(local):
        return []
    course = patient.current_course()
    active = course is not None and course.status == CourseStatus.ACTIVE
    wanted: list[tuple[str, str]] = []

    # Questionnaires: one reminder per occasion; one push says how many are waiting.
    due = questionnaires.due_occasions(patient=patient, now=now)
    wanted += [
        (ReminderKind.QUESTIONNAIRE, f"{d.schedule.instrument}:{d.occasion.due_on.isoformat()}")
        for d in due
    ]
    # The diary, in the evening, when nothing was recorded that local day.
    if active and local.hour >= settings.TOXWATCH_DIARY_REMINDER_HOUR:
        day_start = datetime.combine(local.date(), time(0), tzinfo=tz)
        if not patient.entries.filter(recorded_at__gte=day_start).exists():
            wanted.append((ReminderKind.DIARY, local.date().isoformat()))
    # Follow-up questions the care team asked: one push per ask.
    wanted += [
        (ReminderKind.FOLLOWUP, f"followup:{pk}:{count}")
        for pk, count in patient.followups.open()
        .filter(asked_count__gte=1)
        .values_list("pk", "asked_count")
    ]
    # A missed TKI dose reported in the last 24 hours: once per reporting entry.
    if active and course is not None and course.drug_class == "tki":
        wanted += [
            (ReminderKind.MISSED_DOSE, f"entry:{entry_id}")
            for entry_id in patient.entries.filter(
                tki_doses_missed__gte=1, recorded_at__gte=now - timedelta(hours=24)
            ).values_list("pk", flat=True)
        ]
    if not wanted:
        return []

    by_kind: dict[str, list[ReminderLog]] = {}
    for log in _claim(patient, wanted, now):
        by_kind.setdefault(log.kind, []).append(log)
    for kind, logs in by_kind.items():
        with translation.override(patient.language):
            message = (
                questionnaire_message(len(due))
                if kind == ReminderKind.QUESTIONNAIRE
                else MESSAGES[ReminderKind(kind)]
            )
        delivered = push.send_to_patient(
            patient=patient, message=message, key=f"reminder-{logs[0].pk}"
        )
        ReminderLog.objects.filter(pk__in=[log.pk for log in logs]).update(devices=delivered)
        logger.info(
            "reminder sent reminder_id=%s patient_id=%s kind=%s occasions=%s devices=%s",
            logs[0].pk,
            patient.pk,
            kind,
            len(logs),
            delivered,
        )
    return list(by_kind)


def send_due_reminders(*, now: datetime | None = None) -> int:
    """The beat task's work: every patient on treatment with a phone registered. Safe to run
    late, twice or concurrently (each reminder claims its row)."""
    now = now or timezone.now()
    patients = (
        Patient.objects.filter(
            devices__isnull=False,
            user__is_active=True,
            courses__status=CourseStatus.ACTIVE,
        )
        .distinct()
        .prefetch_related("questionnaire_schedules", "courses__infusions")
    )
    sent = 0
    for patient in patients:
        sent += len(remind_patient(patient=patient, now=now))
    return sent
