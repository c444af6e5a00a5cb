"""Exports' use cases: request, run (the Celery task's body), download, expire. Each writes its
audit event (``ExportEvent``) in the same transaction as its change."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from clinicians.exports import source, vocabulary
from clinicians.exports.models import (
    Export,
    ExportEvent,
    ExportEventType,
    ExportFormat,
    ExportStatus,
)
from clinicians.exports.writers import csvlong
from diary.models import Clinic

logger = logging.getLogger(__name__)

# A running export whose progress has not moved for this long lost its worker: another run may
# take it over (a task is redelivered after the broker's visibility timeout, D10).
STALE_AFTER = timedelta(minutes=10)
# Queued exports still waiting after this long never reached the broker: the sweeper re-sends.
REQUEUE_AFTER = timedelta(minutes=2)
PROGRESS_EVERY_ROWS = 5000
PROGRESS_EVERY_SECONDS = 2.0
EXTENSIONS = {ExportFormat.CSV: "zip", ExportFormat.SDTM: "zip", ExportFormat.FHIR: "json"}
CONTENT_TYPES = {"zip": "application/zip", "json": "application/fhir+json"}


class ExportNotReady(Exception):
    """Queued, running or failed: there is nothing to download."""


class ExportGone(Exception):
    """Expired: the file has been (or is now) deleted."""


def validate_request(
    *, date_from: date, date_to: date, format: str, instruments: list[str], today: date
) -> dict[str, list[str]]:
    """Field errors of an export request ({} when it is acceptable)."""
    errors: dict[str, list[str]] = {}
    if format not in ExportFormat.values:
        errors["format"] = [f"Choose one of {', '.join(ExportFormat.values)}."]
    if date_to < date_from:
        errors["date_to"] = ["The last day is before the first day."]
    if date_from > today:
        errors["date_from"] = ["The first day is in the future."]
    known = {code for code, _ in vocabulary.instrument_choices()}
    unknown = sorted(set(instruments) - known)
    if not instruments:
        errors["instruments"] = ["Choose at least one source."]
    elif unknown:
        errors["instruments"] = [f"Unknown: {', '.join(unknown)}."]
    return errors


def request_export(
    *,
    user: Any,
    clinic: Clinic,
    format: str,
    date_from: date,
    date_to: date,
    instruments: list[str],
) -> Export:
    """Record the request and its audit event; the task starts once they are committed."""
    with transaction.atomic():
        export = Export.objects.create(
            clinic=clinic,
            requested_by=user,
            format=format,
            date_from=date_from,
            date_to=date_to,
            instruments=sorted(set(instruments)),
        )
        ExportEvent.objects.create(
            export=export,
            type=ExportEventType.REQUESTED,
            actor=user,
            detail={
                "format": format,
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "instruments": export.instruments,
            },
        )
        transaction.on_commit(lambda: enqueue(export.pk), robust=True)
    logger.info("export requested export_id=%s user_id=%s", export.pk, user.pk)
    return export


def enqueue(export_id: UUID) -> None:
    from clinicians.tasks import run_export_task

    run_export_task.delay(str(export_id))


SaveProgress = Callable[[UUID, int], None]


def _save_progress(export_id: UUID, done: int) -> None:
    Export.objects.filter(pk=export_id).update(rows_done=done, heartbeat_at=timezone.now())


@contextmanager
def _streaming_reads() -> Iterator[SaveProgress]:
    """Run the export's reads so that rows stream, and say how to save progress meanwhile.

    On PostgreSQL the reads run in one transaction: outside one, Django's server-side cursors
    are WITH HOLD, and PostgreSQL computes and copies a whole result before sending its first
    row (12 s for a million entries, measured), instead of producing rows while Python writes
    them. Progress then goes through a second connection, so that it is seen at once. On
    SQLite (development) there is no such transaction: it would lock writers out meanwhile.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield _save_progress
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    table = Export._meta.db_table

    def save(export_id: UUID, done: int) -> None:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rows_done = %s, heartbeat_at = %s WHERE id = %s",
                [done, timezone.now(), export_id],
            )

    try:
        with transaction.atomic():
            yield save
    finally:
        side.close()


class Progress:
    """Counts source records written and saves the count now and then (also the heartbeat).

    ``tick`` runs once per record (a million times in a large export), so it only counts; the
    clock is read every ``CHECK_EVERY`` records at most."""

    CHECK_EVERY = 100

    def __init__(self, export_id: UUID, save: SaveProgress = _save_progress) -> None:
        self.export_id = export_id
        self.save_progress = save
        self.done = 0
        self.every = PROGRESS_EVERY_ROWS
        self.saved_done = 0
        self.saved_at = time.monotonic()
        self.check_at = min(self.CHECK_EVERY, self.every)

    def tick(self) -> None:
        self.done += 1
        if self.done >= self.check_at:
            self._check()

    def _check(self) -> None:
        if self.done - self.saved_done >= self.every or (
            time.monotonic() - self.saved_at > PROGRESS_EVERY_SECONDS
        ):
            self.save()
        self.check_at = self.done + min(self.CHECK_EVERY, self.every)

    def save(self) -> None:
        self.save_progress(self.export_id, self.done)
        self.saved_done = self.done
        self.saved_at = time.monotonic()


