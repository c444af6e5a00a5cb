"""Clinics, staff membership, patients, treatment courses and the append-only diary."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from diary import drugs, vocabulary


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Paris.") from exc


class Clinic(models.Model):
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. DEMO.")
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_timezone]
    )
    phone_24h = models.CharField(
        "24-hour line", max_length=40, blank=True, help_text="Shown to patients in urgent advice."
    )
    # Response targets (reference §5.1): RED nurse contact <=1 h [D], AMBER same day <=24 h
    # (UKONS "1 amber = review within 24 h" [V]).
    red_due_minutes = models.PositiveIntegerField(default=60)
    amber_due_hours = models.PositiveIntegerField(default=24)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class StaffRole(models.TextChoices):
    NURSE = "nurse", "Nurse"
    ONCOLOGIST = "oncologist", "Oncologist"
    DATA_MANAGER = "data_manager", "Data manager"


class StaffMember(models.Model):
    """A clinic membership: which clinic a staff user works for, and in which role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_member"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=StaffRole.choices)

    class Meta:
        ordering = ["clinic__code", "user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()}, {self.clinic.code})"


class SobExertion(models.TextChoices):
    # Least exertion that causes breathlessness (reference §1.2), least to most severe.
    NONE = "none", "No breathlessness"
    MODERATE = "moderate", "With moderate exertion"
    MINIMAL = "minimal", "With minimal exertion"
    REST = "rest", "At rest"


class CoughSeverity(models.TextChoices):
    # The cough answer scale (reference §1.2), least to most severe.
    NONE = "none", "No cough"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


# The T-DXd ILD risk factors of reference §3.1 [V] that cannot be derived from other data.
RISK_FACTOR_FIELDS = (
    "renal_impairment",
    "lung_comorbidity",
    "prior_ild",
    "enrolled_in_japan",
    "diagnosis_over_4_years",
)


class Language(models.TextChoices):
    EN = "en", "English"
    ES = "es", "Español"
    ZH_HANS = "zh-hans", "简体中文"


# The clinician's neurological baseline (reference §5.5 [D]): the CNS terms a deficit may be
# recorded for, and the levels that may be recorded. A graded answer records the severity present
# at baseline (the scale of the term's self-report field); a yes/no one records True. A term left
# out was absent. The rules read it as ``alerts.rules.Baseline.neuro``.
NEURO_SEVERITY_TERMS: dict[str, str] = {
    "confusion": "disorientation",
    "dysphasia": "speech_difficulty",
    "dizziness": "unsteadiness",
    "headache": "pain_severity",
}
NEURO_YES_NO_TERMS: tuple[str, ...] = (
    "muscle_weakness_left_sided",
    "muscle_weakness_right_sided",
    "vision_change",
    "seizure",
)
NEURO_LEVELS: tuple[str, ...] = ("mild", "moderate", "severe")
NEURO_TERMS: tuple[str, ...] = (*NEURO_SEVERITY_TERMS, *NEURO_YES_NO_TERMS)


def neuro_baseline_errors(value: object) -> list[str]:
    """What is wrong with a neurological baseline (empty: nothing)."""
    if not isinstance(value, dict):
        return ["Send the neurological baseline as an object of CNS term -> level."]
    errors = []
    for term, level in value.items():
        if term in NEURO_SEVERITY_TERMS:
            if level not in NEURO_LEVELS:
                errors.append(f"{term}: the level must be one of {', '.join(NEURO_LEVELS)}.")
        elif term in NEURO_YES_NO_TERMS:
            if level is not True:
                errors.append(
                    f"{term}: a yes/no deficit is recorded as true (leave it out if absent)."
                )
        else:
            errors.append(f"{term!r} is not a CNS term: one of {', '.join(NEURO_TERMS)}.")
    return errors


def validate_neuro_baseline(value: object) -> None:
    errors = neuro_baseline_errors(value)
    if errors:
        raise ValidationError(errors)


def composite_baseline_errors(value: object) -> list[str]:
    """What is wrong with baseline PRO-CTCAE composites (symptom key -> 0..3; §2.2)."""
    from diary.grading import PROCTCAE_SYMPTOMS

    if not isinstance(value, dict):
        return ["Send the baseline composites as an object of PRO-CTCAE symptom -> 0..3."]
    errors = []
    for key, grade in value.items():
        symptom = PROCTCAE_SYMPTOMS.get(key)
        if symptom is None or symptom.presence:
            errors.append(f"{key!r} is not a PRO-CTCAE symptom with a composite grade.")
        elif type(grade) is not int or not 0 <= grade <= 3:
            errors.append(f"{key}: a composite grade is a whole number from 0 to 3.")
    return errors


def validate_composite_baseline(value: object) -> None:
    errors = composite_baseline_errors(value)
    if errors:
        raise ValidationError(errors)


class Patient(models.Model):
    subject_id = models.CharField(
        max_length=32,
        unique=True,
        help_text="Pseudonymous study subject id; no direct identifiers.",
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
    )
    birth_date = models.DateField(null=True, blank=True)
    enrolled_on = models.DateField(default=date.today)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    brain_metastases = models.BooleanField(default=False)
    # What the patient reads (app, catalogue, reminders): diary.catalogue.LANGUAGES (issue 16).
    # db_default: rows written by code that predates the field (older processes during a
    # deploy, historical models in migrations) get English too.
    language = models.CharField(
        max_length=10, choices=Language.choices, default=Language.EN, db_default=Language.EN
    )

    # T-DXd ILD risk factors (reference §3.1 [V]); age <65 and baseline SpO2 <95% are derived.
    renal_impairment = models.BooleanField("moderate/severe renal impairment", default=False)
    lung_comorbidity = models.BooleanField(default=False)
    prior_ild = models.BooleanField("prior ILD/pneumonitis", default=False)
    enrolled_in_japan = models.BooleanField(default=False)
    diagnosis_over_4_years = models.BooleanField(">4 years since diagnosis", default=False)

    # Baselines captured at enrolment, before cycle 1; changed only by a clinician (§5.2 [D]).
    baseline_stools_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    baseline_spo2_rest = models.PositiveSmallIntegerField(
        "baseline resting SpO2 %",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
    )
    baseline_spo2_exertion = models.PositiveSmallIntegerField(
        "baseline exertional SpO2 %",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
    )
    baseline_sob_exertion = models.CharField(
        "baseline breathlessness", max_length=10, choices=SobExertion.choices, blank=True
    )
    baseline_weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(350)],
    )
    # A stable chronic cough is not "new" (§5.2 [D]).
    baseline_cough_severity = models.CharField(
        "baseline cough", max_length=10, choices=CoughSeverity.choices, blank=True
    )
    # Deficits present at enrolment or recorded later by a clinician (§5.5 [D]): CNS term ->
    # severity, or true for a yes/no term (NEURO_TERMS).
    baseline_neuro = models.JSONField(
        "neurological baseline", default=dict, blank=True, validators=[validate_neuro_baseline]
    )
    # PRO-CTCAE composites before cycle 1 (§5.2 [D]): the patient's first response before the
    # course started, or a clinician's entry (D54).
    baseline_composites = models.JSONField(
        "baseline PRO-CTCAE composites",
        default=dict,
        blank=True,
        validators=[validate_composite_baseline],
    )
    # A stoma: the diarrhea question asks the ostomy output instead of the stool count (§1.2).
    stoma = models.BooleanField(default=False)
    # A home pulse oximeter: the diary asks for SpO2 whatever the drug (§5.2).
    home_oximeter = models.BooleanField("home pulse oximeter", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject_id"]

    def __str__(self) -> str:
        return self.subject_id

    def clean(self) -> None:
        # Django runs a field's validators only on non-empty values: [] or "" would pass
        # them and be stored, and every later read of the baselines would break. An empty
        # baseline is {} and nothing else.
        errors = {}
        for name, check in (
            ("baseline_neuro", neuro_baseline_errors),
            ("baseline_composites", composite_baseline_errors),
        ):
            value = getattr(self, name)
            if value in EMPTY_VALUES and not isinstance(value, dict):
                errors[name] = check(value)
        if errors:
            raise ValidationError(errors)

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def ild_risk_factors(self, today: date | None = None) -> list[str]:
        """The recorded and derived T-DXd ILD risk factors (reference §3.1 [V])."""
        today = today or timezone.localdate()
        factors = [name for name in RISK_FACTOR_FIELDS if getattr(self, name)]
        age = self.age_on(today)
        if age is not None and age < 65:  # age <65 years [V §3.1]
            factors.insert(0, "age_under_65")
        if self.baseline_spo2_rest is not None and self.baseline_spo2_rest < 95:  # [V §3.1]
            factors.append("baseline_spo2_under_95")
        return factors

    def baseline(self) -> dict[str, Any]:
        return {
            "stools_per_day": self.baseline_stools_per_day,
            "spo2_rest": self.baseline_spo2_rest,
            "spo2_exertion": self.baseline_spo2_exertion,
            "sob_exertion": self.baseline_sob_exertion or None,
            "weight_kg": float(self.baseline_weight_kg) if self.baseline_weight_kg else None,
            "cough_severity": self.baseline_cough_severity or None,
        }

    def current_course(self) -> TreatmentCourse | None:
        """The course being given now: the newest that is not discontinued."""
        courses = [c for c in self.courses.all() if c.status != CourseStatus.DISCONTINUED]
        return max(courses, key=lambda c: (c.started_on, c.pk), default=None)


class BaselineChange(models.Model):
    """The audit trail of a patient's baselines: who changed which one, when, from what to what.
    Append-only; written by ``diary.services.update_baselines``."""

    patient = models.ForeignKey(
        "Patient", on_delete=models.PROTECT, related_name="baseline_changes"
    )
    field = models.CharField(max_length=40)
    old = models.JSONField(null=True)
    new = models.JSONField(null=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-changed_at"], name="baseline_change_patient")]

    def __str__(self) -> str:
        return f"{self.field} of {self.patient_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Baseline changes are append-only.")
        super().save(*args, **kwargs)


class EnrollmentCode(models.Model):
    """A one-time code a patient types into the app; only its keyed hash is stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrollment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Withdrawn by the care team before use (e.g. given to the wrong person): never redeemable.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Enrolment code for {self.patient.subject_id}"

    @property
    def state(self) -> str:
        """used, revoked, expired or waiting (for the staff page)."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "waiting"


class Drug(models.TextChoices):  # diary.vocabulary's drugs (tests/test_vocabulary.py)
    TRASTUZUMAB_DERUXTECAN = vocabulary.TDXD, vocabulary.DRUG_LABELS[vocabulary.TDXD]
    ZONGERTINIB = vocabulary.ZONGERTINIB, vocabulary.DRUG_LABELS[vocabulary.ZONGERTINIB]
    SEVABERTINIB = vocabulary.SEVABERTINIB, vocabulary.DRUG_LABELS[vocabulary.SEVABERTINIB]
    OTHER = vocabulary.OTHER_DRUG, vocabulary.DRUG_LABELS[vocabulary.OTHER_DRUG]


DOSE_LEVEL_CHOICES = [
    (level.code, f"{drug.name}: {level.label}")
    for drug in drugs.DRUGS.values()
    for level in drug.dose_levels
]


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    HELD = "held", "Held"
    DISCONTINUED = "discontinued", "Discontinued"


class TreatmentCourse(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="courses")
    drug = models.CharField(max_length=32, choices=Drug.choices)
    dose_level = models.CharField(max_length=20, choices=DOSE_LEVEL_CHOICES)
    schedule = models.CharField(max_length=100, blank=True)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on", "-pk"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.get_drug_display()} from {self.started_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.schedule and self.drug:
            self.schedule = self.catalogue.schedule
        super().save(*args, **kwargs)

    @property
    def catalogue(self) -> drugs.Drug:
        return drugs.DRUGS[self.drug]

    @property
    def drug_class(self) -> str:
        return self.catalogue.drug_class

    def clean(self) -> None:
        if self.drug and self.dose_level and self.dose_level not in self.catalogue.dose_codes:
            raise ValidationError(
                {"dose_level": f"Choose one of {', '.join(self.catalogue.dose_codes)}."}
            )
        if self.stopped_on and self.started_on and self.stopped_on < self.started_on:
            raise ValidationError({"stopped_on": "The stop date is before the start date."})
        if self.status == CourseStatus.DISCONTINUED and not self.stopped_on:
            raise ValidationError({"stopped_on": "A discontinued course needs its stop date."})

    def last_infusion_on(self, before: date | None = None) -> date | None:
        dates = [i.given_on for i in self.infusions.all() if before is None or i.given_on <= before]
        return max(dates, default=None)


class Infusion(models.Model):
    """A T-DXd infusion given on a date, at the dose level of that day."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="infusions")
    given_on = models.DateField()
    dose_level = models.CharField(max_length=20, choices=DOSE_LEVEL_CHOICES)

    class Meta:
        ordering = ["-given_on"]
        constraints = [
            models.UniqueConstraint(fields=["course", "given_on"], name="one_infusion_per_day")
        ]

    def __str__(self) -> str:
        return f"Infusion on {self.given_on}"


class AlertLevel(models.TextChoices):  # diary.vocabulary's levels (tests/test_vocabulary.py)
    GREEN = vocabulary.GREEN, vocabulary.LEVEL_LABELS[vocabulary.GREEN]
    AMBER = vocabulary.AMBER, vocabulary.LEVEL_LABELS[vocabulary.AMBER]
    RED = vocabulary.RED, vocabulary.LEVEL_LABELS[vocabulary.RED]


class Reporter(models.TextChoices):
    PATIENT = "patient", "Patient"
    CARER = "carer", "Carer"  # a carer may answer for the patient (reference §5.5 [D])


class DiaryEntryQuerySet(models.QuerySet["DiaryEntry"]):
    def with_current_grades(self) -> DiaryEntryQuerySet:
        """Prefetch each entry's grades under the current grading version (``entry.grades``)."""
        return self.prefetch_related(
            models.Prefetch(
                "grades", queryset=EntryGrade.objects.filter(superseded_at__isnull=True)
            )
        )


class AppendOnlyError(RuntimeError):
    pass


class DiaryEntry(models.Model):
    """One diary submission. Append-only: a correction is a new entry that `corrects` an old one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="entries")
    recorded_at = models.DateTimeField(help_text="When the patient recorded it (phone clock).")
    recorded_offset_minutes = models.SmallIntegerField(
        default=0, help_text="The phone's UTC offset when recording, in minutes."
    )
    received_at = models.DateTimeField(default=timezone.now)
    reporter = models.CharField(max_length=10, choices=Reporter.choices, default=Reporter.PATIENT)
    symptoms = models.JSONField(default=dict)
    loperamide_mg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    tki_doses_taken = models.PositiveSmallIntegerField(null=True, blank=True)
    tki_doses_missed = models.PositiveSmallIntegerField(null=True, blank=True)
    tki_dose_vomited = models.BooleanField(null=True, blank=True)
    missed_dose_reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    content_hash = models.CharField(max_length=64, editable=False)
    # {term: grade} under the current grading version: a copy of EntryGrade kept on the row so
    # the alert rules read an entry's history in one query (re-grading refreshes it).
    grade_summary = models.JSONField(default=dict, editable=False)
    alert_level = models.CharField(
        max_length=10, choices=AlertLevel.choices, default=AlertLevel.GREEN
    )
    # What the patient was told straight after the report (reference §5.8), chosen from the
    # alert evaluation in the transaction that stored the entry: {"summary": {"level", "text"},
    # "items": [{"term", "level", "text"}]}. Replays and reads return it as stored.
    advice = models.JSONField(default=dict, blank=True, editable=False)

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "diary entries"
        ordering = ["-recorded_at"]
        indexes = [
            # The offset rides along so that the programme view's diary completion (local days
            # with an entry, per patient of a clinic) is an index-only scan per patient
            # (docs/performance.md, "Programme view"). A key column rather than ``include``,
            # which SQLite lacks.
            models.Index(
                fields=["patient", "-recorded_at", "recorded_offset_minutes"],
                name="entry_patient_recorded",
            ),
            models.Index(fields=["patient", "received_at"], name="entry_patient_received"),
        ]

    def __str__(self) -> str:
        return f"Entry {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Diary entries are append-only: record a correction instead.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Diary entries are append-only and are never deleted.")

    @property
    def medications(self) -> dict[str, Any]:
        meds: dict[str, Any] = {}
        if self.loperamide_mg is not None:
            meds["loperamide_mg"] = float(self.loperamide_mg)
        for name in ("tki_doses_taken", "tki_doses_missed", "tki_dose_vomited"):
            value = getattr(self, name)
            if value is not None:
                meds[name] = value
        if self.missed_dose_reason:
            meds["missed_dose_reason"] = self.missed_dose_reason
        return meds

    def local_recorded_at(self) -> Any:
        tz = timezone.get_fixed_timezone(timedelta(minutes=self.recorded_offset_minutes))
        return self.recorded_at.astimezone(tz)


class GradeStatus(models.TextChoices):
    GRADED = "graded", "Graded"
    INSUFFICIENT = "insufficient", "Insufficient"
    NOT_GRADED = "not_graded", "Not graded"


class EntryGradeQuerySet(models.QuerySet["EntryGrade"]):
    def current(self) -> EntryGradeQuerySet:
        return self.filter(superseded_at__isnull=True)


class EntryGrade(models.Model):
    """The grade of one term of one entry under one grading version.

    Re-grading (``manage.py regrade``) marks the old rows superseded and adds new ones, so the
    history of what the care team saw is kept.
    """

    entry = models.ForeignKey(DiaryEntry, on_delete=models.PROTECT, related_name="grades")
    term = models.CharField(max_length=64)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=GradeStatus.choices)
    criteria = models.JSONField(default=list)
    missing = models.JSONField(default=list)
    ctcae_version = models.CharField(max_length=10)
    grading_version = models.CharField(max_length=20)
    graded_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = EntryGradeQuerySet.as_manager()

    class Meta:
        ordering = ["entry", "term"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "term"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_grade_per_entry_term",
            )
        ]
        indexes = [models.Index(fields=["term", "grade"], name="grade_term_grade")]

    def __str__(self) -> str:
        return f"{self.term}: {self.grade} ({self.status})"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "grade": self.grade,
            "status": self.status,
            "criteria": list(self.criteria),
            "ctcae_version": self.ctcae_version,
        }
        if self.status == GradeStatus.INSUFFICIENT:
            data["missing"] = list(self.missing)
        return data


class RefreshTokenQuerySet(models.QuerySet["RefreshToken"]):
    def live(self) -> RefreshTokenQuerySet:
        return self.filter(used_at=None, revoked_at=None, expires_at__gt=timezone.now())


class RefreshToken(models.Model):
    """An opaque, single-use refresh token. Only its SHA-256 is stored.

    Each use rotates it: the used one stops working and a new one of the same ``family`` is
    issued. Presenting an already used token revokes the whole family (it was copied).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    family = models.UUIDField(default=uuid.uuid4, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RefreshTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Refresh token {self.pk} of user {self.user_id}"


class AdviceOverride(models.Model):
    """A clinic's own wording of what the patient is told (reference §5.8): for an alert kind at
    AMBER or RED, or for a term's self-care at GREEN. Only the wording changes: the level comes
    from the alert evaluation and the summary with its call-now and emergency-number lines is
    never overridden, so an override can never make an answer calmer."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="advice_overrides")
    term = models.CharField(
        "alert kind or term",
        max_length=64,
        help_text="An alert kind (ild, gi, fever, cns, ...) for AMBER and RED wording, or a "
        "symptom term (diarrhea, fatigue, ...) for GREEN self-care wording.",
    )
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "term", "level"], name="one_advice_per_term_and_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinic.code} {self.term} {self.level}"


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def open(self) -> FollowUpQuerySet:
        return self.filter(resolved_at__isnull=True)

    def due(self, now: Any = None) -> FollowUpQuerySet:
        return self.open().filter(due_at__lte=now or timezone.now())


class FollowUp(models.Model):
    """A question the app should ask the patient again (e.g. an alerted fever) until resolved.

    Written by the alert pipeline; read by the app through /api/v1/me/ (``followups`` and the
    extra ``report_terms``). The diary does not know why, only what to ask and when.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="followups")
    code = models.CharField(max_length=60)
    terms = models.JSONField(default=list)
    reason = models.CharField(max_length=300, blank=True)
    alert_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    interval_minutes = models.PositiveIntegerField(default=24 * 60)
    asked_count = models.PositiveSmallIntegerField(default=0)
    last_asked_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "code"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_followup_per_patient_code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} for {self.patient_id}"


