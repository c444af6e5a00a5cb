"""Alert use cases: raising alerts from entries, the alert lifecycle, and notification delivery.

Each function owns its transaction and side effects. ``raise_alerts`` runs inside the
transaction that stores diary entries (via ``diary.signals.entries_recorded``), so an accepted
entry that matches a rule always has its alert and outbox rows, whatever Redis or the workers
are doing. Deliveries are enqueued only after commit; the beat sweeper re-sends anything the
broker never got.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from alerts import live, rules
from alerts.context import AlertContext, Writes, history_rows
from alerts.models import (
    ACTIVE_STATUSES,
    LEVEL_RANK,
    Alert,
    AlertEvent,
    AlertEvidence,
    Channel,
    EventType,
    ExpectedLevel,
    Level,
    Notification,
    NotificationReason,
    Outcome,
    Status,
)
from diary import drugs
from diary.models import (
    CourseStatus,
    DiaryEntry,
    FollowUp,
    Infusion,
    Patient,
    TreatmentCourse,
)

logger = logging.getLogger(__name__)

HISTORY_WINDOW = timedelta(days=14)
# An undelivered notification is re-sent after 2 minutes (issue: beat sweeper); a claim that
# was never completed (worker killed) is taken over after the same lease.
RESEND_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 10
# Longest a clinician may declare a level "expected" before it must be renewed [D].
MAX_EXPECTED_DAYS = 30

CHANNELS_BY_LEVEL: dict[str, tuple[str, ...]] = {
    Level.AMBER: (Channel.DASHBOARD, Channel.EMAIL),
    Level.RED: (Channel.DASHBOARD, Channel.EMAIL, Channel.SMS),
}


class AlertActionError(Exception):
    """The action does not apply to the alert in its current state."""


# --- from entries to alerts -----------------------------------------------------------------


def due_at_for(patient: Patient, level: str, start: datetime) -> datetime:
    clinic = patient.clinic
    if level == Level.RED:
        return start + timedelta(minutes=clinic.red_due_minutes)  # §5.1 RED <=1 h [D]
    return start + timedelta(hours=clinic.amber_due_hours)  # §5.1 AMBER <=24 h [V UKONS]


def _report(entry: DiaryEntry, grades: dict[str, int | None]) -> rules.Report:
    return rules.Report(
        entry_id=str(entry.pk),
        # The phone's local time: "daily", "same day" and "consecutive days" are the patient's.
        recorded_at=entry.local_recorded_at(),
        symptoms=entry.symptoms,
        grades=grades,
        loperamide_mg=float(entry.loperamide_mg) if entry.loperamide_mg is not None else None,
        tki_doses_taken=entry.tki_doses_taken,
        tki_doses_missed=entry.tki_doses_missed,
        tki_dose_vomited=entry.tki_dose_vomited,
        missed_dose_reason=entry.missed_dose_reason,
    )


REPORT_FIELDS = (
    "id",
    "recorded_at",
    "recorded_offset_minutes",
    "symptoms",
    "loperamide_mg",
    "tki_doses_taken",
    "tki_doses_missed",
    "tki_dose_vomited",
    "missed_dose_reason",
    "grade_summary",
)


def _report_from_row(row: dict[str, Any], grades: dict[str, int | None]) -> rules.Report:
    offset = timezone.get_fixed_timezone(timedelta(minutes=row["recorded_offset_minutes"]))
    loperamide = row["loperamide_mg"]
    return rules.Report(
        entry_id=str(row["id"]),
        recorded_at=row["recorded_at"].astimezone(offset),
        symptoms=row["symptoms"],
        grades=grades,
        loperamide_mg=float(loperamide) if loperamide is not None else None,
        tki_doses_taken=row["tki_doses_taken"],
        tki_doses_missed=row["tki_doses_missed"],
        tki_dose_vomited=row["tki_dose_vomited"],
        missed_dose_reason=row["missed_dose_reason"],
    )


def _patient_context(patient: Patient, expected: set[str]) -> dict[str, Any]:
    course = patient.current_course()
    return _context_for(
        patient,
        expected,
        course_id=course.pk if course else None,
        drug=course.drug if course else None,
        started_on=course.started_on if course else None,
    )


def _context_for(
    patient: Patient,
    expected: set[str],
    *,
    course_id: int | None,
    drug: str | None,
    started_on: date | None,
) -> dict[str, Any]:
    """The rules' patient fields, from the current course (its id, drug and start date)."""
    catalogue = drugs.DRUGS[drug] if drug else None
    infusions: tuple[Any, ...] = ()
    if catalogue is not None and catalogue.infused:
        infusions = tuple(
            sorted(Infusion.objects.filter(course_id=course_id).values_list("given_on", flat=True))
        )
    return {
        "drug": drug or "other",
        "drug_class": catalogue.drug_class if catalogue else "other",
        "baseline": rules.Baseline(
            stools_per_day=patient.baseline_stools_per_day,
            spo2_rest=patient.baseline_spo2_rest,
            spo2_exertion=patient.baseline_spo2_exertion,
            sob_exertion=patient.baseline_sob_exertion or None,
            weight_kg=float(patient.baseline_weight_kg) if patient.baseline_weight_kg else None,
        ),
        "risk_factors": tuple(patient.ild_risk_factors()),
        "brain_metastases": patient.brain_metastases,
        "treatment_started_on": started_on,
        "last_infusion_on": infusions[-1] if infusions else None,
        "infusion_dates": infusions,
        # A clinician's "expected" on ILD is the §5.2 "under active ILD management" flag.
        "under_ild_management": "ild" in expected,
    }


