"""Staff JSON API for trial exports (session sign-in, as the dashboard and diary.staff_api).

Only data managers export (the role matrix of ``clinicians.access``: ``Can.EXPORT``). They reach
their own clinic's exports; another clinic's export is not found (404).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinicians.access import Can, Staff, needs_second_step, staff_for
from clinicians.exports import services, vocabulary
from clinicians.exports.models import Export, ExportFormat, ExportStatus
from config.api import ApiError
from config.ratelimit import over_limit
from diary.access import StaffSessionAuthentication
from diary.serializers import StrictSerializer

ERROR = OpenApiResponse(description="The one error shape: {code, message, fields}.")


class CanExport(permissions.BasePermission):
    """A signed-in data manager (both sign-in steps passed) of a clinic."""

    message = "Exports are for data managers."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        staff = staff_for(request)  # type: ignore[arg-type]
        if staff is None or needs_second_step(staff.user) or not staff.can(Can.EXPORT):
            return False
        request.staff = staff  # type: ignore[attr-defined]
        return True


class ExportInSerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    date_from = serializers.DateField(help_text="First day, in the clinic's time zone.")
    date_to = serializers.DateField(help_text="Last day (included).")
    instruments = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="Sources to include (default: all): symptom_diary, clinician_observations, "
        "and questionnaire codes.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("instruments", [code for code, _ in vocabulary.instrument_choices()])
        errors = services.validate_request(
            date_from=attrs["date_from"],
            date_to=attrs["date_to"],
            format=attrs["format"],
            instruments=attrs["instruments"],
            today=timezone.localdate(),
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ExportOutSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.get_username")
    progress_percent = serializers.IntegerField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "date_from",
            "date_to",
            "instruments",
            "status",
            "rows_done",
            "rows_total",
            "progress_percent",
            "size_bytes",
            "sha256",
            "requested_by",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]

    @extend_schema_field(
        {
            "type": "string",
            "format": "uri-reference",
            "nullable": True,
            "description": "A path on this server (null until the file can be downloaded).",
        }
    )
    def get_download_url(self, export: Export) -> str | None:
        if not export.is_downloadable():
            return None
        return reverse("staff-export-download", args=[export.pk])


def _exports(request: Request) -> Any:
    staff: Staff = request.staff  # type: ignore[attr-defined]
    return Export.objects.for_clinic(staff.member.clinic_id).select_related("requested_by")


def _export(request: Request, pk: Any) -> Export:
    export = _exports(request).select_related("clinic").filter(pk=pk).first()
    if export is None:
        raise ApiError(code="not_found", message="Not found.", status_code=404)
    return export


class ExportsView(APIView):
    authentication_classes = [StaffSessionAuthentication]
    permission_classes = [CanExport]

    @extend_schema(
        responses={200: ExportOutSerializer(many=True), 403: ERROR},
        summary="The clinic's exports, newest first (at most 100)",
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        return Response(ExportOutSerializer(_exports(request)[:100], many=True).data)

    @extend_schema(
        request=ExportInSerializer,
        responses={201: ExportOutSerializer, 400: ERROR, 403: ERROR, 429: ERROR},
        summary="Request an export of the clinic's data; it runs in the background",
        tags=["staff"],
    )
    def post(self, request: Request) -> Response:
        body = ExportInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wait = export_rate_exceeded(request.user)
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        staff: Staff = request.staff  # type: ignore[attr-defined]
        export = services.request_export(
            user=request.user,
            clinic=staff.clinic,
            format=body.validated_data["format"],
            date_from=body.validated_data["date_from"],
            date_to=body.validated_data["date_to"],
            instruments=body.validated_data["instruments"],
        )
        export.refresh_from_db()  # in-process tasks may have run it already
        return Response(ExportOutSerializer(export).data, status=status.HTTP_201_CREATED)


class ExportDetailView(APIView):
    authentication_classes = [StaffSessionAuthentication]
    permission_classes = [CanExport]

    @extend_schema(
        responses={200: ExportOutSerializer, 403: ERROR, 404: ERROR},
        summary="An export's status, progress and download link",
        tags=["staff"],
    )
    def get(self, request: Request, pk: Any) -> Response:
        return Response(ExportOutSerializer(_export(request, pk)).data)


class ExportDownloadView(APIView):
    authentication_classes = [StaffSessionAuthentication]
    permission_classes = [CanExport]

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,  # CSV and SDTM-style datasets
            (200, "application/fhir+json"): OpenApiTypes.OBJECT,  # a FHIR R4 Bundle
            403: ERROR,
            404: ERROR,
            409: ERROR,
            410: ERROR,
        },
        summary="Download an export's file (audited); 410 once it has expired",
        tags=["staff"],
    )
    def get(self, request: Request, pk: Any) -> FileResponse:
        return download(_export(request, pk), request.user)


def export_rate_exceeded(user: Any) -> int | None:
    """None while the user made at most TOXWATCH_EXPORTS_PER_HOUR export requests this hour (the
    API and the page together), else the seconds to wait."""
    return over_limit(f"export:{user.pk}", limit=settings.TOXWATCH_EXPORTS_PER_HOUR, period=3600)


def download(export: Export, user: Any) -> FileResponse:
    """Stream the file of a ready export, or raise the matching API error."""
    try:
        path, name, content_type = services.open_download(export=export, user=user)
    except services.ExportGone:
        raise ApiError(
            code="expired",
            message="This export has expired and its file was deleted. Request it again.",
            status_code=410,
        ) from None
    except services.ExportNotReady:
        ready = export.status != ExportStatus.FAILED
        raise ApiError(
            code="not_ready" if ready else "failed",
            message="This export is not ready yet."
            if ready
            else "This export failed. Request it again.",
            status_code=409,
        ) from None
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
