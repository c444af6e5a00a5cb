"""Staff API: clinician-entered observations (labs, LVEF, imaging-confirmed pneumonitis).

Staff sign in with their Django account (session and CSRF, as on the dashboard). They reach only
their own clinic's patients: anything else is 404. Nurses and oncologists record; data managers
read.
"""

from __future__ import annotations

from typing import Any

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
from diary.models import ClinicianObservation, Patient
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


class ObservationsView(APIView):
    authentication_classes = [StaffSessionAuthentication]
    permission_classes = [IsClinicStaff]

    def patient(self, subject_id: str) -> Patient:
        patient = patients_visible_to(self.request.user).filter(subject_id=subject_id).first()
        if patient is None:
            raise ApiError(code="not_found", message="Not found.", status_code=404)
        return patient

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
