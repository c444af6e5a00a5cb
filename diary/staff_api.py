"""Staff API: clinician-entered observations (labs, LVEF, imaging-confirmed pneumonitis) and
the patient's baselines (reference §5.2, §5.5).

Staff sign in with their Django account (session and CSRF, as on the dashboard). They reach only
their own clinic's patients: anything else is 404. Nurses and oncologists record and change
baselines (every change audited); data managers read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ApiError
from diary import grading, services
from diary.access import (
    RECORDING_ROLES,
    StaffSessionAuthentication,
    patients_visible_to,
    staff_member_for,
)
from diary.models import (
    BaselineChange,
    ClinicianObservation,
    CoughSeverity,
    Patient,
    SobExertion,
)
from diary.serializers import GradeSerializer, OffsetDateTimeField, StrictSerializer

ERROR = OpenApiResponse(description="The one error shape: {code, message, fields}.")


class IsClinicStaff(permissions.BasePermission):
    """A signed-in clinic member; writing needs the nurse or oncologist role."""

    message = "This part of the API is for clinic staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        member = staff_member_for(request.user)
        if member is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return member.role in RECORDING_ROLES


class ObservationInSerializer(StrictSerializer):
    term = serializers.CharField(max_length=64)
    inputs = serializers.JSONField()
    observed_at = OffsetDateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = grading.validate_inputs(attrs["term"], attrs["inputs"], self_report=False)
        if errors:
            term_level = errors.pop("", None)
            detail: dict[str, Any] = {"inputs": errors} if errors else {}
            if term_level:
                detail["term"] = term_level
            raise serializers.ValidationError(detail)
        # OffsetDateTimeField bounds a given time (2000 to 5 minutes ahead, offset +-15:59).
        attrs["observed_at"] = attrs.get("observed_at") or timezone.now()
        return attrs


class ObservationOutSerializer(serializers.ModelSerializer):
    grade = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.get_username")

    class Meta:
        model = ClinicianObservation
        fields = ["id", "term", "inputs", "observed_at", "recorded_by", "created_at", "grade"]

    @extend_schema(responses=GradeSerializer)
    def get_grade(self, observation: ClinicianObservation) -> dict[str, Any]:
        return observation.grade_dict()


class StaffPatientView(APIView):
    """A staff endpoint about one patient of the caller's clinic (any other: 404)."""

    authentication_classes = [StaffSessionAuthentication]
    permission_classes = [IsClinicStaff]

    def patient(self, subject_id: str) -> Patient:
        patient = patients_visible_to(self.request.user).filter(subject_id=subject_id).first()
        if patient is None:
            raise ApiError(code="not_found", message="Not found.", status_code=404)
        return patient


