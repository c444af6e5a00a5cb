"""The alert lifecycle: nurse and oncologist actions, each one transaction and each audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from alerts import rules
from alerts.delivery import queue_notifications, record_event
from alerts.models import (
    Alert,
    AlertEvent,
    EventType,
    ExpectedAmber,
    Level,
    NotificationReason,
    Outcome,
    Status,
)
from diary.models import FollowUp


class AlertActionError(Exception):
    """The action does not apply to the alert in its current state."""


def _locked(alert_id: int) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert_id)


def mark_first_opened(*, alert: Alert, user: User) -> bool:
    """Record the first time a staff member of the clinic opens the alert page: the queue's
    "New" marker ends for everyone (D77). A conditional UPDATE claims the first opening, so two
    colleagues opening it at once record one; the audit event pushes the change to the other
    open queues. True when this call was the first opening."""
    with transaction.atomic():
        now = timezone.now()
        claimed = Alert.objects.filter(pk=alert.pk, first_opened_at__isnull=True).update(
            first_opened_at=now, first_opened_by=user
        )
        if claimed:
            alert.first_opened_at, alert.first_opened_by = now, user
            record_event(alert, EventType.FIRST_OPENED, user, {})
    return bool(claimed)


def acknowledge_alert(*, alert_id: int, user: User) -> Alert:
    with transaction.atomic():
        alert = _locked(alert_id)
        if alert.status not in (Status.OPEN, Status.ESCALATED):
            raise AlertActionError("Only an open or escalated alert can be acknowledged.")
        alert.status = Status.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        record_event(alert, EventType.ACKNOWLEDGED, user, {})
    return alert


def assign_alert(*, alert_id: int, user: User, assignee: User | None) -> Alert:
    with transaction.atomic():
        alert = _locked(alert_id)
        if not alert.is_active:
            raise AlertActionError("A resolved alert cannot be assigned.")
        alert.assigned_to = assignee
        alert.save(update_fields=["assigned_to"])
        record_event(
            alert, EventType.ASSIGNED, user, {"assignee": assignee.pk if assignee else None}
        )
    return alert


def log_call(*, alert_id: int, user: User, summary: str, reached: bool = True) -> AlertEvent:
    with transaction.atomic():
        alert = _locked(alert_id)
        return record_event(
            alert, EventType.CALL_LOGGED, user, {"summary": summary, "reached": reached}
        )


def add_note(*, alert_id: int, user: User, text: str) -> AlertEvent:
    with transaction.atomic():
        alert = _locked(alert_id)
        return record_event(alert, EventType.NOTE, user, {"text": text})


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
        record_event(alert, EventType.ESCALATED, user, detail)
        queue_notifications(
            alert, NotificationReason.ESCALATED, alert.level, rules.ESCALATION_CHANNELS
        )
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
        record_event(alert, EventType.RESOLVED, user, {"outcome": outcome, "note": note})
        _close_followups(alert, alert.resolved_at)
        # §5.2: a marking belongs to its open alert; the next report opens a new alert.
        _end_markings(alert, user, alert.resolved_at, why="the alert was resolved")
    return alert


def _close_followups(alert: Alert, now: datetime) -> None:
    FollowUp.objects.open().filter(alert_id=alert.pk).update(resolved_at=now)


def mark_expected(*, alert_id: int, user: User, days: int, reason: str) -> ExpectedAmber:
    """Mark the AMBER triggers present on an open alert as expected for ``days`` (1 to 7), with
    a reason (reference §5.2 "Expected AMBER" [D]; D46). The marking lists each AMBER rule code
    of the alert's evidence with the highest measure seen, so a trigger that comes back worse
    still alerts; it replaces a marking already running on the alert."""
    if not 1 <= days <= rules.MAX_EXPECTED_DAYS:
        raise AlertActionError(f"Choose 1 to {rules.MAX_EXPECTED_DAYS} days.")
    reason = reason.strip()
    if not reason:
        raise AlertActionError("Say why these triggers are expected.")
    with transaction.atomic():
        alert = _locked(alert_id)
        if not alert.is_active:
            raise AlertActionError("A resolved alert cannot be marked expected.")
        seen: dict[str, list[int]] = {}
        for code, measure in (
            alert.evidence.filter(level=Level.AMBER).order_by("pk").values_list("code", "measure")
        ):
            seen.setdefault(code, []).extend([measure] if measure is not None else [])
        # None: evidence from before measures were stored; such a trigger never folds.
        triggers = {code: max(measures, default=None) for code, measures in seen.items()}
        if not triggers:
            raise AlertActionError("This alert has no AMBER trigger to mark expected.")
        now = timezone.now()
        _end_markings(alert, user, now, why="replaced by a new marking")
        marking = ExpectedAmber.objects.create(
            alert=alert,
            patient_id=alert.patient_id,
            triggers=triggers,
            reason=reason,
            set_by=user,
            set_at=now,
            until=now + timedelta(days=days),
        )
        record_event(
            alert,
            EventType.EXPECTED_LEVEL_SET,
            user,
            {
                "marking": marking.pk,
                "days": days,
                "reason": reason,
                "until": marking.until.isoformat(),
                "codes": list(triggers),
            },
        )
    return marking


def _end_markings(alert: Alert, user: User | None, now: datetime, *, why: str) -> None:
    """End the alert's running expected-AMBER markings early, each audited."""
    for marking in ExpectedAmber.objects.filter(alert=alert, ended_at=None, until__gt=now):
        marking.ended_at = now
        marking.save(update_fields=["ended_at"])
        record_event(alert, EventType.EXPECTED_ENDED, user, {"marking": marking.pk, "why": why})