def raise_alerts(
    *, patient: Patient, entries: Sequence[tuple[DiaryEntry, dict[str, Any]]]
) -> dict[Any, str]:
    """Evaluate the rules for newly stored entries of one patient and write alerts, evidence
    and outbox rows. Runs inside the transaction that stores the entries.

    Returns, per new entry id, the highest level the care team was newly told about because of
    it (green entries are left out). Entries are evaluated in recorded-time order with the 14
    days before each as history; stored entries recorded after a late-arriving one are
    evaluated again with it in their history (evidence is unique per alert, entry and rule, so
    nothing doubles), and what that tells the care team counts for the late entry.

    The patient's context is read once and the rows are written in bulk at the end
    (alerts.context).
    """
    ctx = _load_context(patient)
    new_ids = {str(entry.pk) for entry, _ in entries}
    earliest = min(entry.recorded_at for entry, _ in entries)
    latest = max(entry.recorded_at for entry, _ in entries)
    rows = [
        row
        for row in history_rows(
            patient.pk, earliest - HISTORY_WINDOW, latest + HISTORY_WINDOW, REPORT_FIELDS
        )
        if str(row["id"]) not in new_ids
    ]
    reports = [_report_from_row(row, row["grade_summary"]) for row in rows]
    reports += [
        _report(entry, {term: result.grade for term, result in results.items()})
        for entry, results in entries
    ]
    reports.sort(key=lambda r: (r.recorded_at, r.entry_id))
    later_stored = {
        r.entry_id for r in reports if r.entry_id not in new_ids and r.recorded_at > earliest
    }
    writes = Writes()
    # Re-evaluated entries may already carry evidence: never write it twice. Their evidence is
    # read when the first of them fires AMBER or RED (only then is evidence attached), usually
    # never.
    keys_read = not later_stored

    levels: dict[Any, str] = {}
    owner: str | None = None  # the latest new entry so far
    start = 0
    for index, report in enumerate(reports):
        if report.entry_id in new_ids:
            owner = report.entry_id
        elif report.entry_id not in later_stored:
            continue  # earlier entries were evaluated when they arrived
        while reports[start].recorded_at < report.recorded_at - HISTORY_WINDOW:
            start += 1
        history = tuple(reports[start:index])
        evaluation = rules.evaluate(rules.Snapshot(current=report, history=history, **ctx.snapshot))
        if not evaluation.levels_by_kind and not evaluation.followups and not ctx.followups:
            continue  # nothing fired and nothing to follow up
        fires = any(
            level in (Level.AMBER, Level.RED) for level in evaluation.levels_by_kind.values()
        )
        if fires and not keys_read and report.entry_id in later_stored:
            writes.evidence_keys.update(
                (alert_id, str(entry_id), code)
                for alert_id, entry_id, code in AlertEvidence.objects.filter(
                    entry_id__in=[uuid.UUID(entry_id) for entry_id in later_stored]
                ).values_list("alert_id", "entry_id", "code")
            )
            keys_read = True
        level = _apply(ctx, writes, report, evaluation)
        _follow_up(ctx, writes, report, evaluation, reevaluated=report.entry_id in later_stored)
        if owner is not None and level != "green":
            levels[owner] = _max(levels.get(owner, "green"), level)
    writes.flush(ctx.now, enqueue_deliveries)
    by_pk = {str(entry.pk): entry.pk for entry, _ in entries}
    return {by_pk[entry_id]: level for entry_id, level in levels.items()}