class ObservationsView(StaffPatientView):
    @extend_schema(
        responses={200: ObservationOutSerializer(many=True), 404: ERROR},
        summary="A patient's clinician-entered observations, newest first",
        tags=["staff"],
    )
    def get(self, request: Request, subject_id: str) -> Response:
        patient = self.patient(subject_id)
        observations = patient.observations.select_related("recorded_by")[:500]
        return Response(ObservationOutSerializer(observations, many=True).data)

    @extend_schema(
        request=ObservationInSerializer,
        responses={201: ObservationOutSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        summary="Record a lab, imaging or other clinician-entered value; answers its grade",
        tags=["staff"],
    )
    def post(self, request: Request, subject_id: str) -> Response:
        patient = self.patient(subject_id)
        body = ObservationInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():  # nothing is kept unless the answer says it was stored
            observation = services.record_observation(
                patient=patient,
                term=body.validated_data["term"],
                inputs=body.validated_data["inputs"],
                observed_at=body.validated_data["observed_at"],
                user=request.user,  # type: ignore[arg-type]
            )
            answer = ObservationOutSerializer(observation).data
        return Response(answer, status=status.HTTP_201_CREATED)


# --- baselines (reference §5.2, §5.5; D56) ---------------------------------------------------


class BaselinesInSerializer(StrictSerializer):
    """The baselines to change; leave out what stays. ``null`` clears a value."""

    stools_per_day = serializers.IntegerField(required=False, allow_null=True)
    spo2_rest = serializers.IntegerField(required=False, allow_null=True)
    spo2_exertion = serializers.IntegerField(required=False, allow_null=True)
    sob_exertion = serializers.ChoiceField(
        choices=list(SobExertion.values), required=False, allow_null=True
    )
    cough_severity = serializers.ChoiceField(
        choices=list(CoughSeverity.values), required=False, allow_null=True
    )
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    neuro = serializers.JSONField(
        required=False,
        help_text=(
            "The neurological baseline (§5.5): CNS term -> level present at baseline: "
            "`mild`/`moderate`/`severe` for confusion, dysphasia, dizziness, headache; `true` "
            "for muscle_weakness_left_sided, muscle_weakness_right_sided, vision_change, "
            "seizure. Replaces the whole baseline; `{}`: no deficit."
        ),
    )
    composites = serializers.JSONField(
        required=False,
        help_text=(
            "Baseline PRO-CTCAE composites (§5.2): symptom key -> 0..3. Replaces the whole "
            "set; filled from the first response before cycle 1 when empty."
        ),
    )
    stoma = serializers.BooleanField(required=False)
    home_oximeter = serializers.BooleanField(required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, write_only=True
    )


class BaselinesOutSerializer(serializers.Serializer):
    stools_per_day = serializers.IntegerField(allow_null=True)
    spo2_rest = serializers.IntegerField(allow_null=True)
    spo2_exertion = serializers.IntegerField(allow_null=True)
    sob_exertion = serializers.CharField(allow_null=True)
    cough_severity = serializers.CharField(allow_null=True)
    weight_kg = serializers.FloatField(allow_null=True)
    neuro = serializers.DictField()
    composites = serializers.DictField(child=serializers.IntegerField())
    stoma = serializers.BooleanField()
    home_oximeter = serializers.BooleanField()


class BaselineChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = BaselineChange
        fields = ["field", "old", "new", "changed_by", "changed_at", "reason"]

    def get_changed_by(self, change: BaselineChange) -> str | None:
        return change.changed_by.get_username() if change.changed_by else None


class BaselinesAnswerSerializer(serializers.Serializer):
    baselines = BaselinesOutSerializer()
    changes = BaselineChangeSerializer(many=True, help_text="The audit trail, newest first.")


class BaselinesView(StaffPatientView):
    """A patient's baselines: clinic staff read them, nurses and oncologists change them."""

    def answer(self, patient: Patient) -> Response:
        changes = patient.baseline_changes.select_related("changed_by")[:200]
        return Response(
            BaselinesAnswerSerializer(
                {"baselines": services.baselines_of(patient), "changes": changes}
            ).data
        )

    @extend_schema(
        responses={200: BaselinesAnswerSerializer, 404: ERROR},
        summary="A patient's baselines and who changed them",
        tags=["staff"],
    )
    def get(self, request: Request, subject_id: str) -> Response:
        return self.answer(self.patient(subject_id))

    @extend_schema(
        request=BaselinesInSerializer,
        responses={200: BaselinesAnswerSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        summary="Change some of a patient's baselines (audited)",
        tags=["staff"],
    )
    def patch(self, request: Request, subject_id: str) -> Response:
        patient = self.patient(subject_id)
        body = BaselinesInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = changes.pop("reason", "")
        try:
            services.update_baselines(
                patient=patient,
                changes=changes,
                user=request.user,  # type: ignore[arg-type]
                reason=reason,
            )
        except DjangoValidationError as exc:
            raise ApiError(
                code="invalid",
                message="Check the highlighted baselines.",
                fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
            ) from None
        return self.answer(patient)
