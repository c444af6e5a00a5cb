from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from diary.models import EnrollmentCode, RefreshToken
from tests.helpers import PASSWORD, enroll, make_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    return make_clinic()


def post(client: APIClient, path: str, body: dict, **extra):
    return client.post(f"/api/v1/auth/{path}/", body, format="json", **extra)


def test_enrolment_code_gives_tokens_and_the_subject_id(clinic):
    patient, code = enroll(clinic, subject_id="TST-0001")
    response = post(APIClient(), "enroll", {"code": code, "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["subject_id"] == "TST-0001"
    assert body["access"] and body["refresh"]
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {body['access']}").get("/api/v1/me/")
    assert me.json()["subject_id"] == "TST-0001"


def test_enrolment_code_is_case_and_dash_insensitive(clinic):
    _, code = enroll(clinic)
    sloppy = code.replace("-", " ").lower()
    assert post(APIClient(), "enroll", {"code": sloppy, "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize("case", ["used", "expired", "unknown"])
def test_used_expired_or_unknown_code_is_invalid_enrollment_code(clinic, case):
    _, code = enroll(clinic)
    if case == "used":
        assert post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).status_code == 201
    elif case == "expired":
        EnrollmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        code = "AAAA-BBBB-CCCC"
    response = post(APIClient(), "enroll", {"code": code, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_enrollment_code"


def test_weak_password_is_refused_and_the_code_stays_usable(clinic):
    _, code = enroll(clinic)
    response = post(APIClient(), "enroll", {"code": code, "password": "123"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "password" in response.json()["fields"]
    assert post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).status_code == 201


def test_a_new_code_replaces_the_old_one(clinic):
    from diary.services import issue_enrollment_code

    patient, old = enroll(clinic)
    new = issue_enrollment_code(patient=patient)
    assert post(APIClient(), "enroll", {"code": old, "password": PASSWORD}).status_code == 400
    assert post(APIClient(), "enroll", {"code": new, "password": PASSWORD}).status_code == 201


def test_no_code_or_token_is_stored_in_plain_text(clinic):
    _, code = enroll(clinic)
    tokens = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()
    stored_codes = list(EnrollmentCode.objects.values_list("code_hash", flat=True))
    stored_tokens = list(RefreshToken.objects.values_list("token_hash", flat=True))
    plain = {code, code.replace("-", ""), tokens["refresh"], tokens["access"]}
    assert not plain & set(stored_codes + stored_tokens)
    assert all(len(h) == 64 for h in stored_codes + stored_tokens)


def test_sign_in_with_subject_id_and_password(clinic):
    patient, code = enroll(clinic, subject_id="TST-0002")
    post(APIClient(), "enroll", {"code": code, "password": PASSWORD})
    response = post(APIClient(), "token", {"username": "TST-0002", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_bad_credentials_are_401_in_the_error_shape(clinic):
    response = post(APIClient(), "token", {"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert set(body) == {"code", "message", "fields"}


def test_access_token_lives_at_most_15_minutes(clinic):
    _, code = enroll(clinic)
    access = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()["access"]
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 15 * 60


def test_expired_access_token_is_refused(clinic, settings):
    from rest_framework_simplejwt.tokens import AccessToken

    patient, code = enroll(clinic)
    post(APIClient(), "enroll", {"code": code, "password": PASSWORD})
    patient.refresh_from_db()
    assert patient.user is not None
    token = AccessToken.for_user(patient.user)
    token.set_exp(lifetime=timedelta(seconds=-1))
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] in {
        "authentication_failed",
        "not_authenticated",
        "token_not_valid",
    }


def test_refresh_rotates_and_the_old_refresh_token_stops_working(clinic):
    _, code = enroll(clinic)
    first = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()
    second = post(APIClient(), "refresh", {"refresh": first["refresh"]})
    assert second.status_code == 200
    assert second.json()["refresh"] != first["refresh"]
    again = post(APIClient(), "refresh", {"refresh": first["refresh"]})
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_refresh_token"


def test_reusing_a_spent_refresh_token_revokes_the_whole_chain(clinic):
    _, code = enroll(clinic)
    first = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()
    second = post(APIClient(), "refresh", {"refresh": first["refresh"]}).json()
    assert post(APIClient(), "refresh", {"refresh": first["refresh"]}).status_code == 401
    # The thief's replay also ended the legitimate successor.
    assert post(APIClient(), "refresh", {"refresh": second["refresh"]}).status_code == 401


def test_logout_ends_the_refresh_token(clinic):
    _, code = enroll(clinic)
    tokens = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()
    assert post(APIClient(), "logout", {"refresh": tokens["refresh"]}).status_code == 204
    assert post(APIClient(), "refresh", {"refresh": tokens["refresh"]}).status_code == 401


def test_expired_refresh_token_is_refused(clinic):
    _, code = enroll(clinic)
    tokens = post(APIClient(), "enroll", {"code": code, "password": PASSWORD}).json()
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post(APIClient(), "refresh", {"refresh": tokens["refresh"]}).status_code == 401


def test_repeated_failed_logins_lock_out_that_user_from_that_address(clinic, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _, code = enroll(clinic, subject_id="TST-0003")
    post(APIClient(), "enroll", {"code": code, "password": PASSWORD})
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    statuses = [
        post(client, "token", {"username": "TST-0003", "password": "wrong-one"}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]  # the third failure tells the patient they are locked
    locked = post(client, "token", {"username": "TST-0003", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "15 minutes" in locked.json()["message"]
    # Another address is not locked out for this user.
    other = post(
        APIClient(REMOTE_ADDR="10.0.0.2"), "token", {"username": "TST-0003", "password": PASSWORD}
    )
    assert other.status_code == 200


def test_staff_cannot_get_mobile_tokens(clinic):
    from tests.helpers import make_staff

    nurse = make_staff(clinic)
    response = post(APIClient(), "token", {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path,body",
    [
        ("enroll", {"code": "X"}),
        ("token", {"username": "a"}),
        ("refresh", {}),
        ("logout", {"refresh": 5, "extra": 1}),
    ],
)
def test_malformed_auth_bodies_are_400_with_field_messages(path, body):
    response = post(APIClient(), path, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"]


def test_non_json_body_is_a_parse_error():
    response = APIClient().post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