def _context_sql() -> str:
    """The patient's lock with what the pipeline needs to know first: whether any level is
    expected (ExpectedLevel until > now), whether any follow-up is open (FollowUp.objects.open),
    and the current course (Patient.current_course: the newest not discontinued, by start date
    then id). Plain SQL: compiling the same read through the ORM cost about 1.5 ms of CPU per
    entry, more than the database spends on it (docs/performance.md, "Ingest")."""
    patient = Patient._meta.db_table
    course = TreatmentCourse._meta.db_table
    current = (
        f"(SELECT {{col}} FROM {course} c WHERE c.patient_id = p.id AND c.status <> "
        f"'{CourseStatus.DISCONTINUED}' ORDER BY c.started_on DESC, c.id DESC LIMIT 1)"
    )
    return (
        f"SELECT EXISTS (SELECT 1 FROM {ExpectedLevel._meta.db_table} e"
        f" WHERE e.patient_id = p.id AND e.until > %s),"
        f" EXISTS (SELECT 1 FROM {FollowUp._meta.db_table} f"
        f" WHERE f.patient_id = p.id AND f.resolved_at IS NULL),"
        f" {current.format(col='c.id')}, {current.format(col='c.drug')},"
        f" {current.format(col='c.started_on')}"
        f" FROM {patient} p WHERE p.id = %s"
    )


_CONTEXT_SQL = _context_sql()


def _load_context(patient: Patient) -> AlertContext:
    """Lock the patient and read what the rules need about them. The lock query also tells
    whether a clinician declared any level expected and whether any follow-up is open (EXISTS
    subqueries), so the usual patient, with neither, costs no query for them."""
    now = timezone.now()
    # Alert evaluation is serialised per patient: two requests never open two alerts.
    with connection.cursor() as cursor:
        cursor.execute(
            _CONTEXT_SQL + (" FOR UPDATE" if connection.features.has_select_for_update else ""),
            [connection.ops.adapt_datetimefield_value(now), patient.pk],
        )
        has_expected, has_followups, course_id, drug, started_on = cursor.fetchone()
    if isinstance(started_on, str):  # SQLite returns dates as text
        started_on = date.fromisoformat(started_on)
    expected = _expected_kinds(patient, now) if has_expected else set()
    return AlertContext(
        patient=patient,
        now=now,
        expected=expected,
        snapshot=_context_for(
            patient, expected, course_id=course_id, drug=drug, started_on=started_on
        ),
        followups=list(patient.followups.open()) if has_followups else [],
    )


# --- follow-up questions ---------------------------------------------------------------------

# An alerted symptom is asked again until it resolves: fever every 4 h, others daily [D — the
# reference names the follow-up (§5.2 AMBER 4, §5.3) but no re-ask interval]. At most 12 asks,
# after which the open alert's escalation carries on [D].
RECHECK_TERMS: dict[str, tuple[tuple[str, ...], int]] = {
    "fever": (("fever", "chills"), 4 * 60),
    "ild": (("dyspnea", "cough", "hypoxia", "fever"), 24 * 60),
    "gi": (("diarrhea", "vomiting", "dehydration"), 24 * 60),
    "cns": (
        ("headache", "seizure", "confusion", "dizziness", "dysphasia", "vision_change"),
        24 * 60,
    ),
    "hepatic": (("liver_symptoms",), 24 * 60),
    "cardiac": (("heart_symptoms", "dyspnea"), 24 * 60),
}
MAX_ASKS = 12
# The rule set's one-shot follow-ups (alerts.rules.FOLLOWUPS): what to ask, 24 h later.
ONE_SHOT_TERMS: dict[str, tuple[str, ...]] = {
    "respiratory_recheck_24h": ("dyspnea", "cough", "hypoxia", "fever"),  # §5.2 AMBER 4 [D]
    "diarrhea_recheck_24h": ("diarrhea",),  # §5.3 GREEN "ask again in 24 h"
    "tdxd_daily_checkin": ("nausea", "vomiting", "diarrhea", "fatigue"),  # §5.3 T-DXd [D]
}


