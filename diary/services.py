"""Diary use cases: enrolment, entry submission, batch sync, re-grading.

Each use case is one keyword-only function that owns its transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from diary import drugs, fastsql, grading, questionnaires
from diary.errors import StoreConflict, constraint_name
from diary.evaluation import evaluate_entries
from diary.models import (
    RISK_FACTOR_FIELDS,
    AlertLevel,
    BaselineChange,
    Clinic,
    ClinicianObservation,
    CourseStatus,
    DiaryEntry,
    EnrollmentCode,
    EntryGrade,
    Patient,
    TreatmentCourse,
)
from diary.tokens import TokenPair, issue_tokens

logger = logging.getLogger(__name__)

# Enrolment codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown
# grouped as XXXX-XXXX-XXXX: about 60 bits, single use, and they expire.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


class EnrollmentError(Exception):
    """A used, expired, revoked or unknown enrolment code (``revoked``: withdrawn by staff)."""

    def __init__(self, *, revoked: bool = False) -> None:
        super().__init__("revoked" if revoked else "invalid")
        self.revoked = revoked


class IdConflict(Exception):
    """The entry id is already stored with a different body."""


# --- enrolment ------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return salted_hmac(
        "toxwatch.enrollment-code", normalise_code(code), algorithm="sha256"
    ).hexdigest()


def _new_subject_id(clinic: Clinic) -> str:
    while True:
        candidate = f"{clinic.code.upper()}-{secrets.randbelow(10**6):06d}"
        if not Patient.objects.filter(subject_id=candidate).exists():
            return candidate


def issue_enrollment_code(*, patient: Patient, created_by: User | None = None) -> str:
    """A fresh single-use code; earlier unused codes of the patient stop working."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    with transaction.atomic():
        EnrollmentCode.objects.filter(patient=patient, used_at=None).update(expires_at=now)
        EnrollmentCode.objects.create(
            patient=patient,
            code_hash=_code_hash(raw),
            expires_at=now + settings.ENROLLMENT_CODE_LIFETIME,
            created_by=created_by,
        )
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def revoke_enrollment_codes(*, patient: Patient, revoked_by: User | None = None) -> int:
    """Withdraw the patient's unused codes (they can never be redeemed); returns how many were
    still waiting. An account already made with a code is not touched."""
    now = timezone.now()
    return EnrollmentCode.objects.filter(
        patient=patient, used_at=None, revoked_at=None, expires_at__gt=now
    ).update(revoked_at=now, revoked_by=revoked_by)


@dataclass(frozen=True)
class Baseline:
    """What the patient is like before cycle 1 (reference §5.2 [D]); a clinician changes it
    later with ``update_baselines``."""

    stools_per_day: int | None = None
    spo2_rest: int | None = None
    spo2_exertion: int | None = None
    sob_exertion: str = ""
    weight_kg: Decimal | None = None
    cough_severity: str = ""  # none | mild | moderate | severe
    # PRO-CTCAE composites by symptom key, 0..3; usually left empty at enrolment: the first
    # response before cycle 1 fills it (D54).
    composites: Mapping[str, int] = field(default_factory=dict)


