"""Issue 13, "What was seen" 4: the TOTP second step on every staff surface (pages, staff API,
admin, live stream); turning it on or resetting a password ends the user's other sessions; an
administrator can require it per role."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from diary.models import StaffRole
from tests.clinicians.test_sign_in import code_for
from tests.helpers import PASSWORD, enrolled_client, make_clinic, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    clinic = make_clinic("TOT")
    patient, _ = enrolled_client(clinic)
    return {"clinic": clinic, "patient": patient}


def surfaces(world) -> dict[str, str]:
    return {
        "page": "/staff/",
        "staff_api": f"/api/v1/staff/patients/{world['patient'].subject_id}/observations/",
        "admin": "/admin/",
        "live": "/staff/live/",
    }


def refused(client: Client, world) -> dict[str, int]:
    """Each staff surface's status for this session."""
    return {name: client.get(url).status_code for name, url in surfaces(world).items()}


ALLOWED = {"page": 200, "staff_api": 200, "admin": 200}
REFUSED = {"page": 302, "staff_api": 401, "admin": 302, "live": 403}


def open_surfaces(client: Client, world) -> dict[str, int]:
    answers = refused(client, world)
    answers.pop("live")  # a streaming answer: checked as refused only (it never ends)
    return answers


def test_a_session_from_before_totp_was_turned_on_reaches_no_staff_surface(world):
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    nurse.is_superuser = False
    client = Client()
    client.force_login(nurse)
    assert open_surfaces(client, world) == ALLOWED
    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    assert refused(client, world) == REFUSED
    answer = client.get(surfaces(world)["staff_api"])
    assert answer.json()["code"] == "second_step_required"


def test_the_admin_refuses_a_superuser_session_that_skipped_the_second_step(world):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
    TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/diary/patient/").status_code == 302


def test_both_steps_reach_every_staff_surface(world, settings):
    nurse = make_staff(world["clinic"], StaffRole.NURSE, username="nurse-totp")
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    client = Client()
    client.post("/staff/login/", {"username": nurse.username, "password": PASSWORD})
    client.post("/staff/login/verify/", {"token": code_for(device)})
    assert open_surfaces(client, world) == ALLOWED


def test_turning_totp_on_ends_the_users_other_sessions(world, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    nurse = make_staff(world["clinic"], StaffRole.NURSE, username="nurse-other")
    elsewhere, here = Client(), Client()
    for client in (elsewhere, here):
        client.post("/staff/login/", {"username": nurse.username, "password": PASSWORD})
    colleague = make_staff(world["clinic"], StaffRole.NURSE)
    theirs = Client()
    theirs.force_login(colleague)
    assert elsewhere.get("/staff/").status_code == 200

    here.get("/staff/account/two-factor/")
    device = TOTPDevice.objects.get(user=nurse)
    assert here.post("/staff/account/two-factor/", {"token": code_for(device)}).status_code == 302

    assert here.get("/staff/").status_code == 200  # the session that turned it on, verified
    answer = elsewhere.get("/staff/")
    assert answer.status_code == 302 and "/staff/login/" in answer["Location"]
    assert "_auth_user_id" not in elsewhere.session
    assert theirs.get("/staff/").status_code == 200  # other users keep their sessions


def test_resetting_a_password_ends_the_users_sessions(world):
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    client = Client()
    client.post("/staff/login/", {"username": nurse.username, "password": PASSWORD})
    assert open_surfaces(client, world) == ALLOWED
    nurse.set_password("a-new-long-password-1")
    nurse.save()
    assert client.get("/staff/").status_code == 302
    assert client.get(surfaces(world)["staff_api"]).status_code == 401
    assert client.get("/admin/").status_code == 302


def test_resetting_a_password_in_the_admin_ends_that_users_sessions(world):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    theirs = Client()
    theirs.post("/staff/login/", {"username": nurse.username, "password": PASSWORD})
    admin = Client()
    admin.force_login(root)
    new = "another-long-password-2"
    answer = admin.post(
        f"/admin/auth/user/{nurse.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert answer.status_code == 302, answer.content[:500]
    assert theirs.get("/staff/").status_code == 302
    assert admin.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", list(StaffRole.values))
def test_an_administrator_can_require_totp_for_a_role(world, settings, role):
    settings.TOXWATCH_TOTP_REQUIRED_ROLES = frozenset({role})
    required = make_staff(world["clinic"], role)
    other_role = next(r for r in StaffRole.values if r != role)
    free = make_staff(world["clinic"], other_role)
    client, others = Client(), Client()
    client.force_login(required)
    others.force_login(free)

    page = client.get("/staff/")
    assert page.status_code == 302 and page["Location"] == "/staff/account/two-factor/"
    assert refused(client, world)["staff_api"] == 401
    assert client.get("/admin/").status_code == 302
    assert others.get("/staff/").status_code == 200

    client.get("/staff/account/two-factor/")
    device = TOTPDevice.objects.get(user=required)
    client.post("/staff/account/two-factor/", {"token": code_for(device)})
    assert client.get("/staff/").status_code == 200


def test_totp_can_be_required_for_staff_accounts_without_a_clinic(settings):
    from django.contrib.auth import get_user_model

    settings.TOXWATCH_TOTP_REQUIRED_ROLES = frozenset({"admin"})
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    assert client.get("/admin/").status_code == 302


def test_resetting_a_patients_password_signs_their_phones_out(world):
    patient = world["patient"]
    client = Client()
    signed_in = client.post(
        "/api/v1/auth/token/",
        {"username": patient.subject_id, "password": PASSWORD},
        content_type="application/json",
    )
    refresh = signed_in.json()["refresh"]
    patient.user.set_password("a-brand-new-password-3")
    patient.user.save()
    again = client.post(
        "/api/v1/auth/refresh/", {"refresh": refresh}, content_type="application/json"
    )
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_refresh_token"