def _follow_up(
    ctx: AlertContext,
    writes: Writes,
    report: rules.Report,
    evaluation: rules.Evaluation,
    *,
    reevaluated: bool = False,
) -> None:
    """Resolve the open follow-ups this entry answers; schedule the ones it calls for.
    ``ctx.followups`` is the patient's open follow-ups, kept current across a batch; new and
    resolved ones are written when the call ends.

    A stored entry evaluated again because a late one arrived before it (D13) already answered
    and scheduled its follow-ups when it arrived: it answers only those opened in this call by
    an entry recorded before it, and schedules no one-shot question again. Otherwise it would
    answer the very questions it asked (resolving them and asking them anew with the ask count
    back to 0) or ask again what a later entry already answered."""
    answered = set(report.symptoms)
    for followup in list(ctx.followups):
        if not answered & set(followup.terms):
            continue
        if reevaluated and followup.pk is not None:
            continue
        kind = followup.code.removeprefix("recheck_")
        still_alerting = evaluation.levels_by_kind.get(kind, "green") != "green"
        if followup.code in ONE_SHOT_TERMS or not still_alerting:
            followup.resolved_at = ctx.now
            if followup.pk is not None:
                writes.resolved_followups.append(followup)
            ctx.followups.remove(followup)
    for code in evaluation.followups:
        terms = ONE_SHOT_TERMS.get(code)
        if terms is None or reevaluated:
            continue
        if any(f.code == code for f in ctx.followups):
            continue
        followup = FollowUp(
            patient=ctx.patient,
            code=code,
            terms=list(terms),
            reason=code.replace("_", " "),
            due_at=report.recorded_at + timedelta(hours=24),
        )
        writes.new_followups.append(followup)
        ctx.followups.append(followup)
    for kind, level in evaluation.levels_by_kind.items():
        if level == "green" or kind not in RECHECK_TERMS:
            continue
        terms, minutes = RECHECK_TERMS[kind]
        code = f"recheck_{kind}"
        if any(f.code == code for f in ctx.followups):
            continue
        alert = ctx.active.get(kind)
        if alert is None:
            continue  # folded as expected: nothing to chase
        followup = FollowUp(
            patient=ctx.patient,
            code=code,
            terms=list(terms),
            reason=f"Follow-up of alert #{alert.pk}",
            alert_id=alert.pk,
            due_at=ctx.now + timedelta(minutes=minutes),
            interval_minutes=minutes,
        )
        writes.new_followups.append(followup)
        ctx.followups.append(followup)


def ask_due_followups(*, now: datetime | None = None) -> int:
    """Ask due follow-up questions (the app shows them from /me; a push goes to the patient
    channel) and schedule the next ask. Safe to run late or twice: each ask claims its row."""
    now = now or timezone.now()
    asked = 0
    for followup in FollowUp.objects.due(now).filter(asked_count__lt=MAX_ASKS):
        won = FollowUp.objects.filter(
            pk=followup.pk, resolved_at=None, due_at=followup.due_at
        ).update(
            asked_count=F("asked_count") + 1,
            last_asked_at=now,
            due_at=now + timedelta(minutes=followup.interval_minutes),
        )
        if won:
            asked += 1
            logger.info(
                "follow-up asked followup_id=%s patient_id=%s code=%s",
                followup.pk,
                followup.patient_id,
                followup.code,
            )
    return asked


def _close_followups(alert: Alert, now: datetime) -> None:
    FollowUp.objects.open().filter(alert_id=alert.pk).update(resolved_at=now)


def _expected_kinds(patient: Patient, now: datetime) -> set[str]:
    return set(patient.expected_levels.filter(until__gt=now).values_list("kind", flat=True))


