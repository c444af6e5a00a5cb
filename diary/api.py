"""The mobile API (../shared/api.md): thin doors into diary.services."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    LOCKED_OUT_MESSAGE,
    RETRY_AFTER_BUSY,
    ApiError,
    ScopedRateThrottle,
    Unavailable,
    database_unavailable,
    flatten_errors,
)
from config.schema import AutoSchema
from diary import advice, catalogue, drugs, questionnaires, reminders, services
from diary.access import IsPatient, patient_for_request
from diary.errors import StoreConflict
from diary.models import DiaryEntry, Patient, QuestionnaireResponse
from diary.serializers import (
    BatchInSerializer,
    BatchOutSerializer,
    DeviceInSerializer,
    DeviceOutSerializer,
    DeviceTokenSerializer,
    DueListSerializer,
    EnrolledSerializer,
    EnrollSerializer,
    EntryInSerializer,
    EntryOutSerializer,
    MePatchSerializer,
    MeSerializer,
    OffsetDateTimeField,
    RefreshSerializer,
    ResponseInSerializer,
    ResponseOutSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    TrendsSerializer,
    batch_entries,
    entry_answer,
    validate_entry,
)
from diary.tokens import RefreshTokenInvalid, revoke_refresh_token, rotate_refresh_token

ERROR = OpenApiResponse(description="The one error shape: {code, message, fields}.")
logger = logging.getLogger(__name__)


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"": [str(m) for m in exc.messages]}


class AuthView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    def get_throttles(self) -> list[Any]:
        return [ScopedRateThrottle()]


class EnrollView(AuthView):
    @extend_schema(
        request=EnrollSerializer,
        responses={201: EnrolledSerializer, 400: ERROR},
        summary="Redeem an enrolment code and set a password",
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        body = EnrollSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            patient, tokens = services.redeem_enrollment_code(
                code=body.validated_data["code"], password=body.validated_data["password"]
            )
        except services.EnrollmentError as exc:
            # A revoked code keeps the documented code (docs/api.md); only the words differ.
            raise ApiError(
                code="invalid_enrollment_code",
                message="This enrolment code was withdrawn by your care team. "
                "Ask them for a new one."
                if exc.revoked
                else "This enrolment code is not valid: it may be used, expired or mistyped. "
                "Ask your care team for a new one.",
                fields={
                    "code": [
                        "This code was withdrawn." if exc.revoked else "This code is not valid."
                    ]
                },
            ) from None
        except DjangoValidationError as exc:
            raise ApiError(
                code="invalid",
                message="Choose a stronger password.",
                fields={"password": [str(m) for m in exc.messages]},
            ) from None
        return Response(
            {**tokens.as_dict(), "subject_id": patient.subject_id}, status=status.HTTP_201_CREATED
        )


class TokenView(AuthView):
    @extend_schema(
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer, 401: ERROR, 429: ERROR},
        summary="Sign in with subject id and password",
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        body = TokenObtainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            django_request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None and getattr(django_request, "axes_locked_out", False):
            raise ApiError(
                code="locked_out",
                message=LOCKED_OUT_MESSAGE,
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None or not Patient.objects.filter(user=user).exists():
            raise ApiError(
                code="invalid_credentials",
                message="The subject id or password is not right.",
                status_code=status.HTTP_401_UNAUTHORIZED,
            )
        return Response(services.issue_tokens(user=user).as_dict())


class RefreshView(AuthView):
    @extend_schema(
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, 401: ERROR},
        summary="Exchange a refresh token for a new pair (the old one stops working)",
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        body = RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            tokens = rotate_refresh_token(raw=body.validated_data["refresh"])
        except RefreshTokenInvalid:
            raise ApiError(
                code="invalid_refresh_token",
                message="This session has ended. Sign in again.",
                status_code=status.HTTP_401_UNAUTHORIZED,
            ) from None
        return Response(tokens.as_dict())


class LogoutView(AuthView):
    @extend_schema(
        request=RefreshSerializer,
        responses={204: None, 400: ERROR},
        summary="Sign out: the refresh token stops working",
        tags=["accounts"],
    )
    def post(self, request: Request) -> Response:
        body = RefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revoke_refresh_token(raw=body.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientView(APIView):
    permission_classes = [IsPatient]

    @property
    def patient(self) -> Patient:
        patient = patient_for_request(self.request)
        assert patient is not None  # IsPatient ran first
        return patient


class MeView(PatientView):
    @extend_schema(responses={200: MeSerializer}, summary="The signed-in patient", tags=["patient"])
    def get(self, request: Request) -> Response:
        patient = self.patient
        course = patient.current_course()
        last_infusion = course.last_infusion_on() if course else None
        followups = list(patient.followups.due())
        terms = catalogue.report_terms_for(patient)
        data = {
            "subject_id": patient.subject_id,
            "clinic": patient.clinic.code,
            "clinic_name": patient.clinic.name,
            "clinic_phone_24h": patient.clinic.phone_24h,
            "timezone": patient.timezone,
            "brain_metastases": patient.brain_metastases,
            "treatment": {
                "drug": course.drug if course else None,
                "drug_name": course.catalogue.name if course else None,
                "drug_class": course.drug_class if course else "other",
                "status": course.status if course else None,
                "dose_level": course.dose_level if course else None,
                "schedule": course.schedule if course else None,
                "started_on": course.started_on if course else None,
                "last_infusion_on": last_infusion,
            },
            "baseline": patient.baseline(),
            "report_terms": terms,
            "report_fields": drugs.report_fields(terms, stoma=patient.stoma),
            "followups": [
                {"code": f.code, "terms": f.terms, "reason": f.reason, "due_at": f.due_at}
                for f in followups
            ],
            "urgent_advice": advice.urgent_line(patient.clinic),
            "latest_advice": _latest_advice(patient),
            "questionnaires_due": questionnaires.due_count(patient=patient),
            "language": patient.language,
        }
        return Response(MeSerializer(data).data)

    @extend_schema(
        request=MePatchSerializer,
        responses={200: MeSerializer, 400: ERROR},
        summary="Change the patient's settings (the language of the app and reminders)",
        tags=["patient"],
    )
    def patch(self, request: Request) -> Response:
        body = MePatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = self.patient
        if "language" in body.validated_data:
            patient.language = body.validated_data["language"]
            patient.save(update_fields=["language"])
        return self.get(request)


def _latest_advice(patient: Patient) -> dict[str, Any] | None:
    latest = (
        patient.entries.order_by("-recorded_at", "-id")
        .values("id", "recorded_at", "recorded_offset_minutes", "alert_level", "advice")
        .first()
    )
    if latest is None:
        return None
    offset = timezone.get_fixed_timezone(timedelta(minutes=latest["recorded_offset_minutes"]))
    return {
        "entry_id": latest["id"],
        "recorded_at": latest["recorded_at"].astimezone(offset),
        "alert_level": latest["alert_level"],
        "advice_summary": latest["advice"].get("summary"),
        "advice": latest["advice"].get("items", []),
    }


class EntryPagination(CursorPagination):
    ordering = ("-recorded_at", "-id")
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class EntryListCreateView(PatientView, generics.GenericAPIView):
    pagination_class = EntryPagination
    serializer_class = EntryOutSerializer

    def get_queryset(self) -> Any:
        return DiaryEntry.objects.filter(patient=self.patient).with_current_grades()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="Only entries recorded at or after this ISO-8601 time (with offset).",
            )
        ],
        responses={200: EntryOutSerializer(many=True)},
        summary="Your entries, newest first",
        tags=["entries"],
    )
    def get(self, request: Request) -> Response:
        queryset = self.get_queryset()
        since = request.query_params.get("since")
        if since:
            try:
                since_at = OffsetDateTimeField().to_internal_value(since)
            except serializers.ValidationError as exc:
                raise ApiError(
                    code="invalid",
                    message="Check the query.",
                    fields=flatten_errors({"since": exc.detail}),
                ) from None
            queryset = queryset.filter(recorded_at__gte=since_at)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EntryOutSerializer(page, many=True).data)

    @extend_schema(
        request=EntryInSerializer,
        responses={201: EntryOutSerializer, 200: EntryOutSerializer, 400: ERROR, 422: ERROR},
        summary="Record a diary entry (idempotent by its id)",
        tags=["entries"],
    )
    def post(self, request: Request) -> Response:
        data = validate_entry(request.data)
        try:
            submitted = services.submit_entry(patient=self.patient, data=data)
        except services.IdConflict:
            raise ApiError(
                code="id_conflict",
                message="An entry with this id already exists with different answers.",
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                fields={"id": ["This id is already used by a different entry."]},
            ) from None
        except DjangoValidationError as exc:
            raise ApiError(
                code="invalid", message="Check the highlighted answers.", fields=_django_errors(exc)
            ) from None
        except StoreConflict:
            raise Unavailable("busy", RETRY_AFTER_BUSY) from None
        entry = submitted.entry  # carries its current grades and advice: no re-read
        return Response(
            entry_answer(entry),  # EntryOutSerializer's answer, without building one (D85)
            status=status.HTTP_201_CREATED if submitted.created else status.HTTP_200_OK,
        )


class EntryDetailView(PatientView):
    @extend_schema(
        responses={200: EntryOutSerializer, 404: ERROR},
        summary="One of your entries",
        tags=["entries"],
    )
    def get(self, request: Request, pk: Any) -> Response:
        entry = DiaryEntry.objects.filter(patient=self.patient, pk=pk).with_current_grades().first()
        if entry is None:
            raise ApiError(code="not_found", message="Not found.", status_code=404)
        return Response(EntryOutSerializer(entry).data)


class EntryBatchView(PatientView):
    @extend_schema(
        request=BatchInSerializer,
        responses={200: BatchOutSerializer, 400: ERROR},
        summary="Sync up to 100 entries recorded offline; each stands alone",
        tags=["entries"],
    )
    def post(self, request: Request) -> Response:
        prepared: list[tuple[int, dict[str, Any] | None, dict[str, Any]]] = []
        for position, raw in enumerate(batch_entries(request.data)):
            try:
                prepared.append((position, validate_entry(raw), {}))
            except serializers.ValidationError as exc:
                prepared.append((position, None, _invalid(raw, flatten_errors(exc.detail))))
            except Exception as exc:  # any other failure costs this item only, never the batch
                # The type only: an exception's message may quote the patient's answers.
                logger.error("batch item %d not validated: %s", position, type(exc).__name__)
                prepared.append((position, None, _invalid(raw, dict(UNEXPECTED))))
        try:
            results = services.submit_batch(patient=self.patient, entries=prepared)
        except StoreConflict:
            raise Unavailable("busy", RETRY_AFTER_BUSY) from None
        except Exception as exc:
            if database_unavailable(exc):
                raise  # 503: nothing stored, and one by one would fail the same way
            # The batch is stored in one transaction, so nothing of it was kept: store each
            # valid item on its own, and answer `invalid` for the ones that fail again.
            logger.error("batch not stored together (%s): one by one", type(exc).__name__)
            results = [self._store_alone(item) for item in prepared]
        return Response({"results": results})

    def _store_alone(
        self, item: tuple[int, dict[str, Any] | None, dict[str, Any]]
    ) -> dict[str, Any]:
        position, data, errors = item
        try:
            return services.submit_batch(patient=self.patient, entries=[(0, data, errors)])[0]
        except StoreConflict:
            raise Unavailable("busy", RETRY_AFTER_BUSY) from None
        except Exception as exc:
            if database_unavailable(exc):
                raise  # 503 for the batch: never "invalid" for an entry the phone must keep
            logger.error("batch item %d not stored: %s", position, type(exc).__name__)
            assert data is not None  # invalid items never raise
            return {"id": str(data["id"]), "status": "invalid", "errors": dict(UNEXPECTED)}


UNEXPECTED = {"": ["This entry could not be stored. Check its answers and send it again."]}


def _invalid(raw: Any, errors: dict[str, Any]) -> dict[str, Any]:
    """The errors of an invalid batch item, with the id it was sent with when that is a short
    string (echoed in the answer, so the app can match it)."""
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    errors["__id__"] = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None
    return errors


# --- questionnaires and devices -------------------------------------------------------------


def _since(request: Request) -> Any:
    since = request.query_params.get("since")
    if not since:
        return None
    try:
        return OffsetDateTimeField().to_internal_value(since)
    except serializers.ValidationError as exc:
        raise ApiError(
            code="invalid", message="Check the query.", fields=flatten_errors({"since": exc.detail})
        ) from None


class QuestionnairesDueView(PatientView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Accept-Language",
                str,
                OpenApiParameter.HEADER,
                description="The language of the item texts the clinic loaded (default en).",
            )
        ],
        responses={200: DueListSerializer},
        summary="Questionnaires due or overdue now, with their definitions",
        tags=["questionnaires"],
    )
    def get(self, request: Request) -> Response:
        due = questionnaires.due_occasions(patient=self.patient)
        languages = questionnaires.languages_from(request.headers.get("Accept-Language"))
        texts = questionnaires.texts_for({d.instrument.code for d in due}, languages)
        results = [
            {
                "instrument": d.instrument.code,
                "version": d.instrument.version,
                "title": texts.get(d.instrument.code, {}).get("title") or d.instrument.title,
                "state": d.state,
                "due_on": d.occasion.due_on,
                "window_opens_at": d.opens_at,
                "window_closes_at": d.closes_at,
                "definition": questionnaires.definition(
                    d.instrument, texts.get(d.instrument.code, {})
                ),
            }
            for d in due
        ]
        return Response(DueListSerializer({"count": len(results), "results": results}).data)


class ResponsePagination(EntryPagination):
    ordering = ("-completed_at", "-id")


class ResponseListCreateView(PatientView, generics.GenericAPIView):
    pagination_class = ResponsePagination
    serializer_class = ResponseOutSerializer

    def get_queryset(self) -> Any:
        return QuestionnaireResponse.objects.filter(patient=self.patient)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="Only responses completed at or after this ISO-8601 time.",
            ),
            OpenApiParameter("instrument", str, description="Only this instrument's responses."),
        ],
        responses={200: ResponseOutSerializer(many=True)},
        summary="Your questionnaire responses, newest first",
        tags=["questionnaires"],
    )
    def get(self, request: Request) -> Response:
        queryset = self.get_queryset()
        since = _since(request)
        if since is not None:
            queryset = queryset.filter(completed_at__gte=since)
        instrument = request.query_params.get("instrument")
        if instrument:
            queryset = queryset.filter(instrument=instrument)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ResponseOutSerializer(page, many=True).data)

    @extend_schema(
        request=ResponseInSerializer,
        responses={201: ResponseOutSerializer, 200: ResponseOutSerializer, 400: ERROR, 422: ERROR},
        summary="Send a completed questionnaire (idempotent by its id); scores come back",
        tags=["questionnaires"],
    )
    def post(self, request: Request) -> Response:
        body = ResponseInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            submitted = questionnaires.submit_response(
                patient=self.patient, data=body.validated_data
            )
        except questionnaires.IdConflict:
            raise ApiError(
                code="id_conflict",
                message="A response with this id already exists with different answers.",
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                fields={"id": ["This id is already used by a different response."]},
            ) from None
        except DjangoValidationError as exc:
            raise ApiError(
                code="invalid", message="Check the highlighted answers.", fields=_django_errors(exc)
            ) from None
        except StoreConflict:
            raise Unavailable("busy", RETRY_AFTER_BUSY) from None
        return Response(
            ResponseOutSerializer(submitted.response).data,
            status=status.HTTP_201_CREATED if submitted.created else status.HTTP_200_OK,
        )


class ResponseDetailView(PatientView):
    @extend_schema(
        responses={200: ResponseOutSerializer, 404: ERROR},
        summary="One of your questionnaire responses",
        tags=["questionnaires"],
    )
    def get(self, request: Request, pk: Any) -> Response:
        response = QuestionnaireResponse.objects.filter(patient=self.patient, pk=pk).first()
        if response is None:
            raise ApiError(code="not_found", message="Not found.", status_code=404)
        return Response(ResponseOutSerializer(response).data)


class TrendsView(PatientView):
    @extend_schema(
        parameters=[
            OpenApiParameter("instrument", str, description="Only this instrument."),
            OpenApiParameter(
                "since", str, description="Only responses completed at or after this time."
            ),
        ],
        responses={200: TrendsSerializer},
        summary="Your scores over time, per questionnaire and scale, oldest first",
        tags=["questionnaires"],
    )
    def get(self, request: Request) -> Response:
        data = questionnaires.trends(
            patient=self.patient,
            instrument=request.query_params.get("instrument") or None,
            since=_since(request),
        )
        return Response(TrendsSerializer({"instruments": data}).data)


class _BodyOnDeleteSchema(AutoSchema):
    """Documents the body of DELETE /devices/: the token goes in the body, never in the URL
    (URLs end up in logs). drf-spectacular documents bodies of POST, PUT and PATCH only."""

    def _get_request_body(self, direction: str = "request") -> Any:
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class DevicesView(PatientView):
    schema = _BodyOnDeleteSchema()

    @extend_schema(
        request=DeviceInSerializer,
        responses={201: DeviceOutSerializer, 200: DeviceOutSerializer, 400: ERROR},
        summary="Register this phone for push reminders (again: refreshes it)",
        tags=["devices"],
    )
    def post(self, request: Request) -> Response:
        body = DeviceInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        device, created = reminders.register_device(
            patient=self.patient,
            platform=body.validated_data["platform"],
            token=body.validated_data["token"],
        )
        return Response(
            DeviceOutSerializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=DeviceTokenSerializer,
        responses={204: None, 400: ERROR},
        summary="Stop push reminders to this phone (e.g. at sign-out)",
        tags=["devices"],
    )
    def delete(self, request: Request) -> Response:
        body = DeviceTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reminders.unregister_device(patient=self.patient, token=body.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)
