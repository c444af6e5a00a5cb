"""Alerts, their evidence and audit trail, expected AMBER markings, and the notification outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary import vocabulary as V
from diary.models import (
    Clinic,
    CourseStatus,
    DiaryEntry,
    Patient,
    QuestionnaireResponse,
    TreatmentCourse,
)

if TYPE_CHECKING:
    from alerts import rules


# Levels, kinds and channels take their values and labels from diary.vocabulary, the one place
# they are defined (tests/test_vocabulary.py holds these lists to it).


class Level(models.TextChoices):  # an alert is never green
    AMBER = V.AMBER, V.LEVEL_LABELS[V.AMBER]
    RED = V.RED, V.LEVEL_LABELS[V.RED]


LEVEL_RANK = V.LEVEL_RANK


class Kind(models.TextChoices):
    ILD = V.ILD, V.KIND_LABELS[V.ILD]
    GI = V.GI, V.KIND_LABELS[V.GI]
    FEVER = V.FEVER, V.KIND_LABELS[V.FEVER]
    HEPATIC = V.HEPATIC, V.KIND_LABELS[V.HEPATIC]
    CARDIAC = V.CARDIAC, V.KIND_LABELS[V.CARDIAC]
    CNS = V.CNS, V.KIND_LABELS[V.CNS]
    ADHERENCE = V.ADHERENCE, V.KIND_LABELS[V.ADHERENCE]
    LOPERAMIDE = V.LOPERAMIDE, V.KIND_LABELS[V.LOPERAMIDE]
    DIARY = V.DIARY, V.KIND_LABELS[V.DIARY]
    OTHER = V.OTHER_KIND, V.KIND_LABELS[V.OTHER_KIND]


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED, Status.ESCALATED)
# Waiting for someone to acknowledge (open, or escalated before anyone did): past their due
# time they are overdue.
UNANSWERED_STATUSES = (Status.OPEN, Status.ESCALATED)


class Outcome(models.TextChoices):
    ADVICE_GIVEN = "advice_given", "Advice given"
    DRUG_HELD = "drug_held", "Drug held"
    DOSE_REDUCED = "dose_reduced", "Dose reduced"
    SEEN_IN_CLINIC = "seen_in_clinic", "Seen in clinic"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department"
    NO_ACTION_NEEDED = "no_action_needed", "No action needed"


class AlertQuerySet(models.QuerySet["Alert"]):
    def active(self) -> AlertQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def for_clinic(self, clinic: Clinic | int) -> AlertQuerySet:
        # Alert.clinic is the patient's clinic, copied when the alert is created (D38): no join.
        return self.filter(clinic=clinic)

    def triage_order(self) -> AlertQuerySet:
        """RED first, then the earliest due (the nurse's queue, issue #5).

        "red" sorts after "amber", so level descending is RED first (D38, and a test holds every
        level to it); unlike a CASE, the alert_clinic_* indexes can give this order."""
        return self.order_by("-level", "due_at", "pk")

    def on_drug(self, drug: str) -> AlertQuerySet:
        """Alerts of patients whose current drug is ``drug`` (the queue's drug filter).

        The current drug is looked up once per patient, not once per alert: over a clinic's
        whole history that is thousands of lookups instead of tens of thousands."""
        patients = (
            Patient.objects.alias(current_drug=current_drug_subquery("pk"))
            .filter(current_drug=drug)
            .values("pk")
        )
        return self.filter(patient__in=patients)

    def with_queue_columns(self) -> AlertQuerySet:
        """What a queue row shows, in the one query: patient, assignee and current drug.

        Apply it to one page's rows only, as the queue view does: the current drug is a subquery
        per row, and on a deep page PostgreSQL would run it for every row skipped by the OFFSET."""
        return self.select_related("patient", "assigned_to").annotate(
            current_drug=current_drug_subquery()
        )

    def level_counts(self) -> dict[str, int]:
        """Active alerts per level and how many are past due, in one query."""
        now = timezone.now()
        active = models.Q(status__in=ACTIVE_STATUSES)
        # Every count is of active alerts: filtering first reads them through the
        # alert_clinic_queue index instead of every alert the clinic ever had (bench/dashboard.py).
        return self.filter(active).aggregate(
            red=models.Count("pk", filter=active & models.Q(level=Level.RED)),
            amber=models.Count("pk", filter=active & models.Q(level=Level.AMBER)),
            overdue=models.Count(
                "pk",
                filter=models.Q(
                    status__in=UNANSWERED_STATUSES, acknowledged_at__isnull=True, due_at__lt=now
                ),
            ),
        )

    def overdue(self, now: Any = None) -> AlertQuerySet:
        return self.filter(
            status=Status.OPEN, due_at__lt=now or timezone.now(), escalated_at__isnull=True
        )


def current_drug_subquery(patient: str = "patient") -> models.Subquery:
    """The drug of the current course (``Patient.current_course``) of the outer row's patient."""
    return models.Subquery(
        TreatmentCourse.objects.filter(patient=models.OuterRef(patient))
        .exclude(status=CourseStatus.DISCONTINUED)
        .order_by("-started_on", "-pk")
        .values("drug")[:1]
    )


class Alert(models.Model):
    """One alert per patient and kind while it is active; new evidence attaches to it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    # The patient's clinic, copied when the alert is created and never changed (a patient stays
    # in a clinic): the queue filters and orders a clinic's alerts from one index (D38).
    # No index of its own: the alert_clinic_* indexes below start with it.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(help_text="The reasons of the rules that fired, newest first.")
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    last_evidence_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    # When a staff member of the clinic first opened the alert page, and who (issue 15): the
    # queue marks an alert nobody has opened yet as "New" (D77).
    first_opened_at = models.DateTimeField(null=True, blank=True)
    first_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="one_active_alert_per_patient_kind",
            )
        ]
        indexes = [
            models.Index(fields=["status", "level", "due_at"], name="alert_queue"),
            models.Index(fields=["patient", "-opened_at"], name="alert_patient"),
            # The queue in its order (triage_order) within a clinic: a page of one status, or of
            # one status and level, is a range of the first; every status (with or without a
            # level) of the second. Both read a deep page's OFFSET from the index alone
            # (docs/performance.md, Dashboard).
            models.Index(
                fields=["clinic", "status", "-level", "due_at", "id"], name="alert_clinic_queue"
            ),
            models.Index(fields=["clinic", "-level", "due_at", "id"], name="alert_clinic_order"),
            # The programme view's alerts opened in a period.
            models.Index(fields=["clinic", "opened_at"], name="alert_clinic_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_kind_display()} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The services pass the clinic; this covers any other way an alert is created.
        if self.clinic_id is None:
            self.clinic_id = self.patient.clinic_id
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_new(self) -> bool:
        """Nobody of the clinic has opened the alert page yet (the queue's "New" marker)."""
        return self.first_opened_at is None

    def overdue_by(self, now: Any = None) -> timedelta | None:
        """How late the first answer is, for an alert nobody has acknowledged; else None."""
        if self.status not in UNANSWERED_STATUSES or self.acknowledged_at is not None:
            return None
        late = (now or timezone.now()) - self.due_at
        return late if late > timedelta(0) else None


class AlertEvidence(models.Model):
    """A rule that fired for an entry or a PRO-CTCAE questionnaire response (§5.4), or, for
    time-based rules, at a time, on an alert. At most one of ``entry`` and ``response``."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="evidence")
    entry = models.ForeignKey(
        DiaryEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="alert_evidence"
    )
    response = models.ForeignKey(
        QuestionnaireResponse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert_evidence",
    )
    code = models.CharField(max_length=80)
    level = models.CharField(max_length=10, choices=Level.choices)
    symptom = models.CharField(max_length=40, blank=True)
    reason = models.TextField()
    source = models.CharField(max_length=40, blank=True)
    # How severe the trigger was (alerts.rules.measures; null for RED rules and older rows).
    measure = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "entry", "code"], name="one_evidence_per_alert_entry_rule"
            ),
            models.UniqueConstraint(
                fields=["alert", "response", "code"], name="one_evidence_per_alert_response_rule"
            ),
            models.CheckConstraint(
                condition=models.Q(entry__isnull=True) | models.Q(response__isnull=True),
                name="evidence_entry_or_response",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def finding(self) -> str:
        """The reason without its source tag (the staff pages show the tag in a disclosure)."""
        suffix = f" - {self.source}"
        if self.source and self.reason.endswith(suffix):
            return self.reason[: -len(suffix)]
        return self.reason

    @classmethod
    def of(
        cls,
        fired: rules.Fired,
        *,
        alert: Alert,
        entry_id: Any,
        at: datetime,
        response_id: Any = None,
    ) -> AlertEvidence:
        """The evidence row of a rule that fired (unsaved)."""
        row = cls.row(fired, alert_id=alert.pk, entry_id=entry_id, at=at, response_id=response_id)
        del row["alert_id"]
        return cls(alert=alert, **row)

    @staticmethod
    def row(
        fired: rules.Fired, *, alert_id: int, entry_id: Any, at: datetime, response_id: Any = None
    ) -> dict[str, Any]:
        """The same row as ``{attname: value}``, for ``diary.fastsql.insert_rows``."""
        return {
            "alert_id": alert_id,
            "entry_id": entry_id,
            "response_id": response_id,
            "code": fired.code,
            "level": fired.level,
            "symptom": fired.symptom,
            "reason": fired.reason,
            "source": fired.source,
            "measure": fired.measure,
            "created_at": at,
        }


class EventType(models.TextChoices):
    OPENED = "opened", "Opened"
    # A staff member opened the alert page for the first time (the queue's "New" ends, D77).
    FIRST_OPENED = "first_opened", "First opened by staff"
    EVIDENCE = "evidence", "New evidence"
    LEVEL_RAISED = "level_raised", "Level raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    CALL_LOGGED = "call_logged", "Call logged"
    NOTE = "note", "Note"
    ESCALATED = "escalated", "Escalated"
    # The value predates §5.2's narrower marking (D46): kept, it is stored in events and pushes.
    EXPECTED_LEVEL_SET = "expected_level_set", "AMBER triggers marked expected"
    EXPECTED_ENDED = "expected_ended", "Expected marking ended"
    SUPPRESSED = "suppressed", "Folded as expected"
    RESOLVED = "resolved", "Resolved"


class AlertEvent(models.Model):
    """The audit trail: every change to an alert, with who (None = the system) and when."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=30, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} at {self.at:%Y-%m-%d %H:%M}"


class ExpectedAmberQuerySet(models.QuerySet["ExpectedAmber"]):
    def running(self, now: datetime | None = None) -> ExpectedAmberQuerySet:
        """Markings in force: not ended, not past their day, on an alert still active."""
        return self.filter(
            ended_at=None, until__gt=now or timezone.now(), alert__status__in=ACTIVE_STATUSES
        )


class ExpectedAmber(models.Model):
    """A nurse's or oncologist's marking of the AMBER triggers present on an open alert as
    expected for at most 7 days, with a reason (reference §5.2 "Expected AMBER" [D]; D46).

    ``triggers`` maps each marked rule code to its measure when marked (the highest on the
    alert's evidence; alerts.rules.measures). While it runs, a report whose triggers of the
    alert's kind are all marked and no worse is stored as evidence without alerting
    (alerts.rules.folds_as_expected); anything else alerts as usual. It ends at ``until``, or
    early (``ended_at``) when a new marking replaces it or the alert is resolved.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="expected_ambers")
    # The alert's patient, copied: the pipeline's patient lock asks whether any marking runs.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="expected_ambers")
    triggers = models.JSONField(help_text="Rule code -> its measure when marked (or null).")
    reason = models.TextField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ExpectedAmberQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["patient", "until"], name="expected_amber_patient")]

    def __str__(self) -> str:
        return f"{len(self.triggers)} AMBER trigger(s) expected until {self.until:%Y-%m-%d}"

    @property
    def codes(self) -> list[str]:
        return list(self.triggers)


class Channel(models.TextChoices):
    DASHBOARD = V.DASHBOARD, V.CHANNEL_LABELS[V.DASHBOARD]
    EMAIL = V.EMAIL, V.CHANNEL_LABELS[V.EMAIL]
    SMS = V.SMS, V.CHANNEL_LABELS[V.SMS]
    PAGER = V.PAGER, V.CHANNEL_LABELS[V.PAGER]
    PATIENT = V.PATIENT_APP, V.CHANNEL_LABELS[V.PATIENT_APP]


class NotificationReason(models.TextChoices):
    OPENED = "opened", "New alert"
    RAISED = "raised", "Level raised"
    ESCALATED = "escalated", "Escalated to on-call oncologist"
    PATIENT_ADVICE = "patient_advice", "Advice to the patient after escalation"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def undelivered(self) -> NotificationQuerySet:
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)

    def stale(self, older_than: timedelta) -> NotificationQuerySet:
        return self.undelivered().filter(created_at__lt=timezone.now() - older_than)


class Notification(models.Model):
    """The outbox: one row per alert, channel and reason, written with the alert in the same
    transaction. A Celery task claims the row (sent_at) and sends it exactly once."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    reason = models.CharField(max_length=20, choices=NotificationReason.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    # The broker refused its task after commit (Redis down): the outbox drain (every few
    # seconds) enqueues it again as soon as the broker is back, without the 2-minute wait (D69).
    enqueue_failed = models.BooleanField(default=False)
    # The worker is about to call the backend (written and committed before the call): a send
    # that may have happened, for the sweeper and the backends' idempotency keys (D70).
    attempted_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel", "reason", "level"], name="one_notification_per_cause"
            )
        ]
        indexes = [
            models.Index(fields=["sent_at", "created_at"], name="outbox_pending"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(enqueue_failed=True, sent_at=None),
                name="outbox_enqueue_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.reason} for alert {self.alert_id}"


class DashboardPush(models.Model):
    """What the live queue streams to nurses' browsers (alerts.live): a new or raised alert
    the dashboard channel delivered, or another change to an alert.

    ``key`` is the notification id, or ``event-<audit event id>`` for a change, so a re-sent
    notification or a repeated hook is one push. The id is the stream's cursor.
    """

    key = models.CharField(max_length=40, unique=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="pushes")
    level = models.CharField(max_length=10, choices=Level.choices)
    # What happened: a notification reason ("opened", "raised") or an audit event type.
    reason = models.CharField(max_length=30, default=NotificationReason.OPENED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["clinic", "id"], name="push_clinic_cursor")]

    def __str__(self) -> str:
        return f"push {self.key}"


class Heartbeat(models.Model):
    """When a Celery worker last ran the outbox drain (beat sends it every few seconds): the
    database's record that a worker and beat are alive, read by /healthz (D71)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
