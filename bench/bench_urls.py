"""The project's URLs plus two bench-only views the diary API is measured against.

The bare view does what the ingest path cannot avoid: decode the JSON and insert the same
DiaryEntry row with the ORM. No DRF, no authentication, no validation, no grading. The patient
comes from the query string because there is no token to find it from.

The peer view is a plain DRF endpoint storing the same row, as a DRF project would write it
(issue 17): a ``ModelSerializer`` of ``DiaryEntry`` (with the medications nested as the API
takes them), simplejwt's ``JWTAuthentication`` (the user read from the database), the patient
looked up from the user, the stored row in the answer. No grading, no alerts, no advice, no
replay check. Both sit behind the project's whole middleware stack, outside /api/.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns
from diary.models import DiaryEntry, Patient

__all__ = ["handler404", "handler500", "urlpatterns"]


@csrf_exempt
@require_POST
def bare_entry(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    meds = data.get("medications") or {}
    recorded_at = parse_datetime(data["recorded_at"])
    assert recorded_at is not None
    offset = recorded_at.utcoffset()
    loperamide = meds.get("loperamide_mg")
    entry = DiaryEntry.objects.create(
        id=data["id"],
        patient_id=int(request.GET["patient"]),
        recorded_at=recorded_at,
        recorded_offset_minutes=int(offset.total_seconds() // 60) if offset else 0,
        received_at=timezone.now(),
        reporter=data.get("reporter") or "patient",
        symptoms=data.get("symptoms") or {},
        loperamide_mg=Decimal(str(loperamide)) if loperamide is not None else None,
        tki_doses_taken=meds.get("tki_doses_taken"),
        tki_doses_missed=meds.get("tki_doses_missed"),
        tki_dose_vomited=meds.get("tki_dose_vomited"),
        missed_dose_reason=meds.get("missed_dose_reason") or "",
        note=data.get("note") or "",
        content_hash="bare",
    )
    return JsonResponse({"id": str(entry.id)}, status=201)


class PeerMedicationsSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiaryEntry
        fields = [
            "loperamide_mg",
            "tki_doses_taken",
            "tki_doses_missed",
            "tki_dose_vomited",
            "missed_dose_reason",
        ]


class PeerEntrySerializer(serializers.ModelSerializer):
    # The body's nested "medications" object, stored in the row's own columns.
    medications = PeerMedicationsSerializer(source="*", required=False)

    class Meta:
        model = DiaryEntry
        fields = ["id", "recorded_at", "reporter", "symptoms", "medications", "note"]
        extra_kwargs = {"id": {"read_only": False}}


class PeerEntryView(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        patient = Patient.objects.filter(user=request.user).first()
        if patient is None:
            raise NotFound
        body = PeerEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # DRF moves the time to UTC: the phone's offset comes from the text it sent.
        sent = parse_datetime(str(request.data["recorded_at"]))
        offset = sent.utcoffset() if sent is not None else None
        body.save(
            patient=patient,
            recorded_offset_minutes=int(offset.total_seconds() // 60) if offset else 0,
            content_hash="peer",
        )
        return Response(body.data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/bare-entry/", bare_entry),
    path("bench/peer-entry/", PeerEntryView.as_view()),
    *project_urlpatterns,
]