def _apply(
    ctx: AlertContext, writes: Writes, report: rules.Report, evaluation: rules.Evaluation
) -> str:
    told = "green"
    now = ctx.now
    entry_id = report.entry_id
    for kind, level in evaluation.levels_by_kind.items():
        if level not in (Level.AMBER, Level.RED):
            continue
        fired = [f for f in evaluation.fired if f.kind == kind]
        alert = ctx.active.get(kind)
        if level == Level.AMBER and kind in ctx.expected:
            # A clinician expects this chronic low-grade symptom: fold it, never RED.
            if alert is not None and _attach(writes, alert, entry_id, fired, now):
                writes.events.append(_new_event(alert, EventType.SUPPRESSED, {"entry": entry_id}))
            continue
        if alert is None:
            alert = Alert.objects.create(
                patient=ctx.patient,
                kind=kind,
                level=level,
                reason=_reason(fired),
                opened_at=now,
                due_at=due_at_for(ctx.patient, level, now),
                last_evidence_at=now,
            )
            ctx.active[kind] = alert
            _attach(writes, alert, entry_id, fired, now)
            writes.events.append(
                _new_event(alert, EventType.OPENED, {"level": level, "entry": entry_id})
            )
            writes.notifications.extend(_notifications(alert, NotificationReason.OPENED, level))
            told = _max(told, level)
            continue
        new = _attach(writes, alert, entry_id, fired, now)
        persisted_amber = (
            alert.level == Level.AMBER
            and level == Level.AMBER
            and new
            and report.recorded_at - alert.opened_at >= timedelta(hours=24)
        )
        if persisted_amber:
            # An AMBER unresolved on the next 24-h report becomes RED (§5.1, persistence [D]).
            level = "red"
            _attach(writes, alert, entry_id, [replace(PERSISTED_AMBER, symptom=kind)], now)
        if LEVEL_RANK[level] > LEVEL_RANK[alert.level]:
            previous = alert.level
            alert.level = level
            alert.due_at = min(alert.due_at, due_at_for(ctx.patient, level, now))
            alert.reason = _reason(fired) + "\n" + alert.reason
            alert.last_evidence_at = now
            alert.save(update_fields=["level", "due_at", "reason", "last_evidence_at"])
            writes.events.append(
                _new_event(alert, EventType.LEVEL_RAISED, {"from": previous, "to": level})
            )
            # A level is raised to once per alert (levels only go up): these rows are new.
            writes.notifications.extend(_notifications(alert, NotificationReason.RAISED, level))
            told = _max(told, level)
        elif new:
            writes.evidence_touched.add(alert.pk)
            writes.events.append(_new_event(alert, EventType.EVIDENCE, {"entry": entry_id}))
            told = _max(told, alert.level)
    if told != "green":
        logger.info(
            "alerts raised entry_id=%s patient_id=%s level=%s", entry_id, ctx.patient.pk, told
        )
    return told


# The persistence rule's evidence (§5.1, persistence [D]): not a rule of alerts.rules, since
# it depends on the open alert's age.
PERSISTED_AMBER = rules.Fired(
    code="combined.red.amber_unresolved_24h",
    kind="",
    level=Level.RED,  # type: ignore[arg-type]
    symptom="",
    reason="AMBER still present on a report 24 h or more after the alert opened: "
    "escalated to RED (§5.1 persistence rule [D]).",
    source="§5.1 [D]",
)


def _max(a: str, b: str) -> str:
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b


def _reason(fired: Sequence[rules.Fired]) -> str:
    return "\n".join(f.reason for f in fired)


def _attach(
    writes: Writes, alert: Alert, entry_id: str, fired: Iterable[rules.Fired], now: datetime
) -> bool:
    """Add the fired rules as evidence (written at the end of the call); True when anything
    was new. Evidence is unique per alert, entry and rule."""
    new = False
    for f in fired:
        key = (alert.pk, entry_id, f.code)
        if key in writes.evidence_keys:
            continue
        writes.evidence_keys.add(key)
        writes.evidence.append(AlertEvidence.of(f, alert=alert, entry_id=entry_id, at=now))
        new = True
    return new


def _new_event(alert: Alert, type: str, detail: dict[str, Any]) -> AlertEvent:
    """A system audit event, inserted with the call's other rows (Writes pushes it live)."""
    return AlertEvent(alert=alert, type=type, actor=None, detail=detail)


def _notifications(alert: Alert, reason: str, level: str) -> list[Notification]:
    return [
        Notification(alert=alert, channel=channel, reason=reason, level=level)
        for channel in CHANNELS_BY_LEVEL[level]
    ]


def _event(alert: Alert, type: str, actor: User | None, detail: dict[str, Any]) -> AlertEvent:
    event = AlertEvent.objects.create(alert=alert, type=type, actor=actor, detail=detail)
    live.push_change_on_commit(event)  # other nurses' open queues follow the change
    return event


def _queue(alert: Alert, reason: str, level: str, channels: Iterable[str] | None = None) -> None:
    """Write outbox rows now; enqueue their delivery once the transaction has committed."""
    ids = []
    for channel in channels or CHANNELS_BY_LEVEL[level]:
        notification, created = Notification.objects.get_or_create(
            alert=alert, channel=channel, reason=reason, level=level
        )
        if created:
            ids.append(notification.pk)
    if ids:
        transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)