def _claim(export_id: UUID | str, now: datetime) -> bool:
    """Take the export for this run: queued, or running with a stale heartbeat. A done, failed,
    expired or live running export is left alone, so running the task twice does nothing."""
    return bool(
        Export.objects.filter(pk=export_id)
        .filter(
            Q(status=ExportStatus.QUEUED)
            | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
        )
        .update(status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now, rows_done=0)
    )


def run_export(*, export_id: UUID | str) -> bool:
    """Write the export's file. Returns False when there was nothing to do."""
    now = timezone.now()
    if not _claim(export_id, now):
        return False
    export = Export.objects.select_related("clinic").get(pk=export_id)
    ExportEvent.objects.create(export=export, type=ExportEventType.STARTED)
    scope = source.scope_for(export)
    total = source.count(scope)
    Export.objects.filter(pk=export.pk).update(rows_total=total)

    folder = Path(settings.TOXWATCH_EXPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    extension = EXTENSIONS[ExportFormat(export.format)]
    name = f"{export.pk}.{extension}"
    partial = folder / f".{name}.{secrets.token_hex(4)}.part"
    try:
        with _streaming_reads() as save:
            progress = Progress(export.pk, save)
            write_file(export, scope, partial, progress.tick)
        size, digest = _size_and_digest(partial)
        os.chmod(partial, 0o600)
        os.replace(partial, folder / name)
    except OperationalError:
        partial.unlink(missing_ok=True)
        Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.QUEUED
        )
        raise  # the task retries
    except Exception as exc:
        partial.unlink(missing_ok=True)
        logger.exception("export failed export_id=%s", export.pk)
        with transaction.atomic():
            Export.objects.filter(pk=export.pk).update(
                status=ExportStatus.FAILED, finished_at=timezone.now(), error=type(exc).__name__
            )
            ExportEvent.objects.create(
                export=export, type=ExportEventType.FAILED, detail={"error": type(exc).__name__}
            )
        return True

    finished = timezone.now()
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.DONE,
            file_name=name,
            size_bytes=size,
            sha256=digest,
            # Every record is written by now (FHIR reads observations as episodes, not ticked).
            rows_done=max(progress.done, total),
            rows_total=max(progress.done, total),
            heartbeat_at=finished,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.TOXWATCH_EXPORT_HOURS),
            error="",
        )
        ExportEvent.objects.create(
            export=export,
            type=ExportEventType.COMPLETED,
            detail={"size_bytes": size, "sha256": digest, "records": progress.done},
        )
    logger.info("export done export_id=%s size=%s", export.pk, size)
    return True


def write_file(export: Export, scope: source.Scope, path: Path, tick: Callable[[], None]) -> None:
    if export.format == ExportFormat.CSV:
        csvlong.write(scope, path, tick)
    elif export.format == ExportFormat.SDTM:
        # Imported here, as FHIR's: pandas, pyreadstat and odmlib serve only this format.
        from clinicians.exports.writers import sdtm

        sdtm.write(scope, path, tick)
    else:
        # Imported here: the FHIR models are large and only this format needs them.
        from clinicians.exports.writers import fhir

        fhir.write(scope, path, tick, bundle_id=str(export.pk))


def _size_and_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def open_download(*, export: Export, user: Any) -> tuple[Path, str, str]:
    """The file to send (path, download name, content type), audited as downloaded.

    The caller has checked the clinic and the role. A past-expiry export is expired now.
    """
    if export.status == ExportStatus.EXPIRED:
        raise ExportGone
    if export.status != ExportStatus.DONE:
        raise ExportNotReady
    if not export.is_downloadable():
        expire_export(export_id=export.pk)
        raise ExportGone
    path = export.path
    if path is None or not path.is_file():
        expire_export(export_id=export.pk)
        raise ExportGone
    ExportEvent.objects.create(export=export, type=ExportEventType.DOWNLOADED, actor=user)
    logger.info("export downloaded export_id=%s user_id=%s", export.pk, user.pk)
    extension = path.suffix.lstrip(".")
    stamp = export.created_at.strftime("%Y%m%d")
    download_name = f"toxwatch-{export.clinic.code}-{export.format}-{stamp}.{extension}"
    return path, download_name, CONTENT_TYPES[extension]


def expire_export(*, export_id: UUID | str) -> bool:
    """Delete a done export's file and mark it expired (once: the row is claimed first)."""
    with transaction.atomic():
        export = (
            Export.objects.select_for_update()
            .filter(pk=export_id, status=ExportStatus.DONE)
            .first()
        )
        if export is None:
            return False
        path = export.path
        Export.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED)
        ExportEvent.objects.create(export=export, type=ExportEventType.EXPIRED)
    if path is not None:
        path.unlink(missing_ok=True)
    logger.info("export expired export_id=%s", export_id)
    return True


def expire_exports(*, now: datetime | None = None) -> int:
    """Beat: expire every export past its expiry time."""
    ids = list(Export.objects.past_expiry(now).values_list("pk", flat=True))
    return sum(expire_export(export_id=pk) for pk in ids)


def requeue_stalled(*, now: datetime | None = None) -> int:
    """Beat: re-send exports that never reached a worker, or whose worker died."""
    now = now or timezone.now()
    stalled = Export.objects.filter(
        Q(status=ExportStatus.QUEUED, created_at__lt=now - REQUEUE_AFTER)
        | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    ).values_list("pk", flat=True)
    ids = list(stalled)
    for pk in ids:
        enqueue(pk)
    return len(ids)
