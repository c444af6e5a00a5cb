"""The project's URLs plus a bare Django view, the floor the diary API is measured against.

The bare view does what the ingest path cannot avoid: decode the JSON and insert the same
DiaryEntry row with the ORM. No DRF, no authentication, no validation, no grading. The patient
comes from the query string because there is no token to find it from.
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

from config.urls import handler404, handler500
from config.urls import urlpatterns as project_urlpatterns
from diary.models import DiaryEntry

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


urlpatterns = [path("bench/bare-entry/", bare_entry), *project_urlpatterns]
