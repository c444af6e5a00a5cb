"""Every endpoint, each caller: patients reach only their own data, staff have no mobile access."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from diary.models import StaffRole
from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff, response_body

pytestmark = pytest.mark.django_db

PATIENT_ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/entries/"),
    ("post", "/api/v1/entries/"),
    ("post", "/api/v1/entries/batch/"),
    ("get", "/api/v1/entries/{entry}/"),
    ("get", "/api/v1/questionnaires/due/"),
    ("get", "/api/v1/questionnaires/responses/"),
    ("post", "/api/v1/questionnaires/responses/"),
    ("get", "/api/v1/questionnaires/responses/{response}/"),
    ("get", "/api/v1/questionnaires/trends/"),
    ("post", "/api/v1/devices/"),
    ("delete", "/api/v1/devices/"),
]


@pytest.fixture
def world():
    a, b = make_clinic("AAA"), make_clinic("BBB")
    owner, owner_client = enrolled_client(a)
    _, same_clinic_client = enrolled_client(a)
    _, other_clinic_client = enrolled_client(b)
    body = entry_body()
    assert owner_client.post("/api/v1/entries/", body, format="json").status_code == 201
    answered = response_body()
    assert (
        owner_client.post("/api/v1/questionnaires/responses/", answered, format="json").status_code
        == 201
    )
    return {
        "entry": body["id"],
        "response": answered["id"],
        "owner": owner_client,
        "same_clinic_patient": same_clinic_client,
        "other_clinic_patient": other_clinic_client,
        "clinic_a": a,
        "clinic_b": b,
    }


def call(client, method, path, world):
    url = path.format(entry=world["entry"], response=world["response"])
    device = {"platform": "fcm", "token": "matrix-token-0001"}
    if method == "post":
        payload: dict[str, Any]
        if "batch" in url:
            payload = {"entries": [entry_body()]}
        elif "questionnaires" in url:
            payload = response_body()
        elif "devices" in url:
            payload = device
        else:
            payload = entry_body()
        return client.post(url, payload, format="json")
    if method == "delete":
        return client.delete(url, {"token": device["token"]}, format="json")
    return client.get(url)


@pytest.mark.parametrize("method,path", PATIENT_ENDPOINTS)
def test_anonymous_callers_are_401(world, method, path):
    response = call(APIClient(), method, path, world)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("method,path", PATIENT_ENDPOINTS)
def test_the_owner_reaches_every_endpoint(world, method, path):
    response = call(world["owner"], method, path, world)
    assert response.status_code in {200, 201, 204}


@pytest.mark.parametrize("who", ["same_clinic_patient", "other_clinic_patient"])
def test_other_patients_never_see_the_questionnaire_response(world, who):
    client = world[who]
    path = "/api/v1/questionnaires/responses/{response}/"
    assert call(client, "get", path, world).status_code == 404
    listed = client.get("/api/v1/questionnaires/responses/").json()["results"]
    assert world["response"] not in [r["id"] for r in listed]
    assert client.get("/api/v1/questionnaires/trends/").json() == {"instruments": []}


@pytest.mark.parametrize("who", ["same_clinic_patient", "other_clinic_patient"])
def test_other_patients_never_see_the_entry(world, who):
    client = world[who]
    assert call(client, "get", "/api/v1/entries/{entry}/", world).status_code == 404
    listed = client.get("/api/v1/entries/").json()["results"]
    assert world["entry"] not in [e["id"] for e in listed]


@pytest.mark.parametrize("role", list(StaffRole.values))
@pytest.mark.parametrize("method,path", PATIENT_ENDPOINTS)
def test_staff_signed_in_to_the_site_have_no_mobile_api_access(world, role, method, path):
    user = make_staff(world["clinic_a"], role)
    client = APIClient()
    client.force_login(user)
    assert call(client, method, path, world).status_code == 401


@pytest.mark.parametrize("method,path", PATIENT_ENDPOINTS)
def test_a_token_of_a_user_who_is_not_a_patient_is_403(world, method, path):
    from rest_framework_simplejwt.tokens import AccessToken

    user = make_staff(world["clinic_a"])
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    response = call(client, method, path, world)
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_patient"


def test_a_deactivated_patient_is_refused(world):
    from diary.models import Patient

    patient = Patient.objects.get(user__isnull=False, entries__id=world["entry"])
    assert patient.user is not None
    patient.user.is_active = False
    patient.user.save()
    assert world["owner"].get("/api/v1/me/").status_code == 403


@pytest.mark.parametrize("role", list(StaffRole.values))
def test_staff_see_only_their_clinics_patients_in_the_admin(world, role):
    from diary.models import Patient

    user = make_staff(world["clinic_a"], role)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_patient", "view_diaryentry"])
    )
    client = APIClient()
    client.force_login(user)
    listing = client.get("/admin/diary/patient/")
    assert listing.status_code == 200
    page = listing.content.decode()
    for patient in Patient.objects.filter(clinic=world["clinic_a"]):
        assert patient.subject_id in page
    for patient in Patient.objects.filter(clinic=world["clinic_b"]):
        assert patient.subject_id not in page
        assert client.get(f"/admin/diary/patient/{patient.pk}/change/").status_code in {302, 404}


@pytest.mark.parametrize(
    "model", ["questionnaireresponse", "questionnaireschedule", "device", "reminderlog"]
)
def test_staff_see_only_their_clinics_questionnaire_rows_in_the_admin(world, model):
    from diary.models import QuestionnaireResponse, ReminderLog

    owner_patient = QuestionnaireResponse.objects.get(pk=world["response"]).patient
    ReminderLog.objects.create(patient=owner_patient, kind="diary", occasion="2026-03-10")
    world["owner"].post(
        "/api/v1/devices/", {"platform": "fcm", "token": "admin-scope-token"}, format="json"
    )
    for clinic, visible in ((world["clinic_a"], True), (world["clinic_b"], False)):
        user = make_staff(clinic)
        user.user_permissions.add(*Permission.objects.filter(codename=f"view_{model}"))
        client = APIClient()
        client.force_login(user)
        page = client.get(f"/admin/diary/{model}/")
        assert page.status_code == 200
        assert (owner_patient.subject_id in page.content.decode()) is visible
        assert "admin-scope-token" not in page.content.decode()


# --- the admin follows the role matrix (D15): data managers read, never change --------------

ADMIN_MODELS = [
    "diary.patient",
    "diary.treatmentcourse",
    "diary.questionnaireschedule",
    "diary.adviceoverride",
    "diary.staffmember",
    "diary.device",
    "alerts.expectedamber",
]


def _admin_client(world, role):
    user = make_staff(world["clinic_a"], role)
    apps = {label.split(".")[0] for label in ADMIN_MODELS}
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=apps))
    client = APIClient()
    client.force_login(user)
    return client


def _patient_form(patient) -> dict[str, Any]:
    """The admin change form of a patient as posted, with one baseline changed."""
    return {
        "subject_id": patient.subject_id,
        "birth_date": "",
        "enrolled_on": patient.enrolled_on.isoformat(),
        "timezone": patient.timezone,
        "baseline_stools_per_day": 1,
        "baseline_spo2_rest": 88,  # from 97: would lower the hypoxia alert threshold
        "baseline_spo2_exertion": 95,
        "baseline_sob_exertion": "",
        "baseline_weight_kg": "",
        "courses-TOTAL_FORMS": 0,
        "courses-INITIAL_FORMS": 0,
        "courses-MIN_NUM_FORMS": 0,
        "courses-MAX_NUM_FORMS": 1000,
    }


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_a_data_manager_reads_but_never_changes_in_the_admin(world, model):
    client = _admin_client(world, StaffRole.DATA_MANAGER)
    app, name = model.split(".")
    assert client.get(f"/admin/{app}/{name}/").status_code == 200
    assert client.get(f"/admin/{app}/{name}/add/").status_code == 403


def test_a_data_manager_cannot_change_a_patients_baselines_in_the_admin(world):
    from diary.models import Patient

    patient = Patient.objects.filter(clinic=world["clinic_a"]).first()
    assert patient is not None
    client = _admin_client(world, StaffRole.DATA_MANAGER)
    url = f"/admin/diary/patient/{patient.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, _patient_form(patient)).status_code == 403
    patient.refresh_from_db()
    assert patient.baseline_spo2_rest == 97


def test_a_data_manager_cannot_change_or_delete_a_treatment_course_in_the_admin(world):
    from diary.models import Patient

    patient = Patient.objects.filter(clinic=world["clinic_a"]).first()
    assert patient is not None
    course = patient.current_course()
    assert course is not None
    client = _admin_client(world, StaffRole.DATA_MANAGER)
    change = f"/admin/diary/treatmentcourse/{course.pk}/change/"
    assert client.post(change, {"status": "stopped"}).status_code == 403
    assert (
        client.post(
            f"/admin/diary/treatmentcourse/{course.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    course.refresh_from_db()
    assert course.status != "stopped"


@pytest.mark.parametrize("role", [StaffRole.NURSE, StaffRole.ONCOLOGIST])
def test_clinical_staff_change_baselines_only_through_the_audited_path_not_the_admin(world, role):
    # Baselines drive the alert thresholds: after enrolment they change only through the audited
    # service (patient page, staff API; D56), so the admin shows them read-only to everyone.
    from diary.models import Patient

    patient = Patient.objects.filter(clinic=world["clinic_a"]).first()
    assert patient is not None
    before = patient.baseline_spo2_rest
    client = _admin_client(world, role)
    url = f"/admin/diary/patient/{patient.pk}/change/"
    answer = client.post(url, _patient_form(patient))
    assert answer.status_code in (200, 302, 403), answer.content.decode()[:3000]
    patient.refresh_from_db()
    assert patient.baseline_spo2_rest == before != 88


# --- staff exports (session sign-in; data managers of the export's clinic only) ----------------

EXPORT_ENDPOINTS = [
    ("get", "/api/v1/staff/exports/"),
    ("post", "/api/v1/staff/exports/"),
    ("get", "/api/v1/staff/exports/{export}/"),
    ("get", "/api/v1/staff/exports/{export}/download/"),
]
EXPORT_BODY = {"format": "csv", "date_from": "2025-01-01", "date_to": "2025-01-31"}
EXPORT_BODY_DATES = (date(2025, 1, 1), date(2025, 1, 31))


@pytest.fixture
def exports_world(world, settings, tmp_path):
    from clinicians.exports import services

    settings.TOXWATCH_EXPORT_DIR = tmp_path
    manager = make_staff(world["clinic_a"], StaffRole.DATA_MANAGER)
    export = services.request_export(
        user=manager,
        clinic=world["clinic_a"],
        format="csv",
        date_from=EXPORT_BODY_DATES[0],
        date_to=EXPORT_BODY_DATES[1],
        instruments=["symptom_diary"],
    )
    services.run_export(export_id=export.pk)
    return {**world, "export": export.pk, "manager": manager}


def _export_call(client, method, path, world):
    url = path.format(export=world["export"])
    if method == "post":
        return client.post(url, EXPORT_BODY, format="json")
    return client.get(url)


def _staff(world, clinic, role):
    client = APIClient()
    client.force_login(make_staff(world[clinic], role))
    return client


@pytest.mark.parametrize("method,path", EXPORT_ENDPOINTS)
def test_anonymous_callers_cannot_reach_exports(exports_world, method, path):
    response = _export_call(APIClient(), method, path, exports_world)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Session")


@pytest.mark.parametrize("method,path", EXPORT_ENDPOINTS)
def test_patients_cannot_reach_exports(exports_world, method, path):
    response = _export_call(exports_world["owner"], method, path, exports_world)
    assert response.status_code == 401  # a patient token is no staff session


@pytest.mark.parametrize("role", [StaffRole.NURSE, StaffRole.ONCOLOGIST])
@pytest.mark.parametrize("method,path", EXPORT_ENDPOINTS)
def test_clinical_staff_cannot_reach_exports(exports_world, role, method, path):
    response = _export_call(_staff(exports_world, "clinic_a", role), method, path, exports_world)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("method,path", EXPORT_ENDPOINTS)
def test_the_clinics_data_manager_reaches_every_export_endpoint(exports_world, method, path):
    client = _staff(exports_world, "clinic_a", StaffRole.DATA_MANAGER)
    response = _export_call(client, method, path, exports_world)
    assert response.status_code in {200, 201}


@pytest.mark.parametrize("method,path", [e for e in EXPORT_ENDPOINTS if "{export}" in e[1]])
def test_another_clinics_data_manager_finds_no_export(exports_world, method, path):
    client = _staff(exports_world, "clinic_b", StaffRole.DATA_MANAGER)
    response = _export_call(client, method, path, exports_world)
    assert response.status_code == 404