def enqueue_deliveries(ids: Iterable[int]) -> None:
    """Hand deliveries to Celery. A broker outage only delays them: the sweeper retries."""
    from alerts.tasks import deliver_notification_task

    pending = list(ids)
    for index, pk in enumerate(pending):
        try:
            deliver_notification_task.delay(pk)
        except Exception:  # broker down: the rows stay in the outbox for the sweeper
            logger.warning(
                "broker unavailable; %s notifications left for the sweeper (first id %s)",
                len(pending) - index,
                pk,
            )
            return


# --- delivery -------------------------------------------------------------------------------


def deliver_notification(*, notification_id: int) -> bool:
    """Claim the outbox row and send it once. Returns True when this call sent it.

    The claim is a conditional UPDATE: only one worker wins it. A claim older than the lease
    (its worker died mid-send) can be taken over; backends get the notification id as an
    idempotency key, so a send that did happen before the crash is not repeated.
    """
    from alerts.notify import backend_for

    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at=None, failed_at=None)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("alert__patient").get(pk=notification_id)
    try:
        backend_for(notification.channel).send(notification, key=str(notification.pk))
    except Exception as exc:
        failed = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None,
            last_error=type(exc).__name__[:200],
            failed_at=timezone.now() if failed else None,
        )
        logger.warning(
            "notification_id=%s channel=%s attempt %s failed: %s",
            notification_id,
            notification.channel,
            notification.attempts,
            type(exc).__name__,
        )
        raise
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())
    return True


def sweep_outbox() -> int:
    """Re-enqueue notifications still undelivered after 2 minutes; returns how many."""
    now = timezone.now()
    ids = list(
        Notification.objects.stale(RESEND_AFTER)
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - RESEND_AFTER))
        .values_list("pk", flat=True)[:500]
    )
    enqueue_deliveries(ids)
    return len(ids)


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Escalate alerts nobody acknowledged by their due time to the on-call oncologist, and tell
    the patient what to do. Safe to run late or twice: each alert escalates once."""
    now = now or timezone.now()
    escalated = 0
    for alert_id in Alert.objects.overdue(now).values_list("pk", flat=True):
        with transaction.atomic():
            won = Alert.objects.filter(
                pk=alert_id, status=Status.OPEN, escalated_at__isnull=True
            ).update(status=Status.ESCALATED, escalated_at=now)
            if won != 1:
                continue
            alert = Alert.objects.get(pk=alert_id)
            _event(alert, EventType.ESCALATED, None, {"why": "not acknowledged by its due time"})
            _queue(alert, NotificationReason.ESCALATED, alert.level, (Channel.PAGER,))
            _queue(alert, NotificationReason.PATIENT_ADVICE, alert.level, (Channel.PATIENT,))
            escalated += 1
    if escalated:
        logger.info("escalated %s overdue alerts", escalated)
    return escalated


# --- the lifecycle (nurse and oncologist actions, each audited) ------------------------------


def _locked(alert_id: int) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert_id)


def acknowledge_alert(*, alert_id: int, user: User) -> Alert:
    with transaction.atomic():
        alert = _locked(alert_id)
        if alert.status not in (Status.OPEN, Status.ESCALATED):
            raise AlertActionError("Only an open or escalated alert can be acknowledged.")
        alert.status = Status.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        _event(alert, EventType.ACKNOWLEDGED, user, {})
    return alert


def assign_alert(*, alert_id: int, user: User, assignee: User | None) -> Alert:
    with transaction.atomic():
        alert = _locked(alert_id)
        if not alert.is_active:
            raise AlertActionError("A resolved alert cannot be assigned.")
        alert.assigned_to = assignee
        alert.save(update_fields=["assigned_to"])
        _event(alert, EventType.ASSIGNED, user, {"assignee": assignee.pk if assignee else None})
    return alert


def log_call(*, alert_id: int, user: User, summary: str, reached: bool = True) -> AlertEvent:
    with transaction.atomic():
        alert = _locked(alert_id)
        return _event(alert, EventType.CALL_LOGGED, user, {"summary": summary, "reached": reached})


def add_note(*, alert_id: int, user: User, text: str) -> AlertEvent:
    with transaction.atomic():
        alert = _locked(alert_id)
        return _event(alert, EventType.NOTE, user, {"text": text})


def escalate_alert(*, alert_id: int, user: User, note: str = "", to: User | None = None) -> Alert:
    """A nurse hands the alert to the on-call oncologist (paged), or to a named one: ``to``
    becomes the assignee, so the alert shows in that oncologist's "escalated to me"."""
    with transaction.atomic():
        alert = _locked(alert_id)
        if not alert.is_active:
            raise AlertActionError("A resolved alert cannot be escalated.")
        alert.status = Status.ESCALATED
        alert.escalated_at = timezone.now()
        fields = ["status", "escalated_at"]
        if to is not None:
            alert.assigned_to = to
            fields.append("assigned_to")
        alert.save(update_fields=fields)
        detail: dict[str, Any] = {"note": note}
        if to is not None:
            detail["to"] = to.pk
        _event(alert, EventType.ESCALATED, user, detail)
        _queue(alert, NotificationReason.ESCALATED, alert.level, (Channel.PAGER,))
    return alert