class ClinicianObservation(models.Model):
    """A value recorded by the care team (lab result, LVEF, imaging-confirmed pneumonitis, ...),
    graded like a diary term and kept apart from patient-reported grades. Append-only."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="observations")
    term = models.CharField(max_length=64)
    inputs = models.JSONField(default=dict)
    observed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=GradeStatus.choices)
    criteria = models.JSONField(default=list)
    missing = models.JSONField(default=list)
    ctcae_version = models.CharField(max_length=10)
    grading_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-observed_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-observed_at"], name="observation_patient")]

    def __str__(self) -> str:
        return f"{self.term} for {self.patient_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Observations are append-only: record a new one instead.")
        super().save(*args, **kwargs)

    def grade_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "grade": self.grade,
            "status": self.status,
            "criteria": list(self.criteria),
            "ctcae_version": self.ctcae_version,
        }
        if self.status == GradeStatus.INSUFFICIENT:
            data["missing"] = list(self.missing)
        return data


# --- questionnaires, devices and reminders ------------------------------------------------------


class ScheduleAnchor(models.TextChoices):
    START = "start", "Every N days from the start date"
    INFUSION = "infusion", "Each T-DXd infusion (cycle day 1), then every N days"


class QuestionnaireSchedule(models.Model):
    """When one instrument is due for one patient: its occasions and their visit windows.

    Occasions are computed, not stored (``diary.instruments.schedule``): every ``cadence_days``
    from ``starts_on``, or, anchored on infusions, on each recorded infusion day and every
    ``cadence_days`` after the last one. An occasion may be answered from ``window_before_days``
    before its due day to ``window_after_days`` after it, in the patient's time zone.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="questionnaire_schedules"
    )
    instrument = models.CharField(max_length=40, help_text="An instrument code, e.g. qlq_c30.")
    cadence_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    anchor = models.CharField(
        max_length=20, choices=ScheduleAnchor.choices, default=ScheduleAnchor.START
    )
    starts_on = models.DateField(help_text="The first due day (with no infusion recorded yet).")
    window_before_days = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(30)]
    )
    window_after_days = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(30)]
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient", "instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "instrument"], name="one_schedule_per_patient_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} every {self.cadence_days} days for {self.patient_id}"


