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


def add_amber_evidence(
    alert: Any, code: str = "gi.amber.diarrhea_g2", measure: int | None = 2
) -> Any:
    """An AMBER rule's evidence on an alert (no entry), so its trigger can be marked expected."""
    from alerts.models import AlertEvidence

    return AlertEvidence.objects.create(
        alert=alert, code=code, level="amber", reason=f"{code} test evidence", measure=measure
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


def response_body(
    instrument: str = "qol_rating",
    answers: dict[str, Any] | None = None,
    *,
    completed_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A questionnaire response as the app sends it (default: a QoL rating of 7)."""
    when = completed_at or (timezone.now() - timedelta(minutes=5))
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "instrument": instrument,
        "completed_at": when.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
        "answers": answers if answers is not None else {"QOL": 7},
    }
    body.update(extra)
    return body


class RecordingPushBackend:
    """A push backend for tests: remembers what was sent (set TOXWATCH_PUSH_BACKEND to it)."""

    sent: list[tuple[int, Any, str]] = []
    rejected_tokens: set[str] = set()

    def send(self, device: Any, message: Any, *, key: str) -> Any:
        from diary.push import PushResult

        if device.token in self.rejected_tokens:
            return PushResult(delivered=False, unregistered=True)
        RecordingPushBackend.sent.append((device.pk, message, key))
        return PushResult(delivered=True)


def answer_questionnaire(
    patient: Patient, instrument: str, answers: dict[str, int], completed_at: datetime
) -> Any:
    """Store a questionnaire response through the service the API uses (scores included)."""
    from diary import questionnaires

    data = {
        "id": uuid.uuid4(),
        "instrument": instrument,
        "version": None,
        "completed_at": completed_at,
        "answers": answers,
    }
    return questionnaires.submit_response(patient=patient, data=data).response


def export_cohort(clinic: Clinic, *, start: datetime) -> dict[str, Any]:
    """A small realistic cohort for exports, from ``start`` (aware) on, day by day.

    - ``diarrhea``: patient-reported grades 1, 2, 0, 1 on days 0-3 (two episodes: days 0-2
      ended by the grade 0, then one still open from day 3), plus a carer's entry on day 1;
    - ``tired``: a carer reports fatigue once;
    - clinician-confirmed ALT: grades 2, 3, 0 on days 1, 2, 4 (one episode, worst 3);
    - a PRO-CTCAE questionnaire on day 2.
    The first patient carries identifiers that must never be exported (name, e-mail, birth
    date, a free-text note naming someone).
    """
    from diary.serializers import EntryInSerializer

    day = timedelta(days=1)
    diarrhea_patient, _ = enroll(clinic, "zongertinib")
    tired_patient, _ = enroll(clinic, "trastuzumab_deruxtecan")
    User = get_user_model()
    person = User.objects.create_user(
        username=f"person-{uuid.uuid4().hex[:6]}",
        first_name="Marguerite",
        last_name="Duchamp-Verrier",
        email="marguerite.duchamp@example.org",
    )
    diarrhea_patient.user = person
    diarrhea_patient.birth_date = datetime(1957, 3, 14).date()
    diarrhea_patient.save()

    def entry(patient: Patient, when: datetime, symptoms: dict[str, Any], **extra: Any) -> Any:
        serializer = EntryInSerializer(
            data=entry_body(recorded_at=when, symptoms=symptoms, **extra)
        )
        serializer.is_valid(raise_exception=True)
        return services.submit_entry(patient=patient, data=serializer.validated_data).entry

    entries = [
        entry(
            diarrhea_patient,
            start,
            {"diarrhea": {"stools_over_baseline": 2}},
            note="Call Marguerite Duchamp-Verrier on 06 12 34 56 78",
            medications={"loperamide_mg": 4},
        ),
        entry(diarrhea_patient, start + day, {"diarrhea": {"stools_over_baseline": 5}}),
        entry(diarrhea_patient, start + 2 * day, {"diarrhea": {"stools_over_baseline": 0}}),
        entry(diarrhea_patient, start + 3 * day, {"diarrhea": {"stools_over_baseline": 3}}),
        entry(
            tired_patient,
            start + day,
            {"fatigue": {"fatigue": True, "relieved_by_rest": True}},
            reporter="carer",
        ),
    ]
    nurse = make_staff(clinic, StaffRole.NURSE)
    observations = [
        services.record_observation(
            patient=diarrhea_patient,
            term="alt_increased",
            inputs={"alt_x_uln": value},
            observed_at=start + offset * day,
            user=nurse,
        )
        for value, offset in ((3.5, 1), (6.0, 2), (0.9, 4))
    ]
    response = answer_questionnaire(
        diarrhea_patient,
        "proctcae_zongertinib",
        {
            "PROCTCAE_16A": 3,
            "PROCTCAE_9A": 0,
            "PROCTCAE_10A": 0,
            "PROCTCAE_17A": 0,
            "PROCTCAE_8A": 0,
            "PROCTCAE_24A": 0,
            "PROCTCAE_31A": 0,
            "PROCTCAE_32A": 0,
            "PROCTCAE_33A": 1,
            "PROCTCAE_53A": 2,
            "PROCTCAE_53B": 1,
            "PROCTCAE_19A": 0,
            "PROCTCAE_20A": 0,
            "PROCTCAE_22A": 0,
            "PROCTCAE_23A": 0,
        },
        start + 2 * day,
    )
    return {
        "diarrhea_patient": diarrhea_patient,
        "tired_patient": tired_patient,
        "entries": entries,
        "observations": observations,
        "response": response,
        "person": person,
    }