def resolve_alert(*, alert_id: int, user: User, outcome: str, note: str = "") -> Alert:
    if outcome not in Outcome.values:
        raise AlertActionError(f"Choose an outcome: {', '.join(Outcome.values)}.")
    with transaction.atomic():
        alert = _locked(alert_id)
        if not alert.is_active:
            raise AlertActionError("This alert is already resolved.")
        alert.status = Status.RESOLVED
        alert.resolved_at = timezone.now()
        alert.resolved_by = user
        alert.outcome = outcome
        alert.save(update_fields=["status", "resolved_at", "resolved_by", "outcome"])
        _event(alert, EventType.RESOLVED, user, {"outcome": outcome, "note": note})
        _close_followups(alert, alert.resolved_at)
    return alert


def set_expected_level(
    *, patient: Patient, kind: str, user: User, days: int, reason: str, alert_id: int | None = None
) -> ExpectedLevel:
    """Declare AMBER of this kind expected for a while (a known chronic low-grade symptom)."""
    if not 1 <= days <= MAX_EXPECTED_DAYS:
        raise AlertActionError(f"Choose 1 to {MAX_EXPECTED_DAYS} days.")
    with transaction.atomic():
        expected = ExpectedLevel.objects.create(
            patient=patient,
            kind=kind,
            level=Level.AMBER,
            reason=reason,
            set_by=user,
            until=timezone.now() + timedelta(days=days),
        )
        for alert in Alert.objects.filter(patient=patient, kind=kind, status__in=ACTIVE_STATUSES):
            if alert_id is None or alert.pk == alert_id:
                _event(
                    alert,
                    EventType.EXPECTED_LEVEL_SET,
                    user,
                    {"days": days, "reason": reason, "until": expected.until.isoformat()},
                )
    return expected


def check_missed_diaries(*, now: datetime | None = None) -> int:
    """Open a 'no diary' alert for patients on active treatment who stopped reporting (§5.6)."""
    from django.db.models import Max

    now = now or timezone.now()
    opened = 0
    patients = (
        Patient.objects.filter(courses__status=CourseStatus.ACTIVE, user__isnull=False)
        .annotate(last_entry_at=Max("entries__recorded_at"))
        .select_related("clinic")
        .distinct()
    )
    for patient in patients:
        context = _patient_context(patient, set())
        fired = rules.evaluate_missed_diary(
            drug_class=context["drug_class"],
            treatment_active=True,
            last_entry_at=patient.last_entry_at or _enrolled_at(patient),
            now=now,
            infusion_dates=context["infusion_dates"],
            today=timezone.localdate(now),
        )
        if fired is None:
            continue
        with transaction.atomic():
            Patient.objects.select_for_update().get(pk=patient.pk)
            if Alert.objects.filter(patient=patient, kind=fired.kind).active().exists():
                continue
            alert = Alert.objects.create(
                patient=patient,
                kind=fired.kind,
                level=fired.level,
                reason=fired.reason,
                opened_at=now,
                due_at=due_at_for(patient, fired.level, now),
                last_evidence_at=now,
            )
            AlertEvidence.of(fired, alert=alert, entry_id=None, at=now).save()
            _event(alert, EventType.OPENED, None, {"level": fired.level})
            _queue(alert, NotificationReason.OPENED, fired.level)
            opened += 1
    return opened


def _enrolled_at(patient: Patient) -> datetime:
    from datetime import time as dtime

    return datetime.combine(patient.enrolled_on, dtime.min, tzinfo=timezone.get_current_timezone())
