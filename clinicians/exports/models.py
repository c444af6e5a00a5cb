"""An export request, its file and its audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary.models import Clinic


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV, long format, with a data dictionary (zip)"
    SDTM = "sdtm", "CDISC SDTM: DM, EX, QS, FA, AE, RELREC as CSV and XPT, define.xml (zip)"
    FHIR = "fhir", "HL7 FHIR R4 Bundle (JSON)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportQuerySet(models.QuerySet["Export"]):
    def for_clinic(self, clinic_id: int) -> ExportQuerySet:
        return self.filter(clinic_id=clinic_id)

    def past_expiry(self, now: datetime | None = None) -> ExportQuerySet:
        return self.filter(status=ExportStatus.DONE, expires_at__lte=now or timezone.now())


class Export(models.Model):
    """One export of one clinic's data in one format. The file lives in TOXWATCH_EXPORT_DIR
    (never served by a URL) until ``expires_at``; only a signed-in data manager of the clinic
    downloads it, through a view that audits every download."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    date_from = models.DateField(help_text="First day included, in the clinic's time zone.")
    date_to = models.DateField(help_text="Last day included, in the clinic's time zone.")
    instruments = models.JSONField(default=list, help_text="Sources included (codes).")
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0, help_text="Source records to write.")
    rows_done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on by every progress update: a running export whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "-created_at"], name="export_clinic_created")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export {self.id}"

    @property
    def path(self) -> Path | None:
        if not self.file_name:
            return None
        return Path(settings.TOXWATCH_EXPORT_DIR) / self.file_name

    @property
    def source_names(self) -> list[str]:
        """The sources by their names ("EORTC QLQ-C30", not ``qlq_c30``), from the same
        instrument definitions as the export form; the part before a parenthesis."""
        from clinicians.exports.vocabulary import instrument_choices

        names = dict(instrument_choices())
        return [names.get(code, code).split(" (")[0] for code in self.instruments]

    @property
    def progress_percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    def is_downloadable(self, now: datetime | None = None) -> bool:
        return (
            self.status == ExportStatus.DONE
            and self.expires_at is not None
            and self.expires_at > (now or timezone.now())
        )


class ExportEventType(models.TextChoices):
    REQUESTED = "requested", "Requested"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    DOWNLOADED = "downloaded", "Downloaded"
    EXPIRED = "expired", "Expired and deleted"


class ExportEvent(models.Model):
    """The audit trail of an export: who asked, when it ran, who downloaded it, when it went."""

    export = models.ForeignKey(Export, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=20, choices=ExportEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} at {self.at:%Y-%m-%d %H:%M}"
