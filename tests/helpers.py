"""Builders for test data: clinics, staff, enrolled patients with API clients, entry bodies."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from diary import services
from diary.models import Clinic, Patient, StaffMember, StaffRole

PASSWORD = "correct-horse-battery"


def make_clinic(code: str = "TST", **fields: Any) -> Clinic:
    defaults = {"name": f"Clinic {code}", "timezone": "Europe/Paris", "phone_24h": "+33 1 00 00"}
    return Clinic.objects.create(code=code, **{**defaults, **fields})


def make_staff(clinic: Clinic, role: str = StaffRole.NURSE, username: str | None = None) -> Any:
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"{role}-{clinic.code}-{uuid.uuid4().hex[:6]}",
        password=PASSWORD,
        is_staff=True,
    )
    StaffMember.objects.create(user=user, clinic=clinic, role=role)
    return user


def enroll(
    clinic: Clinic,
    drug: str = "zongertinib",
    *,
    baseline: services.Baseline | None = None,
    **kwargs: Any,
) -> tuple[Patient, str]:
    """A registered patient and their enrolment code (not yet redeemed)."""
    return services.enroll_patient(
        clinic=clinic,
        drug=drug,
        baseline=baseline or services.Baseline(stools_per_day=1, spo2_rest=97, spo2_exertion=95),
        **kwargs,
    )


def enrolled_client(
    clinic: Clinic, drug: str = "zongertinib", **kwargs: Any
) -> tuple[Patient, APIClient]:
    """An enrolled patient with an APIClient holding their access token."""
    patient, code = enroll(clinic, drug, **kwargs)
    client = APIClient()
    response = client.post(
        "/api/v1/auth/enroll/", {"code": code, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    patient.refresh_from_db()
    return patient, client


def entry_body(
    *,
    recorded_at: datetime | None = None,
    symptoms: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    when = recorded_at or (timezone.now() - timedelta(minutes=10))
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "recorded_at": when.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
        "symptoms": symptoms if symptoms is not None else {"diarrhea": {"stools_over_baseline": 2}},
    }
    body.update(extra)
    return body


def record_entry(
    patient: Patient,
    when: datetime,
    symptoms: dict[str, Any] | None = None,
    **medications: Any,
) -> Any:
    """Store an entry recorded at `when` (aware; its offset is the phone's) through the diary
    service, grades and alerts included, as if the app had sent it (no HTTP, any date)."""
    data: dict[str, Any] = {
        "id": uuid.uuid4(),
        "recorded_at": when,
        "symptoms": symptoms if symptoms is not None else {"diarrhea": {"stools_over_baseline": 0}},
        "medications": medications,
    }
    return services.submit_entry(patient=patient, data=data).entry


def make_alert(
    patient: Patient,
    *,
    kind: str = "gi",
    level: str = "amber",
    status: str = "open",
    due_in: timedelta = timedelta(hours=4),
    **fields: Any,
) -> Any:
    """An alert as the pipeline leaves it, without evidence (queue tests need no entries)."""
    from alerts.models import Alert

    now = timezone.now()
    return Alert.objects.create(
        patient=patient,
        kind=kind,
        level=level,
        status=status,
        reason=fields.pop("reason", f"{level} {kind} test alert"),
        opened_at=fields.pop("opened_at", now - timedelta(minutes=30)),
        due_at=now + due_in,
        **fields,
    )


def report(patient: Patient, symptoms: dict[str, Any], **extra: Any) -> Any:
    """Submit a diary entry through the service the API uses (grading and alerts included)."""
    from diary.serializers import EntryInSerializer

    serializer = EntryInSerializer(data=entry_body(symptoms=symptoms, **extra))
    serializer.is_valid(raise_exception=True)
    return services.submit_entry(patient=patient, data=serializer.validated_data)


def staff_client(user: Any) -> Any:
    """A Django test Client signed in as a staff user (session auth, both steps passed)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
