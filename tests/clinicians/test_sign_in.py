"""Staff sign-in: password with CSRF, lockout after repeated failures, the optional TOTP step."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from diary.models import StaffRole
from tests.helpers import PASSWORD, enroll, make_alert, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic("AAA")


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/staff/login/", {"username": username, "password": password}, **extra)


def test_a_nurse_signs_in_with_csrf_and_sees_only_her_clinics_queue(clinic):
    other = make_clinic("BBB")
    nurse = make_staff(clinic, username="nurse-a")
    make_alert(enroll(clinic, subject_id="AAA-001")[0])
    make_alert(enroll(other, subject_id="BBB-001")[0])
    client = Client(enforce_csrf_checks=True)

    token = client.get("/staff/login/").cookies["csrftoken"].value
    signed_in = client.post(
        "/staff/login/",
        {"username": "nurse-a", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/staff/"
    assert int(client.session["_auth_user_id"]) == nurse.pk
    html = client.get("/staff/").content.decode()
    assert "AAA-001" in html
    assert "BBB-001" not in html


def test_sign_in_without_the_csrf_token_is_refused(clinic):
    make_staff(clinic, username="nurse-a")
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "nurse-a").status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_shows_a_form_error_and_signs_nobody_in(clinic):
    make_staff(clinic, username="nurse-a")
    client = Client()
    response = sign_in(client, "nurse-a", "not-the-password")
    assert response.status_code == 200
    assert "Enter the username and password of a staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_patient_account_cannot_sign_in_to_the_dashboard(clinic):
    from diary import services

    _, code = enroll(clinic, subject_id="AAA-009")
    services.redeem_enrollment_code(code=code, password=PASSWORD)
    client = Client()
    response = sign_in(client, "AAA-009")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_staff_pages_send_an_anonymous_visitor_to_the_sign_in_page():
    response = Client().get("/staff/alerts/1/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/staff/alerts/1/"


def test_after_signing_in_the_nurse_lands_on_the_page_she_asked_for(clinic):
    make_staff(clinic, username="nurse-a")
    response = Client().post(
        "/staff/login/?next=/staff/programme/",
        {"username": "nurse-a", "password": PASSWORD, "next": "/staff/programme/"},
    )
    assert response["Location"] == "/staff/programme/"


def test_repeated_failures_lock_the_sign_in_with_a_clear_message(clinic, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_staff(clinic, username="nurse-a")
    client = Client(REMOTE_ADDR="10.0.0.7")
    statuses = [sign_in(client, "nurse-a", "wrong").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    locked = sign_in(client, "nurse-a")  # even the right password, while locked
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Sign-in locked" in html
    assert "locked for 15 minutes" in html
    assert "_auth_user_id" not in client.session
    # Another address is not locked out for this user (axes counts per username and address).
    assert sign_in(Client(REMOTE_ADDR="10.0.0.8"), "nurse-a").status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(clinic):
    client = staff_client(make_staff(clinic))
    assert client.get("/staff/logout/").status_code == 405
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_staff_user_without_a_clinic_is_told_so(clinic):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("loner", password=PASSWORD, is_staff=True)
    response = staff_client(user).get("/staff/")
    assert response.status_code == 403
    assert "not linked to a clinic" in response.content.decode()


def test_the_admin_sign_in_goes_through_the_staff_sign_in(clinic):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/admin/"


# --- the optional TOTP second step ----------------------------------------------------------


@pytest.fixture
def nurse_with_device(clinic):
    nurse = make_staff(clinic, username="nurse-2fa")
    device = TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    return nurse, device


def test_staff_with_a_device_must_enter_a_code_after_the_password(nurse_with_device):
    nurse, device = nurse_with_device
    client = Client()
    first = sign_in(client, "nurse-2fa")
    assert first.status_code == 302
    assert first["Location"] == "/staff/login/verify/"
    assert "_auth_user_id" not in client.session  # not signed in yet
    assert client.get("/staff/").status_code == 302

    second = client.post("/staff/login/verify/", {"token": code_for(device)})
    assert second.status_code == 302
    assert second["Location"] == "/staff/"
    assert int(client.session["_auth_user_id"]) == nurse.pk
    assert client.get("/staff/").status_code == 200


def test_a_wrong_code_is_a_form_error_and_signs_nobody_in(nurse_with_device):
    _, device = nurse_with_device
    client = Client()
    sign_in(client, "nurse-2fa")
    wrong = client.post("/staff/login/verify/", {"token": code_for(device, offset_steps=20)})
    assert wrong.status_code == 400
    assert "not right or has expired" in wrong.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_code_step_needs_the_password_step_first(nurse_with_device):
    _, device = nurse_with_device
    client = Client()
    response = client.post("/staff/login/verify/", {"token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/"
    assert "_auth_user_id" not in client.session


def test_a_session_signed_in_without_the_second_step_is_sent_back_to_sign_in(nurse_with_device):
    nurse, _ = nurse_with_device
    client = Client()
    client.force_login(nurse)  # e.g. a session from before the device was confirmed
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_staff_without_a_device_sign_in_with_the_password_alone(clinic):
    make_staff(clinic, username="nurse-a")
    TOTPDevice.objects.create(user=make_staff(clinic, username="other"), name="x", confirmed=False)
    assert sign_in(Client(), "nurse-a")["Location"] == "/staff/"


def test_enrolment_shows_the_setup_uri_and_a_code_confirms_the_device(clinic, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the deliberate wrong code
    nurse = make_staff(clinic, username="nurse-a", role=StaffRole.NURSE)
    client = staff_client(nurse)
    page = client.get("/staff/account/two-factor/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "otpauth://totp/ToxWatch%3Anurse-a?secret=" in html
    assert "<svg" in html  # the QR code
    device = TOTPDevice.objects.get(user=nurse)
    assert device.confirmed is False

    assert client.post("/staff/account/two-factor/", {"token": "000000"}).status_code == 400
    device.refresh_from_db()
    assert device.confirmed is False

    confirmed = client.post("/staff/account/two-factor/", {"token": code_for(device)})
    assert confirmed.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    # This session is verified with the new device; the next sign-in asks for a code.
    assert client.get("/staff/").status_code == 200
    assert sign_in(Client(), "nurse-a")["Location"] == "/staff/login/verify/"


def test_after_a_wrong_code_the_device_is_throttled_even_for_the_right_one(nurse_with_device):
    _, device = nurse_with_device
    client = Client()
    sign_in(client, "nurse-2fa")
    client.post("/staff/login/verify/", {"token": code_for(device, offset_steps=20)})
    throttled = client.post("/staff/login/verify/", {"token": code_for(device)})
    assert throttled.status_code == 400
    assert "Too many wrong codes" in throttled.content.decode()
    assert "_auth_user_id" not in client.session


def away_from_a_time_step_boundary(device: TOTPDevice, margin: float = 8.0) -> None:
    """Wait for the next TOTP time step when this one ends within `margin` seconds, so that a
    test whose codes must fall in one step (and the next) does not straddle two."""
    import time

    left = device.step - (time.time() - device.t0) % device.step
    if left < margin:
        time.sleep(left + 0.1)


def test_turning_two_step_off_needs_a_current_code(nurse_with_device, settings):
    nurse, device = nurse_with_device
    away_from_a_time_step_boundary(device)
    client = Client()
    sign_in(client, "nurse-2fa")
    client.post("/staff/login/verify/", {"token": code_for(device)})
    device.refresh_from_db()
    # The code just used cannot be replayed; the next time step's code is accepted.
    assert client.post("/staff/account/two-factor/", {"token": code_for(device)}).status_code == 400
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    off = client.post("/staff/account/two-factor/", {"token": code_for(device, offset_steps=1)})
    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()


def test_a_superuser_signs_in_at_the_staff_page_and_reaches_the_admin():
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    response = client.post(
        "/staff/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
