"""Issue 17 item 2 (D84): a request to /api/ with a bearer token skips the middleware it does
not need (sessions, CSRF, Django's session user, TOTP, htmx, messages, X-Frame-Options); every
other request, the staff API's session sign-in with CSRF included, keeps all of it."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from rest_framework.test import APIClient

from config.bearer import is_bearer_api_request
from diary.models import ClinicianObservation, DiaryEntry, StaffRole
from tests.helpers import PASSWORD, enrolled_client, entry_body, make_clinic, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    clinic = make_clinic("BRR")
    patient, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
    return {"clinic": clinic, "patient": patient, "client": client}


def observations(world) -> str:
    return f"/api/v1/staff/patients/{world['patient'].subject_id}/observations/"


OBSERVATION = {"term": "alt_increased", "inputs": {"alt_x_uln": 4}}


def test_a_bearer_api_request_stores_an_entry_without_session_or_csrf(world):
    response = world["client"].post(
        "/api/v1/entries/", entry_body(symptoms={"fever": {"temp_c": 38.4}}), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["alert_level"] in {"green", "amber", "red"}
    assert DiaryEntry.objects.filter(patient=world["patient"]).count() == 1
    request = response.wsgi_request
    # The skipped middleware never ran: none of what they attach is there; DRF set the user.
    assert not hasattr(request, "session") and not hasattr(request, "htmx")
    assert not hasattr(request, "_messages") and not hasattr(request, "csrf_processing_done")
    assert str(request.user.pk) == str(world["patient"].user_id)
    assert not response.cookies  # no session or CSRF cookie
    assert "X-Frame-Options" not in response
    # What every answer carries is still there (the CSP's frame-ancestors among it).
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_a_bearer_request_with_a_bad_token_is_refused_as_before(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.post("/api/v1/entries/", entry_body(), format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_browser_session_keeps_sessions_csrf_and_the_frame_header(world):
    client = Client(enforce_csrf_checks=True)
    response = client.get("/staff/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert response["X-Frame-Options"] == "DENY"
    request = response.wsgi_request
    assert hasattr(request, "session") and hasattr(request, "htmx") and hasattr(request, "user")
    # Signing in needs the CSRF token, as before.
    make_staff(world["clinic"], StaffRole.NURSE, username="nurse-brr")
    refused = client.post("/staff/login/", {"username": "nurse-brr", "password": PASSWORD})
    assert refused.status_code == 403


def test_the_staff_api_keeps_session_sign_in_with_csrf(world):
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    url = observations(world)
    assert client.get(url).status_code == 200
    # A POST without the CSRF token is refused (DRF's SessionAuthentication enforces it).
    response = client.post(url, OBSERVATION, content_type="application/json")
    assert response.status_code == 403
    assert ClinicianObservation.objects.count() == 0
    # With it, it is stored.
    token = client.get("/staff/login/").cookies["csrftoken"].value
    client.cookies["csrftoken"] = token
    response = client.post(
        url, OBSERVATION, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content
    assert response.wsgi_request.session.session_key  # the session middleware ran


def test_a_bearer_header_never_lets_a_session_past_csrf(world):
    """A bearer request skips CSRF only because it skips the session too: a staff session
    cookie sent with any bearer header is not a signed-in staff member."""
    nurse = make_staff(world["clinic"], StaffRole.NURSE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    url = observations(world)
    for header in ("Bearer junk", f"Bearer {world['client']._credentials['HTTP_AUTHORIZATION']}"):
        response = client.post(
            url, OBSERVATION, content_type="application/json", HTTP_AUTHORIZATION=header
        )
        assert response.status_code in {401, 403}, response.content
        assert not hasattr(response.wsgi_request, "session")
        response = client.get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code in {401, 403}
    assert ClinicianObservation.objects.count() == 0
    # Without the header the same session still reads.
    assert client.get(url).status_code == 200


def test_a_patients_token_sign_in_with_a_stale_bearer_header_still_locks_out(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer stale")
    body = {"username": world["patient"].subject_id, "password": "wrong"}
    statuses = [client.post("/api/v1/auth/token/", body, format="json") for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 429, 429]
    assert statuses[2].json()["code"] == "locked_out"
    right = {"username": world["patient"].subject_id, "password": PASSWORD}
    assert client.post("/api/v1/auth/token/", right, format="json").status_code == 429


@pytest.mark.parametrize(
    "path,header,skips",
    [
        ("/api/v1/entries/", "Bearer x", True),
        ("/api/v1/staff/patients/A/observations/", "Bearer x", True),
        ("/api/v1/entries/", "", False),
        ("/api/v1/entries/", "bearer x", False),  # not simplejwt's header type
        ("/api/v1/entries/", "Basic eDp5", False),
        ("/staff/", "Bearer x", False),
        ("/admin/", "Bearer x", False),
    ],
)
def test_which_requests_skip(rf, path, header, skips):
    request = rf.get(path, HTTP_AUTHORIZATION=header) if header else rf.get(path)
    assert is_bearer_api_request(request) is skips


def test_under_asgi_both_kinds_of_request_work(world):
    """The ASGI handler builds the stack in async mode: the wrappers run there too."""
    token = world["client"]._credentials["HTTP_AUTHORIZATION"]

    async def run() -> tuple[Any, Any]:
        client = AsyncClient()
        return await client.get("/api/v1/me/", headers={"Authorization": token}), await client.get(
            "/staff/login/"
        )

    me, page = async_to_sync(run)()
    assert me.status_code == 200
    assert me.json()["subject_id"] == world["patient"].subject_id
    assert "X-Frame-Options" not in me
    assert page.status_code == 200
    assert "csrftoken" in page.cookies and page["X-Frame-Options"] == "DENY"
