"""The dashboard's first door: a nurse signs in and sees her clinic's queue, and only it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import PASSWORD, enroll, make_alert, make_clinic, make_staff

pytestmark = pytest.mark.django_db


def test_a_nurse_signs_in_with_her_password_and_sees_only_her_clinics_queue():
    mine, other = make_clinic("AAA"), make_clinic("BBB")
    nurse = make_staff(mine, username="nurse-a")
    patient_a, _ = enroll(mine, subject_id="AAA-001")
    patient_b, _ = enroll(other, subject_id="BBB-001")
    make_alert(patient_a, kind="gi")
    make_alert(patient_b, kind="fever")
    client = Client(enforce_csrf_checks=True)

    page = client.get("/staff/login/")
    token = page.cookies["csrftoken"].value
    signed_in = client.post(
        "/staff/login/",
        {"username": "nurse-a", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/staff/"
    queue = client.get("/staff/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert "AAA-001" in html
    assert "BBB-001" not in html
    assert int(client.session["_auth_user_id"]) == nurse.pk


def test_the_staff_pages_send_an_anonymous_visitor_to_the_sign_in_page():
    response = Client().get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=/staff/")
