"""Issue 13, "What was seen" 3: the throttles, django-axes and the logs take the client address
from the trusted proxy count (TOXWATCH_PROXY_COUNT), never from a header the client wrote."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from config.client import client_address
from tests.helpers import PASSWORD, enrolled_client, make_clinic

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the reverse proxy: every request arrives from it when one is in front


@pytest.fixture
def low_auth_rate(monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": "5/min"})


@pytest.fixture
def patient():
    return enrolled_client(make_clinic("ADR"))[0]


def sign_in(username: str, password: str, *, peer: str, forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


@pytest.mark.parametrize(
    "proxies,peer,forwarded,expected",
    [
        (0, "203.0.113.5", None, "203.0.113.5"),
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # no proxy: the header is ignored
        (1, PROXY, "198.51.100.1", "198.51.100.1"),
        (1, PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client wrote 6.6.6.6
        (2, PROXY, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, PROXY, "198.51.100.1", PROXY),  # fewer entries than proxies: the proxy was bypassed
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, "", PROXY),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(
    settings, proxies, peer, forwarded, expected
):
    settings.TOXWATCH_PROXY_COUNT = proxies
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **extra)) == expected


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_rotating_forwarded_for_never_dodges_the_auth_throttle(settings, low_auth_rate, proxies):
    settings.TOXWATCH_PROXY_COUNT = proxies
    peer = PROXY if proxies else "203.0.113.5"
    answers = [
        sign_in(f"nobody{i}", "wrong", peer=peer, forwarded=f"192.0.2.{i}, 198.51.100.1")
        for i in range(8)
    ]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    assert answers[-1].json()["code"] == "throttled"


def test_behind_the_proxy_each_client_has_its_own_throttle(settings, low_auth_rate):
    settings.TOXWATCH_PROXY_COUNT = 1
    for i in range(5):
        sign_in(f"nobody{i}", "wrong", peer=PROXY, forwarded="198.51.100.1")
    assert sign_in("nobody9", "wrong", peer=PROXY, forwarded="198.51.100.1").status_code == 429
    assert sign_in("nobody9", "wrong", peer=PROXY, forwarded="198.51.100.2").status_code == 401


def test_behind_the_proxy_wrong_passwords_from_someone_else_do_not_lock_the_patient_out(
    settings, patient
):
    settings.TOXWATCH_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(patient.subject_id, "wrong-password", peer=PROXY, forwarded="198.51.100.66")
    locked = sign_in(patient.subject_id, PASSWORD, peer=PROXY, forwarded="198.51.100.66")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    real = sign_in(patient.subject_id, PASSWORD, peer=PROXY, forwarded="203.0.113.20")
    assert real.status_code == 200


def test_behind_the_proxy_a_rotating_forwarded_for_does_not_dodge_the_lockout(settings, patient):
    settings.TOXWATCH_PROXY_COUNT = 1
    attacker = "198.51.100.66"
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(patient.subject_id, "wrong", peer=PROXY, forwarded=f"192.0.2.{i}, {attacker}")
    again = sign_in(patient.subject_id, PASSWORD, peer=PROXY, forwarded=f"192.0.2.99, {attacker}")
    assert again.status_code == 429


def test_without_a_proxy_a_forwarded_for_does_not_dodge_the_lockout(settings, patient):
    settings.TOXWATCH_PROXY_COUNT = 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(patient.subject_id, "wrong", peer="198.51.100.66", forwarded=f"192.0.2.{i}")
    again = sign_in(patient.subject_id, PASSWORD, peer="198.51.100.66", forwarded="192.0.2.99")
    assert again.status_code == 429


def test_staff_sign_in_lockout_uses_the_same_address(settings, client):
    from tests.helpers import make_staff

    settings.TOXWATCH_PROXY_COUNT = 1
    user = make_staff(make_clinic("STF"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/staff/login/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    other = client.post(
        "/staff/login/",
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.20",
    )
    assert other.status_code == 302


def test_log_lines_written_during_a_request_carry_the_client_address(settings, caplog):
    from config.client import ClientAddressFilter

    settings.TOXWATCH_PROXY_COUNT = 1
    caplog.handler.addFilter(ClientAddressFilter())
    with caplog.at_level(logging.INFO, logger="toxwatch.request"):
        APIClient().get(
            "/api/v1/no-such-page/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
        )
    records = [r for r in caplog.records if r.name == "toxwatch.request"]
    assert records
    assert {r.client for r in records} == {"198.51.100.7"}  # type: ignore[attr-defined]


def test_the_demo_server_trusts_no_forwarded_header():
    serve = (Path(__file__).resolve().parents[2] / "scripts" / "serve.sh").read_text()
    assert "--no-proxy-headers" in serve