def enroll_patient(
    *,
    clinic: Clinic,
    drug: str,
    subject_id: str | None = None,
    birth_date: date | None = None,
    started_on: date | None = None,
    timezone_name: str | None = None,
    baseline: Baseline = Baseline(),
    brain_metastases: bool = False,
    risk_factors: Iterable[str] = (),
    dose_level: str | None = None,
    created_by: User | None = None,
    neuro_baseline: Mapping[str, str | bool] | None = None,
    stoma: bool = False,
    home_oximeter: bool = False,
) -> tuple[Patient, str]:
    """Register a patient with their treatment course; returns the patient and an enrolment code.

    ``neuro_baseline``: the neurological deficits present at enrolment (§5.5), CNS term ->
    severity or True (``diary.models.NEURO_TERMS``). ``stoma``: diarrhea is asked as ostomy
    output (§1.2). ``home_oximeter``: SpO2 is asked whatever the drug.

    Raises django ValidationError (with field messages) and creates nothing when any value is bad.
    """
    if drug not in drugs.DRUGS:
        raise ValidationError({"drug": f"Choose one of {', '.join(drugs.DRUGS)}."})
    factors = set(risk_factors)
    unknown = factors - set(RISK_FACTOR_FIELDS)
    if unknown:
        raise ValidationError(
            {"risk_factors": f"Unknown risk factor(s) {', '.join(sorted(unknown))}."}
        )
    weight = float(baseline.weight_kg) if baseline.weight_kg is not None else None
    with transaction.atomic():
        patient = Patient(
            subject_id=subject_id or _new_subject_id(clinic),
            clinic=clinic,
            birth_date=birth_date,
            enrolled_on=timezone.localdate(),
            timezone=timezone_name or clinic.timezone,
            brain_metastases=brain_metastases,
            baseline_stools_per_day=baseline.stools_per_day,
            baseline_spo2_rest=baseline.spo2_rest,
            baseline_spo2_exertion=baseline.spo2_exertion,
            baseline_sob_exertion=baseline.sob_exertion,
            baseline_weight_kg=baseline.weight_kg,
            baseline_cough_severity=baseline.cough_severity,
            baseline_neuro=neuro_baseline if neuro_baseline is not None else {},
            baseline_composites=dict(baseline.composites),
            stoma=stoma,
            home_oximeter=home_oximeter,
            **{name: name in factors for name in RISK_FACTOR_FIELDS},
        )
        patient.full_clean()
        patient.save()
        course = TreatmentCourse(
            patient=patient,
            drug=drug,
            dose_level=dose_level or drugs.starting_dose(drug, weight),
            started_on=started_on or timezone.localdate(),
            status=CourseStatus.ACTIVE,
        )
        course.full_clean(exclude=["patient"])
        course.save()
        questionnaires.create_default_schedules(patient=patient, course=course)
        code = issue_enrollment_code(patient=patient, created_by=created_by)
    logger.info("patient enrolled patient_id=%s clinic_id=%s", patient.pk, clinic.pk)
    return patient, code


def redeem_enrollment_code(*, code: str, password: str) -> tuple[Patient, TokenPair]:
    """The patient's first sign-in: the code becomes an account with their password."""
    now = timezone.now()
    User = get_user_model()
    with transaction.atomic():
        record = (
            EnrollmentCode.objects.select_for_update()
            .select_related("patient")
            .filter(code_hash=_code_hash(code))
            .first()
        )
        if record is not None and record.used_at is None and record.revoked_at is not None:
            raise EnrollmentError(revoked=True)
        if record is None or record.used_at is not None or record.expires_at <= now:
            raise EnrollmentError
        patient = record.patient
        user = patient.user
        if user is None:
            user = User(username=patient.subject_id)
        password_validation.validate_password(password, user)  # ValidationError: nothing saved
        user.set_password(password)
        user.is_active = True
        user.save()
        if patient.user_id is None:
            patient.user = user
            patient.save(update_fields=["user"])
        record.used_at = now
        record.save(update_fields=["used_at"])
        # A new enrolment (a new phone) signs every earlier session out.
        user.refresh_tokens.filter(revoked_at=None).update(revoked_at=now)
        tokens = issue_tokens(user=user)
    logger.info("enrolment code redeemed patient_id=%s", patient.pk)
    return patient, tokens


# --- diary entries --------------------------------------------------------------------------


