"""Django admin for clinics, staff, patients and treatment courses, scoped to the staff's clinic."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from diary import services
from diary.access import may_change_records, staff_member_for
from diary.models import (
    AdviceOverride,
    Clinic,
    Device,
    DiaryEntry,
    EnrollmentCode,
    Infusion,
    InstrumentText,
    Patient,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderLog,
    StaffMember,
    TreatmentCourse,
)


class RoleMatrixMixin:
    """The role matrix (docs/decisions.md D15) in the admin: data managers read and never add,
    change or delete (baselines drive the hypoxia thresholds, courses the drug's rules), whatever
    Django permissions they were given. For model admins and inlines alike."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return may_change_records(request.user) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_change_records(request.user) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_change_records(request.user) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ClinicScopedAdmin(RoleMatrixMixin, admin.ModelAdmin):
    """Staff who are not superusers see and edit only their own clinic's rows."""

    clinic_lookup = "clinic"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        member = staff_member_for(request.user)
        if member is None:
            return queryset.none()
        return queryset.filter(**{f"{self.clinic_lookup}_id": member.clinic_id})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            member = staff_member_for(request.user)
            kwargs["queryset"] = (
                Clinic.objects.filter(pk=member.clinic_id) if member else Clinic.objects.none()
            )
        if db_field.name == "patient" and not request.user.is_superuser:
            member = staff_member_for(request.user)
            kwargs["queryset"] = (
                Patient.objects.filter(clinic_id=member.clinic_id)
                if member
                else Patient.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Clinic)
class ClinicAdmin(RoleMatrixMixin, admin.ModelAdmin):
    list_display = ["code", "name", "timezone", "phone_24h"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Clinic]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        member = staff_member_for(request.user)
        return queryset.filter(pk=member.clinic_id) if member else queryset.none()


@admin.register(StaffMember)
class StaffMemberAdmin(ClinicScopedAdmin):
    list_display = ["user", "clinic", "role"]
    list_filter = ["role"]
    search_fields = ["user__username"]


class TreatmentCourseInline(RoleMatrixMixin, admin.TabularInline):
    model = TreatmentCourse
    extra = 0
    fields = ["drug", "dose_level", "schedule", "started_on", "stopped_on", "status"]


@admin.action(description="Issue a new enrolment code (shown once)", permissions=["change"])
def issue_code(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Patient]
) -> None:
    for patient in queryset:
        staff = request.user if isinstance(request.user, User) else None
        code = services.issue_enrollment_code(patient=patient, created_by=staff)
        modeladmin.message_user(
            request,
            f"Enrolment code for {patient.subject_id}: {code} (valid for 14 days, single use).",
            messages.SUCCESS,
        )


BASELINE_COLUMNS: tuple[str, ...] = (
    "baseline_stools_per_day",
    "baseline_spo2_rest",
    "baseline_spo2_exertion",
    "baseline_sob_exertion",
    "baseline_cough_severity",
    "baseline_weight_kg",
    "baseline_neuro",
    "baseline_composites",
    "stoma",
    "home_oximeter",
)


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdmin):
    list_display = ["subject_id", "clinic", "enrolled_on", "brain_metastases"]
    list_filter = ["brain_metastases", "courses__drug", "courses__status"]
    search_fields = ["subject_id"]
    readonly_fields = ["user", "created_at"]
    inlines = [TreatmentCourseInline]
    actions = [issue_code]

    fieldsets = [
        (
            None,
            {"fields": ["subject_id", "clinic", "user", "birth_date", "enrolled_on", "timezone"]},
        ),
        ("Clinical", {"fields": ["brain_metastases"]}),
        (
            "T-DXd ILD risk factors (reference §3.1)",
            {
                "fields": [
                    "renal_impairment",
                    "lung_comorbidity",
                    "prior_ild",
                    "enrolled_in_japan",
                    "diagnosis_over_4_years",
                ]
            },
        ),
        (
            "Baselines (before cycle 1; changed only by a clinician, on the patient page)",
            {"fields": BASELINE_COLUMNS},
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A patient stays in the clinic they were enrolled in: their alerts keep a copy of it.
        # Baselines change only through diary.services.update_baselines, which audits each
        # change (the patient page and the staff API, D56), never silently here.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "clinic", *BASELINE_COLUMNS] if obj is not None else fields


class InfusionInline(RoleMatrixMixin, admin.TabularInline):
    model = Infusion
    extra = 0


@admin.register(TreatmentCourse)
class TreatmentCourseAdmin(ClinicScopedAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "drug", "dose_level", "status", "started_on", "stopped_on"]
    list_filter = ["drug", "status"]
    search_fields = ["patient__subject_id"]
    inlines = [InfusionInline]


@admin.register(DiaryEntry)
class DiaryEntryAdmin(ClinicScopedAdmin):
    """Read-only: entries are append-only and come from the app."""

    clinic_lookup = "patient__clinic"
    list_display = ["id", "patient", "recorded_at", "received_at", "alert_level"]
    list_filter = ["alert_level"]
    search_fields = ["patient__subject_id"]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(ClinicScopedAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "created_at", "expires_at", "used_at"]
    exclude = ["code_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AdviceOverride)
class AdviceOverrideAdmin(ClinicScopedAdmin):
    list_display = ["clinic", "term", "level"]
    list_filter = ["level", "term"]


# --- questionnaires, devices, reminders -----------------------------------------------------


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(QuestionnaireSchedule)
class QuestionnaireScheduleAdmin(ClinicScopedAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "instrument", "cadence_days", "anchor", "starts_on", "active"]
    list_filter = ["instrument", "anchor", "active"]
    search_fields = ["patient__subject_id"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyMixin, ClinicScopedAdmin):
    """Read-only: responses are append-only and come from the app."""

    clinic_lookup = "patient__clinic"
    list_display = ["id", "patient", "instrument", "instrument_version", "completed_at", "due_on"]
    list_filter = ["instrument"]
    search_fields = ["patient__subject_id"]
    date_hierarchy = "completed_at"


@admin.register(Device)
class DeviceAdmin(ReadOnlyMixin, ClinicScopedAdmin):
    """Which patients can be reached by push; the token itself is never shown."""

    clinic_lookup = "patient__clinic"
    list_display = ["pk", "patient", "platform", "token_hint", "registered_at"]
    list_filter = ["platform"]
    search_fields = ["patient__subject_id"]
    exclude = ["token"]
    readonly_fields = ["token_hint"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_change_records(request.user)  # clinical staff may cut off a lost phone


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyMixin, ClinicScopedAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "kind", "occasion", "sent_at", "devices"]
    list_filter = ["kind"]
    search_fields = ["patient__subject_id"]


@admin.register(InstrumentText)
class InstrumentTextAdmin(RoleMatrixMixin, admin.ModelAdmin):
    """Licensed item wording loaded for the whole installation (load_instrument_texts)."""

    list_display = ["instrument", "language", "code", "loaded_at"]
    list_filter = ["instrument", "language"]
    search_fields = ["code"]
