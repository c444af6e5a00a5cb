"""What an export reads: one clinic's records in a date window, streamed in chunks.

Every query starts from the export's clinic, so another clinic's patients cannot appear.
Records are plain tuples-backed dataclasses carrying the pseudonymous ``subject_id`` and never
a name, birth date, account or free text (docs/decisions.md, exports: no direct identifiers).
Querysets are read with ``.iterator(chunk_size=...)`` (a server-side cursor on PostgreSQL; the
diary's, the largest, through psycopg directly and read a chunk ahead: D40), so memory stays
flat whatever the size of the cohort.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import queue
import secrets
import threading
import zoneinfo
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from django.db import connections
from django.db.models import Exists, FilteredRelation, Max, Min, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from psycopg.types.string import TextLoader

from clinicians.exports import vocabulary
from clinicians.exports.episodes import Report
from clinicians.exports.models import Export
from diary import drugs
from diary.models import (
    ClinicianObservation,
    CourseStatus,
    DiaryEntry,
    EntryGrade,
    GradeStatus,
    Infusion,
    Patient,
    QuestionnaireResponse,
    TreatmentCourse,
)

CHUNK = 1000
# psycopg's own timestamptz loader (C), which Django's connections replace with a Python one.
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(
    psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT
)


@dataclass(frozen=True, slots=True)
class Scope:
    clinic_id: int
    clinic_timezone: tzinfo
    start: datetime  # inclusive
    end: datetime  # exclusive
    instruments: frozenset[str]

    @property
    def questionnaires(self) -> frozenset[str]:
        return self.instruments & vocabulary.QUESTIONNAIRE_CODES

    @property
    def diary(self) -> bool:
        return vocabulary.SYMPTOM_DIARY in self.instruments

    @property
    def clinician(self) -> bool:
        return vocabulary.CLINICIAN_OBSERVATIONS in self.instruments


def window(day_from: date, day_to: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants of a range of whole local days: [day_from 00:00, day_to + 1 00:00)."""
    start = datetime.combine(day_from, time.min, tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def scope_for(export: Export) -> Scope:
    tz = zoneinfo.ZoneInfo(export.clinic.timezone)
    start, end = window(export.date_from, export.date_to, tz)
    return Scope(export.clinic_id, tz, start, end, frozenset(export.instruments))


@lru_cache(maxsize=256)
def _offset_tz(minutes: int) -> tzinfo:
    return timezone.get_fixed_timezone(minutes)


def local(instant: datetime, offset_minutes: int) -> datetime:
    """The instant as the phone's local time with its offset (how the patient saw it)."""
    return instant.astimezone(_offset_tz(offset_minutes))


class GradeRow(NamedTuple):  # tuples: a million of them are made per export
    term: str
    grade: int | None
    status: str
    ctcae_version: str
    grading_version: str


class DiaryRecord(NamedTuple):
    id: str
    subject_id: str
    recorded_at: datetime  # the phone's local time
    received_at: datetime
    reporter: str
    symptoms: dict[str, dict[str, Any]]
    medications: dict[str, Any]
    corrects_id: str | None
    grades: tuple[GradeRow, ...]


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    id: int
    subject_id: str
    term: str
    inputs: dict[str, Any]
    observed_at: datetime  # the clinic's local time
    created_at: datetime
    grade: GradeRow


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    id: UUID
    subject_id: str
    instrument: str
    instrument_version: str
    answers: dict[str, int]
    scores: dict[str, float | int | None]
    completed_at: datetime  # the phone's local time
    received_at: datetime
    due_on: date | None


# --- queries ----------------------------------------------------------------------------------


def entries(scope: Scope) -> Any:
    if not scope.diary:
        return DiaryEntry.objects.none()
    return DiaryEntry.objects.filter(
        patient__clinic_id=scope.clinic_id, recorded_at__gte=scope.start, recorded_at__lt=scope.end
    )


def observations(scope: Scope) -> Any:
    if not scope.clinician:
        return ClinicianObservation.objects.none()
    return ClinicianObservation.objects.filter(
        patient__clinic_id=scope.clinic_id, observed_at__gte=scope.start, observed_at__lt=scope.end
    )


def responses(scope: Scope) -> Any:
    return QuestionnaireResponse.objects.filter(
        patient__clinic_id=scope.clinic_id,
        instrument__in=sorted(scope.questionnaires),
        completed_at__gte=scope.start,
        completed_at__lt=scope.end,
    )


def count(scope: Scope) -> int:
    """Source records in scope: the export's ``rows_total`` (progress is counted in them)."""
    return entries(scope).count() + observations(scope).count() + responses(scope).count()


_MEDICATIONS = ("loperamide_mg", "tki_doses_taken", "tki_doses_missed", "tki_dose_vomited")


class DiaryRow(NamedTuple):
    """A diary entry as read, before decoding (see ``diary_rows``)."""

    id: str
    subject_id: str
    recorded_at: datetime  # UTC
    offset_minutes: int  # the phone's UTC offset when it was recorded
    received_at: datetime
    reporter: str
    symptoms_json: str  # the stored JSON text, decoded only by writers that need the dict
    loperamide_mg: Decimal | None
    tki_doses_taken: int | None
    tki_doses_missed: int | None
    tki_dose_vomited: bool | None
    corrects_id: str | None


def diary_rows(scope: Scope, chunk: int = 2000) -> Iterator[tuple[DiaryRow, list[GradeRow]]]:
    """Diary entries by subject and recorded time, each with its current grades, undecoded.

    One query: entries LEFT JOIN their current grades (one row per entry and grade), read with
    a server-side cursor and folded back into one row per entry. The answers come as their JSON
    text (a cast, so that Django decodes nothing per row): the CSV writer renders repeated
    answers from a cache keyed by that text. Free text (the note, the missed-dose reason) is
    never read: it may name people. Ids come as text.
    """
    if not scope.diary:
        # No query at all: an empty queryset has no SQL to run on a raw cursor (EmptyResultSet).
        return
    queryset = (
        entries(scope)
        .annotate(
            current=FilteredRelation("grades", condition=Q(grades__superseded_at__isnull=True)),
            symptoms_json=Cast("symptoms", TextField()),
        )
        .order_by("patient_id", "recorded_at", "id", "current__term")
        .values_list(
            "id",
            "patient__subject_id",
            "recorded_at",
            "recorded_offset_minutes",
            "received_at",
            "reporter",
            "symptoms_json",
            *_MEDICATIONS,
            "corrects_id",
            "current__term",
            "current__grade",
            "current__status",
            "current__ctcae_version",
            "current__grading_version",
        )
    )
    postgresql = connections[queryset.db].vendor == "postgresql"
    rows = (_raw_rows if postgresql else _rows)(queryset, chunk)
    head: tuple[Any, ...] | None = None
    grades: list[GradeRow] = []
    for row in rows:
        if head is None or row[0] != head[0]:
            if head is not None:
                yield DiaryRow._make(head[:12]), grades
            head, grades = row, []
        if row[12] is not None:
            grades.append(GradeRow._make(row[12:17]))
    if head is not None:
        yield DiaryRow._make(head[:12]), grades


def _rows(queryset: Any, chunk: int) -> Iterator[tuple[Any, ...]]:
    """Rows as ``_raw_rows`` gives them, through Django (SQLite in development and tests)."""
    for row in queryset.iterator(chunk_size=chunk):
        yield (str(row[0]), *row[1:11], row[11] and str(row[11]), *row[12:])


def _raw_rows(queryset: Any, chunk: int) -> Iterator[tuple[Any, ...]]:
    """PostgreSQL: the queryset's SQL on a psycopg server-side cursor of Django's connection,
    with psycopg's own loaders (in C) instead of Django's per-value Python loader for
    ``timestamptz``, and uuids loaded as text (the export writes them as text anyway): a third
    of the reading cost of a million entries. Errors are Django's, as from the ORM."""
    db = connections[queryset.db]
    sql, params = queryset.query.sql_with_params()
    db.ensure_connection()
    with (
        db.wrap_database_errors,
        db.connection.cursor(
            name=f"export_{secrets.token_hex(4)}", withhold=not db.in_atomic_block
        ) as cursor,
    ):
        cursor.adapters.register_loader("uuid", TextLoader)
        cursor.adapters.register_loader("timestamptz", _TIMESTAMPTZ_LOADER)
        cursor.execute(sql, params)
        for rows in read_ahead(lambda: cursor.fetchmany(chunk)):
            yield from rows


def read_ahead(fetch: Callable[[], list[Any]]) -> Generator[list[Any]]:
    """``fetch()``'s results until an empty one, fetched by a thread one call ahead.

    PostgreSQL runs a server-side cursor only when asked for rows: fetching in the caller's
    thread, it and Python take turns. Here the thread waits for the next chunk (psycopg
    releases the GIL meanwhile) while the caller writes the current one, so the query runs
    on the other core. Its errors are raised in the caller's thread.
    """
    chunks: queue.Queue[list[Any] | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                rows = fetch()
                chunks.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # handed to the caller
            chunks.put(exc)

    thread = threading.Thread(target=run, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a put when the caller stopped early
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.05)
        thread.join()


def diary_records(scope: Scope, chunk: int = 2000) -> Iterator[DiaryRecord]:
    """Diary entries by subject and recorded time, each with its current grades, decoded."""
    for row, grades in diary_rows(scope, chunk):
        yield DiaryRecord(
            row.id,
            row.subject_id,
            local(row.recorded_at, row.offset_minutes),
            row.received_at,
            row.reporter,
            json.loads(row.symptoms_json),
            medications(row),
            row.corrects_id,
            tuple(grades),
        )


def medications(row: DiaryRow) -> dict[str, Any]:
    """The medication fields the entry has, by name (loperamide as a float, in mg)."""
    given = row[7:11]
    if given == _NO_MEDICATIONS:
        return {}
    return {
        name: (float(value) if name == "loperamide_mg" else value)
        for name, value in zip(_MEDICATIONS, given, strict=True)
        if value is not None
    }


_NO_MEDICATIONS = (None, None, None, None)


def observation_records(scope: Scope, chunk: int = CHUNK) -> Iterator[ObservationRecord]:
    """Clinician-entered observations by subject and time (who recorded them is not read)."""
    rows = (
        observations(scope)
        .order_by("patient_id", "observed_at", "id")
        .values_list(
            "id",
            "patient__subject_id",
            "term",
            "inputs",
            "observed_at",
            "created_at",
            "grade",
            "status",
            "ctcae_version",
            "grading_version",
        )
        .iterator(chunk_size=chunk)
    )
    for pk, subject, term, inputs, observed, created, grade, status, ctcae, grading in rows:
        yield ObservationRecord(
            id=pk,
            subject_id=subject,
            term=term,
            inputs=inputs,
            observed_at=observed.astimezone(scope.clinic_timezone),
            created_at=created,
            grade=GradeRow(term, grade, status, ctcae, grading),
        )


def response_records(scope: Scope, chunk: int = CHUNK) -> Iterator[ResponseRecord]:
    if not scope.questionnaires:
        return
    rows = (
        responses(scope)
        .order_by("patient_id", "completed_at", "id")
        .values_list(
            "id",
            "patient__subject_id",
            "instrument",
            "instrument_version",
            "answers",
            "scores",
            "completed_at",
            "completed_offset_minutes",
            "received_at",
            "due_on",
        )
        .iterator(chunk_size=chunk)
    )
    for pk, subject, code, version, answers, scores, completed, offset, received, due in rows:
        yield ResponseRecord(
            id=pk,
            subject_id=subject,
            instrument=code,
            instrument_version=version,
            answers=answers,
            scores=scores,
            completed_at=local(completed, offset),
            received_at=received,
            due_on=due,
        )


# --- graded reports for episodes ------------------------------------------------------------


def diary_reports(scope: Scope, chunk: int = CHUNK) -> Iterator[Report]:
    """Patient-reported grades for episodes, by (subject, term, time): current grades that are
    graded, of entries that no later entry corrects (a correction replaces what it corrects).
    Each report's ``ref`` is its entry's id."""
    if not scope.diary:
        return
    corrected = DiaryEntry.objects.filter(corrects_id=OuterRef("entry_id"))
    rows = (
        EntryGrade.objects.current()
        .filter(
            entry__in=entries(scope),
            status=GradeStatus.GRADED,
            grade__isnull=False,
        )
        .exclude(Exists(corrected))
        .order_by("entry__patient__subject_id", "term", "entry__recorded_at", "entry_id")
        .values_list(
            "entry__patient__subject_id",
            "term",
            "entry__recorded_at",
            "entry__recorded_offset_minutes",
            "grade",
            "entry_id",
        )
        .iterator(chunk_size=chunk)
    )
    for subject, term, recorded, offset, grade, entry in rows:
        # grade is never None (filtered)
        yield Report(subject, term, local(recorded, offset), grade or 0, str(entry))


def clinician_reports(scope: Scope, chunk: int = CHUNK) -> Iterator[Report]:
    """Clinician-confirmed grades for episodes, by (subject, term, time); ``ref``: the
    observation's id."""
    if not scope.clinician:
        return
    rows = (
        observations(scope)
        .filter(status=GradeStatus.GRADED, grade__isnull=False)
        .order_by("patient__subject_id", "term", "observed_at", "id")
        .values_list("patient__subject_id", "term", "observed_at", "grade", "id")
        .iterator(chunk_size=chunk)
    )
    for subject, term, observed, grade, pk in rows:
        # grade is never None here (filtered): ``or 0`` only satisfies the type checker.
        yield Report(subject, term, observed.astimezone(scope.clinic_timezone), grade or 0, str(pk))


# --- subjects and exposure (SDTM DM and EX) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """A clinic's patient as DM describes them: the pseudonymous id, the drug of their first
    course, and their first and last dose over all time (not only the export's window)."""

    subject_id: str
    drug: str  # "" without a course
    dose_level: str  # the TKI course's current dose level ("" when none)
    tki_drug: str  # the drug of the patient's oral TKI course, if any
    first_dose: date | None
    last_dose: date | None


@dataclass(frozen=True, slots=True)
class DoseRecord:
    subject_id: str
    drug: str
    dose_level: str
    on: date  # local day of the dose
    ref: str  # the infusion (INF-<id>) or the diary entry id
    doses_taken: int  # administrations that day (1 for an infusion)


def subject_records(scope: Scope) -> dict[str, SubjectRecord]:
    """Every patient of the clinic, by subject id, with the dates DM needs (a few queries)."""
    patients = {
        pk: (subject, tz)
        for pk, subject, tz in Patient.objects.filter(clinic_id=scope.clinic_id).values_list(
            "pk", "subject_id", "timezone"
        )
    }
    first_course: dict[int, str] = {}
    tki: dict[int, tuple[str, str]] = {}
    courses = (
        TreatmentCourse.objects.filter(patient__clinic_id=scope.clinic_id)
        .order_by("patient_id", "started_on", "pk")
        .values_list("patient_id", "drug", "dose_level", "status")
    )
    for patient, drug, level, status in courses:
        first_course.setdefault(patient, drug)
        if drugs.DRUGS[drug].drug_class == "tki" and (
            patient not in tki or status != CourseStatus.DISCONTINUED
        ):
            tki[patient] = (drug, level)
    dose_days: dict[int, list[date]] = {}
    infusions = (
        Infusion.objects.filter(course__patient__clinic_id=scope.clinic_id)
        .values("course__patient_id")
        .annotate(first=Min("given_on"), last=Max("given_on"))
        .values_list("course__patient_id", "first", "last")
    )
    for patient, first, last in infusions:
        dose_days.setdefault(patient, []).extend((first, last))
    tki_doses = (
        DiaryEntry.objects.filter(patient__clinic_id=scope.clinic_id, tki_doses_taken__gt=0)
        .values("patient_id")
        .annotate(first=Min("recorded_at"), last=Max("recorded_at"))
        .values_list("patient_id", "first", "last")
    )
    for patient, first, last in tki_doses:
        tz = zoneinfo.ZoneInfo(patients[patient][1])
        dose_days.setdefault(patient, []).extend(
            (first.astimezone(tz).date(), last.astimezone(tz).date())
        )
    records = {}
    for pk, (subject, _) in patients.items():
        days = dose_days.get(pk, [])
        tki_drug, level = tki.get(pk, ("", ""))
        records[subject] = SubjectRecord(
            subject_id=subject,
            drug=first_course.get(pk, ""),
            dose_level=level,
            tki_drug=tki_drug,
            first_dose=min(days, default=None),
            last_dose=max(days, default=None),
        )
    return dict(sorted(records.items()))


def dose_records(scope: Scope, subjects: dict[str, SubjectRecord]) -> Iterator[DoseRecord]:
    """Doses in the window, by subject and day: T-DXd infusions (always: treatment data, not a
    chosen source) and, when the diary is chosen, the TKI doses the patient reported taking
    (streamed: there is one per entry that reports any)."""
    first_day = scope.start.date()
    last_day = (scope.end - timedelta(days=1)).date()
    infusions = sorted(
        (
            DoseRecord(subject, drug, level, on, f"INF-{pk}", 1)
            for pk, subject, drug, level, on in Infusion.objects.filter(
                course__patient__clinic_id=scope.clinic_id,
                given_on__gte=first_day,
                given_on__lte=last_day,
            ).values_list(
                "pk", "course__patient__subject_id", "course__drug", "dose_level", "given_on"
            )
        ),
        key=_dose_key,
    )

    def tki_doses() -> Iterator[DoseRecord]:
        if not scope.diary:
            return
        rows = (
            entries(scope)
            .filter(tki_doses_taken__gt=0)
            .order_by("patient__subject_id", "recorded_at", "id")
            .values_list(
                "patient__subject_id",
                "recorded_at",
                "recorded_offset_minutes",
                "id",
                "tki_doses_taken",
            )
            .iterator(chunk_size=CHUNK)
        )
        for subject, recorded, offset, pk, taken in rows:
            record = subjects.get(subject)
            if record is None or not record.tki_drug:
                continue
            on = local(recorded, offset).date()
            yield DoseRecord(subject, record.tki_drug, record.dose_level, on, str(pk), taken)

    yield from heapq.merge(infusions, tki_doses(), key=_dose_key)


def _dose_key(dose: DoseRecord) -> tuple[str, date]:
    return dose.subject_id, dose.on