def content_hash(data: dict[str, Any]) -> str:
    """A digest of what the entry says, to tell a replay from a conflicting reuse of its id."""
    meds = {
        key: (str(value.normalize()) if isinstance(value, Decimal) else value)
        for key, value in (data.get("medications") or {}).items()
        if value not in (None, "")
    }
    canonical = {
        "id": str(data["id"]),
        "recorded_at": data["recorded_at"].isoformat(),
        "symptoms": data.get("symptoms") or {},
        "medications": meds,
        "note": data.get("note") or "",
        "reporter": data.get("reporter") or "patient",
        "corrects": str(data["corrects"]) if data.get("corrects") else None,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Submitted:
    entry: DiaryEntry
    created: bool


def _offset_minutes(value: datetime) -> int:
    offset = value.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def grade_symptoms(symptoms: dict[str, dict[str, Any]]) -> dict[str, grading.GradeResult]:
    return {term: grading.grade(term, inputs) for term, inputs in symptoms.items()}


def grade_values(results: dict[str, grading.GradeResult], now: datetime) -> list[dict[str, Any]]:
    """An entry's ``EntryGrade`` rows as ``{attname: value}``, but for the entry."""
    return [
        {
            "term": term,
            "grade": result.grade,
            "status": result.status,
            "criteria": list(result.criteria),
            "missing": list(result.missing),
            "ctcae_version": result.ctcae_version,
            "grading_version": grading.GRADING_VERSION,
            "graded_at": now,
        }
        for term, result in results.items()
    ]


def grade_rows(entry: DiaryEntry, results: dict[str, grading.GradeResult]) -> list[EntryGrade]:
    return [EntryGrade(entry=entry, **values) for values in grade_values(results, timezone.now())]


def _build_entry(patient: Patient, data: dict[str, Any], digest: str) -> DiaryEntry:
    meds = data.get("medications") or {}
    return DiaryEntry(
        id=data["id"],
        patient=patient,
        recorded_at=data["recorded_at"],
        recorded_offset_minutes=_offset_minutes(data["recorded_at"]),
        received_at=timezone.now(),
        reporter=data.get("reporter") or "patient",
        symptoms=data.get("symptoms") or {},
        loperamide_mg=meds.get("loperamide_mg"),
        tki_doses_taken=meds.get("tki_doses_taken"),
        tki_doses_missed=meds.get("tki_doses_missed"),
        tki_dose_vomited=meds.get("tki_dose_vomited"),
        missed_dose_reason=meds.get("missed_dose_reason") or "",
        note=data.get("note") or "",
        corrects_id=data.get("corrects"),
        content_hash=digest,
    )


def submit_entry(*, patient: Patient, data: dict[str, Any]) -> Submitted:
    """Store one validated entry with its grades, and let the alert pipeline see it.

    Idempotent by the client's UUID: the same id with the same content returns the stored
    entry (created=False); the same id with other content raises IdConflict; a ``corrects``
    that is not one of the patient's entries raises ValidationError.
    """
    outcome = _store(patient, [data], answer=True)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _store(
    patient: Patient,
    items: Sequence[dict[str, Any]],
    *,
    retried: bool = False,
    answer: bool = False,
) -> list[Submitted | Exception]:
    """Store validated entries of one patient in one transaction; one outcome per item.
    ``answer``: each new entry carries its grades, for the entry's answer (a batch's answer
    does not show them).

    Replays and conflicts are sorted out with one query; the new entries and their grades are
    inserted in bulk, and the alert pipeline sees them all at once (``evaluate_entries``), in
    recorded-time order. If a concurrent request stored one of the ids first, each entry is
    stored again on its own, so the race costs time, never an entry.
    """
    digests = [content_hash(data) for data in items]
    ids = {data["id"] for data in items}
    corrects = {data["corrects"] for data in items if data.get("corrects")}
    # One new entry with nothing to check is simply inserted: a replay shows up as a unique
    # violation and is answered then (below), so the usual case costs no extra query.
    stored = (
        {
            row[0]: row
            for row in DiaryEntry.objects.filter(pk__in=ids | corrects).values_list(
                "pk", "patient_id", "content_hash"
            )
        }
        if len(items) > 1 or corrects
        else {}
    )
    outcomes: list[Submitted | Exception | None] = [None] * len(items)
    new: dict[Any, tuple[DiaryEntry, dict[str, grading.GradeResult]]] = {}
    new_positions: dict[Any, list[int]] = {}
    for position, (data, digest) in enumerate(zip(items, digests, strict=True)):
        entry_id = data["id"]
        if entry_id in stored:
            _, owner, stored_digest = stored[entry_id]
            if owner != patient.pk or stored_digest != digest:
                outcomes[position] = IdConflict()
            else:
                outcomes[position] = Submitted(entry=_with_current_grades(entry_id), created=False)
            continue
        if entry_id in new:
            same = new[entry_id][0].content_hash == digest
            outcomes[position] = None if same else IdConflict()
            if same:
                new_positions[entry_id].append(position)
            continue
        target = data.get("corrects")
        if target and not ((target in stored and stored[target][1] == patient.pk) or target in new):
            outcomes[position] = ValidationError(
                {"corrects": "There is no earlier entry of yours with this id."}
            )
            continue
        entry = _build_entry(patient, data, digest)
        results = grade_symptoms(entry.symptoms)
        entry.grade_summary = {term: result.grade for term, result in results.items()}
        new[entry_id] = (entry, results)
        new_positions[entry_id] = [position]
    if new:
        try:
            _insert(patient, list(new.values()), answer=answer)
        except IntegrityError as exc:
            if not DiaryEntry.objects.filter(pk__in=list(new)).exists():
                # Not an id stored meanwhile: another constraint (the pipeline's, such as one
                # open follow-up per code) lost a race the patient's lock should have prevented.
                # Once more from the start; then a clear "send it again", never a 500.
                name = constraint_name(exc)
                if retried:
                    logger.warning("entries not stored: constraint %s violated twice", name)
                    raise StoreConflict(name) from exc
                logger.warning("entries not stored: constraint %s violated; retrying", name)
                return _store(patient, items, retried=True, answer=answer)
            if len(items) == 1:
                # The same id stored a moment ago by a racing request: answer as a replay.
                existing = DiaryEntry.objects.filter(pk=items[0]["id"]).first()
                if existing is None:
                    raise
                if existing.patient_id != patient.pk or existing.content_hash != digests[0]:
                    return [IdConflict()]
                return [Submitted(entry=_with_current_grades(existing.pk), created=False)]
            # One id was stored meanwhile by another request: store each entry on its own.
            return [_store(patient, [data], answer=answer)[0] for data in items]
        for entry_id, (entry, _results) in new.items():
            first, *repeats = new_positions[entry_id]
            outcomes[first] = Submitted(entry=entry, created=True)
            for position in repeats:
                outcomes[position] = Submitted(entry=entry, created=False)
    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == len(items)  # every position was answered above
    return done


def _with_current_grades(entry_id: Any) -> DiaryEntry:
    return DiaryEntry.objects.filter(pk=entry_id).with_current_grades().get()


def _insert(
    patient: Patient,
    new: list[tuple[DiaryEntry, dict[str, grading.GradeResult]]],
    *,
    answer: bool = False,
) -> dict[Any, str]:
    """Run the alert pipeline on the new entries, then insert them, with the alert level and
    advice it chose, and their grades.

    The pipeline runs first (D85): it works from the entries in memory and reads only the
    stored history (never the new rows), and what it writes that refers to them (evidence)
    is checked at commit (foreign keys are deferred on PostgreSQL and SQLite), so each entry is
    inserted once, complete, instead of inserted and then updated. A replayed or conflicting id
    still fails the entry's insert, and the whole transaction, pipeline writes included, is
    rolled back as before."""
    with transaction.atomic():
        outcomes = evaluate_entries(patient=patient, entries=new)
        levels: dict[Any, str] = {
            pk: outcome.level
            for pk, outcome in outcomes.items()
            if outcome.level != AlertLevel.GREEN
        }
        # The level and the advice come from one evaluation and are stored with the entry, in
        # its transaction: the answer, a replay and a read all say the same (reference §5.8).
        for entry, _results in new:
            outcome = outcomes.get(entry.pk)
            if outcome is not None:
                entry.alert_level = outcome.level
                entry.advice = dict(outcome.advice)
        fastsql.insert([entry for entry, _ in new])
        # The grades as rows: a batch builds no EntryGrade object (diary.fastsql.insert_rows).
        grades = [(entry, grade_values(results, timezone.now())) for entry, results in new]
        values = [{"entry_id": entry.pk, **row} for entry, rows in grades for row in rows]
        keys = iter(fastsql.insert_rows(EntryGrade, values))
    for entry, rows in grades:
        if answer:
            # The answer is built from what was just stored: no re-read.
            entry._prefetched_objects_cache = {  # type: ignore[attr-defined]
                "grades": [_stored(EntryGrade(id=next(keys), entry=entry, **row)) for row in rows]
            }
        logger.info(
            "entry stored entry_id=%s patient_id=%s alert_level=%s",
            entry.pk,
            patient.pk,
            levels.get(entry.pk, AlertLevel.GREEN),
        )
    return levels


def _stored(obj: EntryGrade) -> EntryGrade:
    """The object as bulk_create leaves it."""
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def submit_batch(
    *, patient: Patient, entries: Sequence[tuple[int, dict[str, Any] | None, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Store a batch from an offline phone. Each entry stands alone.

    ``entries`` holds (position, validated data or None, errors). Valid entries are stored
    together (the alert pipeline sees them in recorded-time order, so rules that look across
    entries see them as they happened); results come back in the order sent.
    """
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for position, data, errors in entries:
        if data is None:
            results[position] = {
                "id": errors.pop("__id__", None),
                "status": "invalid",
                "errors": errors,
            }
        else:
            valid.append((position, data))
    outcomes = _store(patient, [data for _, data in valid]) if valid else []
    for (position, data), outcome in zip(valid, outcomes, strict=True):
        entry_id = str(data["id"])
        if isinstance(outcome, IdConflict):
            results[position] = {
                "id": entry_id,
                "status": "conflict",
                "errors": {"id": ["This id is already used by a different entry."]},
            }
        elif isinstance(outcome, ValidationError):
            results[position] = {
                "id": entry_id,
                "status": "invalid",
                "errors": {k: [str(m) for m in v] for k, v in outcome.message_dict.items()},
            }
        elif isinstance(outcome, Submitted):
            results[position] = {
                "id": entry_id,
                "status": "created" if outcome.created else "duplicate",
                "errors": {},
                "alert_level": outcome.entry.alert_level,
            }
        else:  # pragma: no cover - _store returns only these
            raise outcome
    return [results[position] for position in sorted(results)]


def regrade_entries(*, entries: Iterable[DiaryEntry]) -> int:
    """Re-grade entries graded under another grading version; old grades are kept as history."""
    changed = 0
    now = timezone.now()
    for entry in entries:
        current = list(entry.grades.current())
        if current and all(g.grading_version == grading.GRADING_VERSION for g in current):
            continue
        results = grade_symptoms(entry.symptoms)
        with transaction.atomic():
            entry.grades.current().update(superseded_at=now)
            EntryGrade.objects.bulk_create(grade_rows(entry, results))
            # The derived copy of the grades (the entry's answers themselves never change).
            DiaryEntry.objects.filter(pk=entry.pk).update(
                grade_summary={term: result.grade for term, result in results.items()}
            )
        changed += 1
    return changed


def record_observation(
    *, patient: Patient, term: str, inputs: dict[str, Any], observed_at: datetime, user: User
) -> ClinicianObservation:
    """Store a clinician-entered value with its CTCAE grade (inputs already validated)."""
    result = grading.grade(term, inputs)
    observation = ClinicianObservation.objects.create(
        patient=patient,
        term=term,
        inputs=inputs,
        observed_at=observed_at,
        recorded_by=user,
        grade=result.grade,
        status=result.status,
        criteria=list(result.criteria),
        missing=list(result.missing),
        ctcae_version=result.ctcae_version,
        grading_version=grading.GRADING_VERSION,
    )
    logger.info(
        "observation recorded observation_id=%s patient_id=%s user_id=%s",
        observation.pk,
        patient.pk,
        user.pk,
    )
    return observation


# --- baselines --------------------------------------------------------------------------------

# The baselines staff may change (reference §5.2, §5.5 [D]): API/form name -> Patient field.
BASELINE_FIELDS: dict[str, str] = {
    "stools_per_day": "baseline_stools_per_day",
    "spo2_rest": "baseline_spo2_rest",
    "spo2_exertion": "baseline_spo2_exertion",
    "sob_exertion": "baseline_sob_exertion",
    "cough_severity": "baseline_cough_severity",
    "weight_kg": "baseline_weight_kg",
    "neuro": "baseline_neuro",
    "composites": "baseline_composites",
    "stoma": "stoma",
    "home_oximeter": "home_oximeter",
}


def baselines_of(patient: Patient) -> dict[str, Any]:
    """The patient's baselines by their API names, as JSON values."""
    values = {name: getattr(patient, column) for name, column in BASELINE_FIELDS.items()}
    if values["weight_kg"] is not None:
        values["weight_kg"] = float(values["weight_kg"])
    for name in ("sob_exertion", "cough_severity"):
        values[name] = values[name] or None
    return values


def update_baselines(
    *, patient: Patient, changes: Mapping[str, Any], user: User | None, reason: str = ""
) -> list[str]:
    """Change some of a patient's baselines (a clinician's decision, §5.2 [D]); every changed
    value is audited (``BaselineChange``: who, when, old, new). Returns the names changed.

    Raises ValidationError (field messages) and changes nothing when a value is bad.
    """
    unknown = set(changes) - set(BASELINE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a baseline."))
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        before = baselines_of(locked)
        for name, value in changes.items():
            if name in ("sob_exertion", "cough_severity") and value is None:
                value = ""
            setattr(locked, BASELINE_FIELDS[name], value)
        try:
            locked.full_clean(exclude=["user"])
        except ValidationError as exc:
            columns = {column: name for name, column in BASELINE_FIELDS.items()}
            raise ValidationError(
                {columns.get(key, key): messages for key, messages in exc.message_dict.items()}
            ) from None
        after = baselines_of(locked)
        changed = [name for name in changes if before[name] != after[name]]
        if changed:
            locked.save(update_fields=[BASELINE_FIELDS[name] for name in changed])
            now = timezone.now()
            BaselineChange.objects.bulk_create(
                BaselineChange(
                    patient=locked,
                    field=name,
                    old=before[name],
                    new=after[name],
                    changed_by=user,
                    changed_at=now,
                    reason=reason,
                )
                for name in changed
            )
    for name in changed:
        setattr(patient, BASELINE_FIELDS[name], getattr(locked, BASELINE_FIELDS[name]))
    logger.info(
        "baselines changed patient_id=%s user_id=%s fields=%s",
        patient.pk,
        user.pk if user else None,
        ",".join(changed),
    )
    return changed
