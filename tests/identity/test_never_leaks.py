"""A patient's name and phone number never reach the mobile API, the exports, the logs, the
e-mails or task arguments (issue 15, item 1): a seeded identity is looked for in all of them
after a day of ordinary use, the care team's screens included."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from celery.app.task import Task
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from clinicians.exports import services as export_services
from clinicians.exports import vocabulary
from diary.models import Patient, StaffRole
from tests.helpers import PASSWORD, entry_body, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db

NAME = "Hortensia Vanderbilt-Quiñones"
PHONES = ("+44 20 7946 0555", "07700 900555", "+44 20 7946 0556")
NUMBER = "RX 555 0101"
EMERGENCY = "Leopold Vanderbilt"
# Long enough (or with a space) never to occur by chance in a uuid, a hash or a ciphertext.
SECRETS = (
    "Hortensia",
    "Vanderbilt",
    "Quiñones",
    "Leopold",
    "RX 555 0101",
    "RX5550101",
    "7946 0555",
    "79460555",
    "07700 900555",
    "07700900555",
    "7946 0556",
    "79460556",
)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


@pytest.fixture
def task_calls(monkeypatch):
    calls: list[str] = []
    original = Task.apply_async

    def recording(self: Any, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        calls.append(f"{self.name} {args!r} {kwargs!r}")
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return calls


def test_a_day_of_use_shows_the_identity_only_on_the_care_teams_screens(
    settings, tmp_path, caplog, task_calls, tasks_in_process, django_capture_on_commit_callbacks
):
    settings.TOXWATCH_EXPORT_DIR = tmp_path / "exports"
    settings.TOXWATCH_ALERT_EMAILS = ["ward@example.org"]
    clinic = make_clinic("LEAK")
    nurse = make_staff(clinic, StaffRole.NURSE)
    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    caplog.set_level(logging.DEBUG)
    nurse_client = staff_client(nurse)

    # Enrolled from the dashboard with contact details.
    page = nurse_client.post(
        "/staff/patients/enrol/",
        {
            "name": NAME,
            "hospital_number": NUMBER,
            "phone": PHONES[0],
            "other_phone": PHONES[1],
            "preferred_language": "Spanish",
            "emergency_name": EMERGENCY,
            "emergency_phone": PHONES[2],
            "drug": "trastuzumab_deruxtecan",
            "sob_exertion": "none",
            "cough_severity": "none",
            "spo2_rest": "97",
            "spo2_exertion": "95",
            "stools_per_day": "1",
            "started_on": (date.today() - timedelta(days=20)).isoformat(),
        },
        follow=True,
    )
    assert page.status_code == 200
    code = re.search(r'data-code="([A-Z0-9-]+)"', page.content.decode())
    assert code is not None
    patient = Patient.objects.get(clinic=clinic)

    # The app: enrol, report a RED (resting SpO2 86%, reference §5.2 RED 2), read back.
    app = APIClient()
    enrolled = app.post(
        "/api/v1/auth/enroll/", {"code": code.group(1), "password": PASSWORD}, format="json"
    )
    assert enrolled.status_code == 201
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {enrolled.json()['access']}")
    answers = [enrolled.content.decode()]
    with django_capture_on_commit_callbacks(execute=True):  # the alert's tasks run
        posted = app.post(
            "/api/v1/entries/",
            entry_body(symptoms={"hypoxia": {"spo2_rest": 86, "spo2_exertion": 84}}),
            format="json",
        )
    assert posted.status_code == 201 and posted.json()["alert_level"] == "red"
    for path in (
        "/api/v1/me/",
        "/api/v1/entries/",
        "/api/v1/catalogue/",
        "/api/v1/questionnaires/due/",
    ):
        answer = app.get(path)
        assert answer.status_code == 200, path
        answers.append(answer.content.decode())
    answers.append(posted.content.decode())

    # The care team's screens show it (and the staff API does not).
    alert = patient.alerts.get()
    assert NAME in nurse_client.get(f"/staff/alerts/{alert.pk}/").content.decode()
    searched = nurse_client.post("/staff/patients/", {"q": "Vanderbilt"})
    assert "Vanderbilt" not in searched["Location"]
    assert NAME in nurse_client.get(searched["Location"]).content.decode()
    staff_api = APIClient()
    staff_api.force_authenticate(nurse)
    for path in (
        f"/api/v1/staff/patients/{patient.subject_id}/baselines/",
        f"/api/v1/staff/patients/{patient.subject_id}/observations/",
    ):
        answers.append(staff_api.get(path).content.decode())

    # An export of everything, in every format.
    files = []
    for fmt in ("csv", "fhir", "sdtm"):
        export = export_services.request_export(
            user=manager,
            clinic=clinic,
            format=fmt,
            date_from=timezone.localdate() - timedelta(days=30),
            date_to=timezone.localdate(),
            instruments=[c for c, _ in vocabulary.instrument_choices()],
        )
        assert export_services.run_export(export_id=export.pk)
        export.refresh_from_db()
        path = settings.TOXWATCH_EXPORT_DIR / export.file_name
        data = path.read_bytes()
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                files += [archive.read(n).decode("latin-1") for n in archive.namelist()]
        else:
            files.append(data.decode("latin-1"))

    assert all(not leaks(a) for a in answers), [leaks(a) for a in answers]
    assert files and all(not leaks(f) for f in files)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "/staff/patients/" in logged and "patient enrolled" in logged
    assert leaks(logged) == []
    assert task_calls and leaks("\n".join(task_calls)) == []
    assert mail.outbox and all(not leaks(f"{m.subject} {m.body}") for m in mail.outbox)
