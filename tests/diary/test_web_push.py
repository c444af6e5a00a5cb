"""Web Push reminders (issue 16): a local push service on loopback receives what pywebpush sends
and decrypts it with the subscription's own keys (RFC 8291, aes128gcm), so the real encryption
and the VAPID signature (RFC 8292) are exercised, not a mock."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from diary import reminders
from diary.models import Device
from patientapp.management.commands.webpush_keys import b64url, new_vapid_keys
from tests.helpers import enrolled_client, make_clinic

pytestmark = pytest.mark.django_db

# 18:30 in Paris on a Monday: the diary reminder is due (TOXWATCH_DIARY_REMINDER_HOUR = 18).
EVENING = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService(ThreadingHTTPServer):
    """A push service: records each request; answers `status` (201, or 410 for a gone one)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 201

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: PushService

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append(
            (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def push_service() -> Iterator[PushService]:
    server = PushService()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def vapid(settings) -> tuple[str, str]:
    private, public = new_vapid_keys()
    settings.TOXWATCH_VAPID_PRIVATE_KEY = private
    settings.TOXWATCH_VAPID_PUBLIC_KEY = public
    settings.TOXWATCH_VAPID_SUBJECT = "mailto:push@clinic.test"
    settings.TOXWATCH_PUSH_BACKEND = "diary.push.ConsoleBackend"  # the phones' backend
    settings.TOXWATCH_QUIET_HOURS = ("21:00", "08:00")
    settings.TOXWATCH_DIARY_REMINDER_HOUR = 18
    os.environ.pop("NO_PROXY", None)
    return private, public


def browser_subscription(endpoint: str) -> tuple[dict[str, Any], ec.EllipticCurvePrivateKey, bytes]:
    """What PushManager.subscribe() gives a browser: the endpoint and its keys."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    p256dh = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    subscription = {"endpoint": endpoint, "keys": {"p256dh": b64url(p256dh), "auth": b64url(auth)}}
    return subscription, key, auth


def subscribed_patient(push_service: PushService, language: str):
    patient, client = enrolled_client(make_clinic(), "zongertinib", timezone_name="Europe/Paris")
    patient.language = language
    patient.save(update_fields=["language"])
    subscription, key, auth = browser_subscription(f"{push_service.origin}/push/sub-1")
    answer = client.post(
        "/api/v1/devices/",
        {"platform": "webpush", "token": json.dumps(subscription)},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return patient, key, auth


def verify_vapid(authorization: str, public_key: str, audience: str) -> dict[str, Any]:
    """RFC 8292: `vapid t=<JWT signed ES256>, k=<the application server key>`."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    point.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    decoded = json.loads(unb64(claims))
    assert decoded["aud"] == audience
    return decoded


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "How are you today? Your diary is waiting."),
        ("es", "¿Cómo se encuentra hoy? Su diario le espera."),
        ("zh-hans", "您今天感觉如何？您的日记正在等您填写。"),
    ],
)
def test_a_diary_reminder_reaches_the_browser_encrypted_signed_and_in_the_patient_s_language(
    push_service, vapid, language, text
):
    patient, key, auth = subscribed_patient(push_service, language)
    assert reminders.remind_patient(patient=patient, now=EVENING) == ["diary"]

    [(path, headers, body)] = push_service.requests
    assert path == "/push/sub-1"
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    assert headers["topic"] == "diary"
    claims = verify_vapid(headers["authorization"], vapid[1], push_service.origin)
    assert claims["sub"] == "mailto:push@clinic.test"
    assert text.encode() not in body  # encrypted on the wire

    plain = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    payload = json.loads(plain)
    assert payload["body"] == text
    assert payload["kind"] == "diary"
    assert payload["url"] == "/app/#diary"
    # Nothing about the patient: no subject id, clinic, drug or symptom.
    for secret in (patient.subject_id, "zongertinib", patient.clinic.code):
        assert secret not in plain.decode()


def test_a_subscription_the_push_service_says_is_gone_is_forgotten(push_service, vapid):
    patient, _, _ = subscribed_patient(push_service, "en")
    push_service.status = 410
    reminders.remind_patient(patient=patient, now=EVENING)
    assert len(push_service.requests) == 1
    assert not Device.objects.filter(patient=patient).exists()


def test_without_vapid_keys_nothing_is_sent_to_the_browser(push_service, vapid, settings):
    patient, _, _ = subscribed_patient(push_service, "en")
    settings.TOXWATCH_VAPID_PRIVATE_KEY = ""
    reminders.remind_patient(patient=patient, now=EVENING)
    assert push_service.requests == []
    assert Device.objects.filter(patient=patient).exists()


def test_a_care_team_message_push_is_translated_too(push_service, vapid):
    from diary import push

    patient, key, auth = subscribed_patient(push_service, "es")
    message = push.PushMessage(
        title="ToxWatch",
        body="Your care team has a message for you. Open ToxWatch now.",  # alerts.notify's
        kind="care_team_message",
        collapse_key="alert-1",
    )
    assert push.send_to_patient(patient=patient.pk, message=message, key="n1") == 1
    [(_, _, body)] = push_service.requests
    payload = json.loads(
        http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert payload["body"] == "Su equipo médico tiene un mensaje para usted. Abra ToxWatch ahora."


def test_each_ask_of_a_follow_up_question_reaches_the_browser_once(push_service, vapid):
    from django.utils import timezone

    from diary.models import FollowUp

    patient, key, auth = subscribed_patient(push_service, "zh-hans")
    followup = FollowUp.objects.create(
        patient=patient,
        code="diarrhea_recheck_24h",
        terms=["diarrhea"],
        due_at=timezone.now(),
        asked_count=1,
    )
    noon = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Paris: no diary reminder yet
    assert reminders.remind_patient(patient=patient, now=noon) == ["followup"]
    assert reminders.remind_patient(patient=patient, now=noon) == []  # the same ask: once
    FollowUp.objects.filter(pk=followup.pk).update(asked_count=2)
    assert reminders.remind_patient(patient=patient, now=noon) == ["followup"]
    assert len(push_service.requests) == 2
    body = push_service.requests[0][2]
    payload = json.loads(
        http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
    )
    assert payload["body"] == "您的医护团队想了解您现在的情况。请打开您的日记。"
    assert payload["kind"] == "diary"
