"""Diary use cases: enrolment, entry submission, batch sync, re-grading.

Each use case is one keyword-only function that owns its transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from diary import drugs, grading
from diary.models import (
    RISK_FACTOR_FIELDS,
    AlertLevel,
    Clinic,
    CourseStatus,
    DiaryEntry,
    EnrollmentCode,
    EntryGrade,
    Patient,
    TreatmentCourse,
)
from diary.signals import entry_recorded
from diary.tokens import TokenPair, issue_tokens

logger = logging.getLogger(__name__)

LEVEL_ORDER: dict[str, int] = {AlertLevel.GREEN: 0, AlertLevel.AMBER: 1, AlertLevel.RED: 2}

# Enrolment codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown
# grouped as XXXX-XXXX-XXXX: about 60 bits, single use, and they expire.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


class EnrollmentError(Exception):
    """A used, expired or unknown enrolment code."""


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


@dataclass(frozen=True)
class Baseline:
    stools_per_day: int | None = None
    spo2_rest: int | None = None
    spo2_exertion: int | None = None
    sob_exertion: str = ""
    weight_kg: Decimal | None = None


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
) -> tuple[Patient, str]:
    """Register a patient with their treatment course; returns the patient and an enrolment code.

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
    advice: list[dict[str, str]] = field(default_factory=list)


def _offset_minutes(value: datetime) -> int:
    offset = value.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def grade_symptoms(symptoms: dict[str, dict[str, Any]]) -> dict[str, grading.GradeResult]:
    return {term: grading.grade(term, inputs) for term, inputs in symptoms.items()}


def _grade_rows(entry: DiaryEntry, results: dict[str, grading.GradeResult]) -> list[EntryGrade]:
    now = timezone.now()
    return [
        EntryGrade(
            entry=entry,
            term=term,
            grade=result.grade,
            status=result.status,
            criteria=list(result.criteria),
            missing=list(result.missing),
            ctcae_version=result.ctcae_version,
            grading_version=grading.GRADING_VERSION,
            graded_at=now,
        )
        for term, result in results.items()
    ]


def _check_correction(patient: Patient, corrects: Any) -> None:
    if corrects and not DiaryEntry.objects.filter(pk=corrects, patient=patient).exists():
        raise ValidationError({"corrects": "There is no earlier entry of yours with this id."})


def submit_entry(*, patient: Patient, data: dict[str, Any]) -> Submitted:
    """Store one validated entry with its grades, and let the alert pipeline see it.

    Idempotent by the client's UUID: the same id with the same content returns the stored
    entry (created=False); the same id with other content raises IdConflict.
    """
    digest = content_hash(data)
    existing = DiaryEntry.objects.filter(pk=data["id"]).first()
    if existing is not None:
        return _replay(existing, patient, digest)
    _check_correction(patient, data.get("corrects"))
    meds = data.get("medications") or {}
    entry = DiaryEntry(
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
    results = grade_symptoms(entry.symptoms)
    try:
        with transaction.atomic():
            entry.save()
            EntryGrade.objects.bulk_create(_grade_rows(entry, results))
            level = _notify_recorded(entry, results)
            if level != AlertLevel.GREEN:
                DiaryEntry.objects.filter(pk=entry.pk).update(alert_level=level)
                entry.alert_level = level
    except IntegrityError:
        # Another request stored the same id first (a replay racing itself).
        existing = DiaryEntry.objects.filter(pk=data["id"]).first()
        if existing is None:
            raise
        return _replay(existing, patient, digest)
    logger.info(
        "entry stored entry_id=%s patient_id=%s alert_level=%s",
        entry.pk,
        patient.pk,
        entry.alert_level,
    )
    return Submitted(entry=entry, created=True)


def _replay(existing: DiaryEntry, patient: Patient, digest: str) -> Submitted:
    if existing.patient_id != patient.pk or existing.content_hash != digest:
        raise IdConflict
    return Submitted(entry=existing, created=False)


def _notify_recorded(entry: DiaryEntry, results: dict[str, grading.GradeResult]) -> str:
    level = AlertLevel.GREEN
    for _receiver, response in entry_recorded.send(sender=DiaryEntry, entry=entry, grades=results):
        if response in LEVEL_ORDER and LEVEL_ORDER[response] > LEVEL_ORDER[level]:
            level = AlertLevel(response)
    return level


def submit_batch(
    *, patient: Patient, entries: Sequence[tuple[int, dict[str, Any] | None, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Store a batch from an offline phone. Each entry stands alone.

    ``entries`` holds (position, validated data or None, errors). Valid entries are stored in
    recorded-time order, so rules that look across entries see them as they happened; results
    come back in the order sent.
    """
    results: dict[int, dict[str, Any]] = {}
    valid = []
    for position, data, errors in entries:
        if data is None:
            results[position] = {
                "id": errors.pop("__id__", None),
                "status": "invalid",
                "errors": errors,
            }
        else:
            valid.append((position, data))
    valid.sort(key=lambda item: item[1]["recorded_at"])
    for position, data in valid:
        entry_id = str(data["id"])
        try:
            submitted = submit_entry(patient=patient, data=data)
        except IdConflict:
            results[position] = {
                "id": entry_id,
                "status": "conflict",
                "errors": {"id": ["This id is already used by a different entry."]},
            }
        except ValidationError as exc:
            results[position] = {
                "id": entry_id,
                "status": "invalid",
                "errors": {k: [str(m) for m in v] for k, v in exc.message_dict.items()},
            }
        else:
            results[position] = {
                "id": entry_id,
                "status": "created" if submitted.created else "duplicate",
                "errors": {},
                "alert_level": submitted.entry.alert_level,
            }
    return [results[position] for position in sorted(results)]


def regrade_entries(*, entries: Iterable[DiaryEntry]) -> int:
    """Re-grade entries graded under another grading version; old grades are kept as history."""
    changed = 0
    now = timezone.now()
    for entry in entries:
        current = list(entry.grades.current())
        if current and all(g.grading_version == grading.GRADING_VERSION for g in current):
            continue
        with transaction.atomic():
            entry.grades.current().update(superseded_at=now)
            EntryGrade.objects.bulk_create(_grade_rows(entry, grade_symptoms(entry.symptoms)))
        changed += 1
    return changed
