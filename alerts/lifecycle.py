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
    ACTIVE_STATUSES,
    Alert,
    AlertEvent,
    EventType,
    ExpectedLevel,
    Level,
    NotificationReason,
    Outcome,
    Status,
)
from diary.models import FollowUp, Patient


class AlertActionError(Exception):
    """The action does not apply to the alert in its current state."""


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
    return alert


def _close_followups(alert: Alert, now: datetime) -> None:
    FollowUp.objects.open().filter(alert_id=alert.pk).update(resolved_at=now)


def set_expected_level(
    *, patient: Patient, kind: str, user: User, days: int, reason: str, alert_id: int | None = None
) -> ExpectedLevel:
    """Declare AMBER of this kind expected for a while (a known chronic low-grade symptom)."""
    if not 1 <= days <= rules.MAX_EXPECTED_DAYS:
        raise AlertActionError(f"Choose 1 to {rules.MAX_EXPECTED_DAYS} days.")
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
                record_event(
                    alert,
                    EventType.EXPECTED_LEVEL_SET,
                    user,
                    {"days": days, "reason": reason, "until": expected.until.isoformat()},
                )
    return expected
