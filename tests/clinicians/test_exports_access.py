"""Exports through the staff API and the dashboard page: who may export, scoping to the clinic,
validation, expiry, the audit trail and the task's idempotency."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clinicians import tasks
from clinicians.exports import services
from clinicians.exports.models import Export, ExportEvent, ExportStatus
from diary.models import StaffRole
from tests.helpers import export_cohort, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
BODY = {"format": "csv", "date_from": "2025-03-01", "date_to": "2025-03-31"}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.TOXWATCH_EXPORT_DIR = tmp_path / "exports"
    return settings.TOXWATCH_EXPORT_DIR


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):  # type: ignore[no-untyped-def]
    """The export task runs in-process here, also where REDIS_URL names a broker."""


@pytest.fixture
def world():
    a, b = make_clinic("AAA"), make_clinic("BBB")
    export_cohort(a, start=START)
    export_cohort(b, start=START)
    return {"a": a, "b": b, "manager": make_staff(a, StaffRole.DATA_MANAGER)}


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def post(client, body=None, capture=None):
    if capture is None:
        return client.post("/api/v1/staff/exports/", body or BODY, format="json")
    with capture(execute=True):
        return client.post("/api/v1/staff/exports/", body or BODY, format="json")


def test_a_data_manager_requests_an_export_and_downloads_it(
    world, django_capture_on_commit_callbacks
):
    client = api(world["manager"])
    response = post(client, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    export_id = response.json()["id"]
    detail = client.get(f"/api/v1/staff/exports/{export_id}/").json()
    assert detail["status"] == "done"
    assert detail["progress_percent"] == 100
    assert detail["download_url"] == f"/api/v1/staff/exports/{export_id}/download/"
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"PK")  # type: ignore[attr-defined]
    listed = client.get("/api/v1/staff/exports/").json()
    assert [e["id"] for e in listed] == [export_id]


def test_every_step_of_an_export_is_audited(world, django_capture_on_commit_callbacks):
    manager = world["manager"]
    client = api(manager)
    export_id = post(client, capture=django_capture_on_commit_callbacks).json()["id"]
    client.get(f"/api/v1/staff/exports/{export_id}/download/")
    client.get(f"/api/v1/staff/exports/{export_id}/download/")
    events = list(ExportEvent.objects.filter(export_id=export_id))
    assert [e.type for e in events] == [
        "requested",
        "started",
        "completed",
        "downloaded",
        "downloaded",
    ]
    assert events[0].actor == manager
    assert events[0].detail["format"] == "csv"
    assert [e.actor for e in events if e.type == "downloaded"] == [manager, manager]
    assert events[2].detail["sha256"] == Export.objects.get(pk=export_id).sha256


@pytest.mark.parametrize("role", [StaffRole.NURSE, StaffRole.ONCOLOGIST])
def test_clinical_roles_cannot_export(world, role):
    client = api(make_staff(world["a"], role))
    response = post(client)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Export.objects.exists()
    assert client.get("/api/v1/staff/exports/").status_code == 403


def test_a_patient_token_or_no_sign_in_cannot_export(world):
    assert post(APIClient()).status_code == 401
    from rest_framework_simplejwt.tokens import AccessToken

    from diary.models import Patient

    patient = Patient.objects.filter(clinic=world["a"], user__isnull=False).first()
    assert patient is not None and patient.user is not None
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(patient.user)}")
    assert post(client).status_code == 401  # the staff API knows sessions only
    assert not Export.objects.exists()


def test_another_clinics_export_is_not_found(world, django_capture_on_commit_callbacks):
    export_id = post(api(world["manager"]), capture=django_capture_on_commit_callbacks).json()["id"]
    outsider = make_staff(world["b"], StaffRole.DATA_MANAGER)
    client = api(outsider)
    assert client.get(f"/api/v1/staff/exports/{export_id}/").status_code == 404
    response = client.get(f"/api/v1/staff/exports/{export_id}/download/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/staff/exports/").json() == []
    assert staff_client(outsider).get(f"/staff/exports/{export_id}/download/").status_code == 404
    assert not ExportEvent.objects.filter(type="downloaded").exists()


def test_an_export_holds_only_its_clinics_patients(world):
    export = services.request_export(
        user=world["manager"],
        clinic=world["a"],
        format="csv",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        instruments=["symptom_diary"],
    )
    services.run_export(export_id=export.pk)
    from clinicians.exports import source

    scope = source.scope_for(export)
    subjects = {r.subject_id for r in source.diary_records(scope)}
    assert subjects
    from diary.models import Patient

    assert subjects <= set(
        Patient.objects.filter(clinic=world["a"]).values_list("subject_id", flat=True)
    )


@pytest.mark.parametrize(
    "body,field",
    [
        ({**BODY, "format": "xlsx"}, "format"),
        ({**BODY, "date_from": "2025-04-01"}, "date_to"),
        ({**BODY, "date_from": "not a date"}, "date_from"),
        ({**BODY, "instruments": ["symptom_diary", "tarot"]}, "instruments"),
        ({**BODY, "instruments": []}, "instruments"),
        ({**BODY, "instruments": "symptom_diary"}, "instruments"),
        ({**BODY, "surprise": 1}, "surprise"),
        ({"format": "csv"}, "date_from"),
    ],
)
def test_invalid_requests_are_400_in_the_one_error_shape_and_store_nothing(world, body, field):
    response = post(api(world["manager"]), body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert set(payload) == {"code", "message", "fields"}
    assert field in payload["fields"]
    assert not Export.objects.exists()
    assert not ExportEvent.objects.exists()


def test_a_future_first_day_is_refused(world):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(api(world["manager"]), {**BODY, "date_from": tomorrow, "date_to": tomorrow})
    assert response.status_code == 400
    assert "date_from" in response.json()["fields"]


def test_an_export_not_yet_run_is_409_on_download(world):
    client = api(world["manager"])
    export_id = post(client).json()["id"]  # no on-commit: the task has not run
    assert client.get(f"/api/v1/staff/exports/{export_id}/").json()["status"] == "queued"
    response = client.get(f"/api/v1/staff/exports/{export_id}/download/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_ready"


# --- expiry -------------------------------------------------------------------------------------


def done_export(world):
    export = services.request_export(
        user=world["manager"],
        clinic=world["a"],
        format="fhir",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        instruments=["symptom_diary"],
    )
    services.run_export(export_id=export.pk)
    export.refresh_from_db()
    assert export.path is not None and export.path.is_file()
    return export


def test_an_expired_export_is_410_and_its_file_is_deleted(world):
    export = done_export(world)
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = api(world["manager"])
    assert client.get(f"/api/v1/staff/exports/{export.pk}/").json()["download_url"] is None
    response = client.get(f"/api/v1/staff/exports/{export.pk}/download/")
    assert response.status_code == 410
    assert response.json()["code"] == "expired"
    assert not export.path.exists()
    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    types = list(ExportEvent.objects.filter(export=export).values_list("type", flat=True))
    assert types[-1] == "expired" and "downloaded" not in types


def test_the_beat_task_deletes_expired_files_once(world):
    fresh, old = done_export(world), done_export(world)
    Export.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert tasks.expire_exports_task() == 1
    assert tasks.expire_exports_task() == 0
    assert not old.path.exists()
    assert fresh.path.is_file()
    assert ExportEvent.objects.filter(export=old, type="expired").count() == 1
    assert api(world["manager"]).get(f"/api/v1/staff/exports/{old.pk}/download/").status_code == 410


def test_exports_expire_after_the_configured_hours(world, settings):
    settings.TOXWATCH_EXPORT_HOURS = 2
    export = done_export(world)
    assert export.expires_at - export.finished_at == timedelta(hours=2)
    later = export.finished_at + timedelta(hours=2, seconds=1)
    assert services.expire_exports(now=later) == 1


# --- the task -------------------------------------------------------------------------------------


def test_running_the_task_twice_writes_the_file_once(world):
    export = done_export(world)
    before = (export.sha256, export.finished_at, export.path.stat().st_mtime_ns)
    assert tasks.run_export_task(str(export.pk)) is False
    export.refresh_from_db()
    assert (export.sha256, export.finished_at, export.path.stat().st_mtime_ns) == before
    assert ExportEvent.objects.filter(export=export, type="started").count() == 1


def test_a_running_export_with_a_live_worker_is_not_taken_over(world):
    export = services.request_export(
        user=world["manager"],
        clinic=world["a"],
        format="csv",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        instruments=["symptom_diary"],
    )
    now = timezone.now()
    Export.objects.filter(pk=export.pk).update(status="running", heartbeat_at=now)
    assert services.run_export(export_id=export.pk) is False
    # A worker that died (no heartbeat for longer than STALE_AFTER) is replaced.
    Export.objects.filter(pk=export.pk).update(heartbeat_at=now - services.STALE_AFTER * 2)
    assert services.run_export(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


def test_a_failing_writer_marks_the_export_failed_and_leaves_no_file(
    world, monkeypatch, export_dir
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services.csvlong, "write", broken)
    export = services.request_export(
        user=world["manager"],
        clinic=world["a"],
        format="csv",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        instruments=["symptom_diary"],
    )
    assert services.run_export(export_id=export.pk) is True
    export.refresh_from_db()
    assert (export.status, export.error) == (ExportStatus.FAILED, "RuntimeError")
    assert list(export_dir.iterdir()) == []
    assert ExportEvent.objects.filter(export=export, type="failed").exists()
    response = api(world["manager"]).get(f"/api/v1/staff/exports/{export.pk}/download/")
    assert (response.status_code, response.json()["code"]) == (409, "failed")


def test_stalled_exports_are_sent_again_by_beat(world, monkeypatch):
    sent: list = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    export = services.request_export(
        user=world["manager"],
        clinic=world["a"],
        format="csv",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        instruments=["symptom_diary"],
    )
    assert services.requeue_stalled() == 0
    later = timezone.now() + services.REQUEUE_AFTER + timedelta(seconds=1)
    assert services.requeue_stalled(now=later) == 1
    assert sent == [export.pk]


def test_the_file_lives_outside_anything_served(world, settings):
    export = done_export(world)
    folder = export.path.parent.resolve()
    assert str(settings.STATIC_ROOT) not in str(folder)
    assert oct(export.path.stat().st_mode & 0o777) == "0o600"
    client = api(world["manager"])
    assert client.get(f"/static/{export.path.name}").status_code == 404
    assert client.get(f"/media/{export.path.name}").status_code == 404


# --- the dashboard page ---------------------------------------------------------------------------


def test_the_exports_page_requests_an_export_and_lists_it_with_a_download_link(
    world, django_capture_on_commit_callbacks
):
    client = staff_client(world["manager"])
    page = client.get("/staff/exports/")
    assert page.status_code == 200
    assert b"Request export" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/exports/",
            {
                "format": "sdtm",
                "date_from": "2025-03-01",
                "date_to": "2025-03-31",
                "instruments": ["symptom_diary", "clinician_observations"],
            },
        )
    assert response.status_code == 302
    export = Export.objects.get()
    listing = client.get("/staff/exports/list/").content.decode()
    assert f"/staff/exports/{export.pk}/download/" in listing
    assert "hx-trigger" not in listing  # nothing running: no polling
    download = client.get(f"/staff/exports/{export.pk}/download/")
    assert download.status_code == 200
    assert ExportEvent.objects.filter(export=export, type="downloaded").count() == 1


def test_the_list_polls_while_an_export_is_running(world):
    client = staff_client(world["manager"])
    client.post(
        "/staff/exports/",
        {
            "format": "csv",
            "date_from": "2025-03-01",
            "date_to": "2025-03-31",
            "instruments": ["symptom_diary"],
        },
    )
    Export.objects.update(status="running", rows_total=10, rows_done=4)
    listing = client.get("/staff/exports/list/").content.decode()
    assert 'hx-trigger="every 2s"' in listing
    assert 'value="40"' in listing and "4 of 10 records" in listing


def test_an_invalid_page_request_shows_form_errors_and_stores_nothing(world):
    client = staff_client(world["manager"])
    response = client.post(
        "/staff/exports/",
        {"format": "csv", "date_from": "2025-03-31", "date_to": "2025-03-01"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "The last day is before the first day." in content
    assert "This field is required." in content  # no source chosen
    assert not Export.objects.exists()


@pytest.mark.parametrize("role", [StaffRole.NURSE, StaffRole.ONCOLOGIST])
def test_clinical_roles_cannot_reach_the_exports_page(world, role):
    client = staff_client(make_staff(world["a"], role))
    assert client.get("/staff/exports/").status_code == 403
    assert client.post("/staff/exports/", {"format": "csv"}).status_code == 403
    assert not Export.objects.exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_rows_stream_in_a_transaction_and_progress_is_seen_meanwhile(
    settings, tmp_path
):
    """Outside a test transaction, as on a worker: the reads run in one transaction (no WITH
    HOLD copy of the result) and progress goes through a second connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    settings.TOXWATCH_EXPORT_DIR = tmp_path
    clinic = make_clinic("PGS")
    export_cohort(clinic, start=START)
    manager = make_staff(clinic, StaffRole.DATA_MANAGER)
    seen = []
    real_save = services.Progress.save

    def save_and_look(self):
        real_save(self)
        from django.db import connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT rows_done FROM clinicians_export WHERE id = %s", [self.export_id]
                )
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()

    services.PROGRESS_EVERY_ROWS, every = 1, services.PROGRESS_EVERY_ROWS
    services.Progress.save = save_and_look  # type: ignore[method-assign]
    try:
        for fmt in ("csv", "sdtm", "fhir"):
            export = services.request_export(
                user=manager,
                clinic=clinic,
                format=fmt,
                date_from=date(2025, 3, 1),
                date_to=date(2025, 3, 31),
                instruments=["symptom_diary", "clinician_observations", "proctcae_zongertinib"],
            )
            services.run_export(export_id=export.pk)
            export.refresh_from_db()
            assert export.status == ExportStatus.DONE, export.error
    finally:
        services.Progress.save = real_save  # type: ignore[method-assign]
        services.PROGRESS_EVERY_ROWS = every
    assert seen and seen[0] == 1 and max(seen) > 1