class QuestionnaireResponseQuerySet(models.QuerySet["QuestionnaireResponse"]):
    def for_instrument(self, instrument: str) -> QuestionnaireResponseQuerySet:
        return self.filter(instrument=instrument)


class QuestionnaireResponse(models.Model):
    """One completed questionnaire. Append-only; the id is made on the phone (idempotency).

    ``answers`` maps item codes to the coded answers as given (never the licensed wording);
    ``scores`` maps scale codes to the scores computed on the server by the instrument's
    scoring at ``instrument_version``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(default=dict)
    scores = models.JSONField(default=dict)
    completed_at = models.DateTimeField(help_text="When the patient finished (phone clock).")
    completed_offset_minutes = models.SmallIntegerField(
        default=0, help_text="The phone's UTC offset at completion, in minutes."
    )
    received_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(
        null=True, blank=True, help_text="The scheduled occasion this response fulfils, if any."
    )
    content_hash = models.CharField(max_length=64, editable=False)
    # What the care team was told because of this response (a PRO-CTCAE response is a report
    # like a diary entry, §5.4), and the patient advice of §5.8 ({"summary": {"level", "text"},
    # "items": [...]}), both set in the transaction that stores it.
    alert_level = models.CharField(
        max_length=10, choices=AlertLevel.choices, default=AlertLevel.GREEN
    )
    advice = models.JSONField(default=dict, blank=True, editable=False)

    objects = QuestionnaireResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(
                fields=["patient", "instrument", "-completed_at"], name="response_patient_instr"
            ),
            models.Index(fields=["patient", "-completed_at"], name="response_patient_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Questionnaire responses are append-only.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Questionnaire responses are never deleted.")

    def local_completed_at(self) -> Any:
        tz = timezone.get_fixed_timezone(timedelta(minutes=self.completed_offset_minutes))
        return self.completed_at.astimezone(tz)


class InstrumentText(models.Model):
    """Licensed item wording loaded by a clinic (``manage.py load_instrument_texts``).

    The repository ships item codes, response ranges and scoring only; the app shows the loaded
    text for an item code in the patient's language, or the code when none is loaded.
    """

    instrument = models.CharField(max_length=40)
    language = models.CharField(max_length=10, help_text="A language tag such as en or fr.")
    code = models.CharField(max_length=60, help_text="An item code or a response label key.")
    text = models.TextField()
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument", "language", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "language", "code"], name="one_text_per_code_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.language} {self.code}"


class DevicePlatform(models.TextChoices):
    FCM = "fcm", "Firebase Cloud Messaging (Android)"
    APNS = "apns", "Apple Push Notification service (iOS)"
    WEBPUSH = "webpush", "Web Push (the patient web app)"


class Device(models.Model):
    """A phone's push token. Stored because pushing needs it; never logged or shown in full."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=10, choices=DevicePlatform.choices)
    # FCM/APNs: the token; Web Push: the browser's subscription as JSON (endpoint and keys).
    token = models.CharField(max_length=1024, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient", "-registered_at"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} device {self.pk}"

    @property
    def token_hint(self) -> str:
        return f"…{self.token[-6:]}"


class ReminderKind(models.TextChoices):
    DIARY = "diary", "Diary due"
    QUESTIONNAIRE = "questionnaire", "Questionnaire due"
    MISSED_DOSE = "missed_dose", "Missed dose"
    FOLLOWUP = "followup", "Follow-up question"


class ReminderLog(models.Model):
    """One reminder per patient, kind and occasion: the row is claimed before anything is sent."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    occasion = models.CharField(max_length=100, help_text="e.g. the local date, or instrument:due")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    devices = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "occasion"], name="one_reminder_per_occasion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder {self.occasion} for {self.patient_id}"
