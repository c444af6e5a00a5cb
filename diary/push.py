"""Push notifications to the patient's phones behind a pluggable backend.

``TOXWATCH_PUSH_BACKEND`` names the backend class (dotted path); the default writes to the log,
so development and the demo need no credentials. A production backend implements ``send`` for
Firebase Cloud Messaging (HTTP v1) or the Apple Push Notification service, posting the payload
that ``fcm_payload`` / ``apns_payload`` build, and reports tokens the service no longer accepts
(FCM ``UNREGISTERED``, APNs 410) so the device is forgotten.

Devices of the patient web app (``webpush``) go through ``WebPushBackend`` (VAPID, RFC 8291
encryption by pywebpush) whatever ``TOXWATCH_PUSH_BACKEND`` says: their "token" is the browser's
subscription, which only Web Push can use. Without VAPID keys they are logged, as the default.

Messages say only that something is waiting in the app: no symptom, score, drug or name leaves
through a push (lock screens are public). They are in the patient's language (``Patient.language``):
title and body are English message ids translated here, so every sender gets it. Tokens are never
logged; logs carry device ids.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop

from diary.models import Device, DevicePlatform, Patient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushMessage:
    title: str
    body: str
    kind: str  # what the app should open: diary, questionnaires, alert...
    collapse_key: str  # a newer push of the same key replaces an unread older one
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PushResult:
    delivered: bool
    unregistered: bool = False  # the service says this token is gone: forget the device


# The namespace of the apns-id UUIDs derived from push keys (fixed: an id never changes).
PUSH_ID_NAMESPACE = uuid.UUID("6f1d8a52-5d0c-4c39-9b53-2f4f4b2b7a10")


class PushBackend(Protocol):
    def send(self, device: Device, message: PushMessage, *, key: str) -> PushResult: ...


def fcm_payload(device: Device, message: PushMessage, *, key: str) -> dict[str, Any]:
    """The body of an FCM HTTP v1 ``messages:send`` request."""
    return {
        "message": {
            "token": device.token,
            "notification": {"title": message.title, "body": message.body},
            "data": {**message.data, "kind": message.kind, "key": key},
            "android": {"collapse_key": message.collapse_key, "priority": "normal"},
        }
    }


def apns_payload(
    device: Device, message: PushMessage, *, key: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """The headers and body of an APNs request (``/3/device/{token}``)."""
    headers = {
        # The same id on every attempt of one push (a UUID derived from the key, D70): APNs
        # reports and logs by it, so a re-send after a lost acknowledgement is recognisable.
        "apns-id": str(uuid.uuid5(PUSH_ID_NAMESPACE, key)).upper(),
        "apns-push-type": "alert",
        "apns-collapse-id": message.collapse_key[:64],
        "apns-priority": "5",
    }
    body = {
        "aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"},
        **message.data,
        "kind": message.kind,
        "key": key,
    }
    return headers, body


def payload(device: Device, message: PushMessage, *, key: str) -> Any:
    if device.platform == DevicePlatform.APNS:
        return apns_payload(device, message, key=key)
    return fcm_payload(device, message, key=key)


# Push texts sent by other apps (alerts.notify), listed so that makemessages finds them.
OTHER_TEXTS = (gettext_noop("Your care team has a message for you. Open ToxWatch now."),)
WEB_PUSH_TTL_SECONDS = 12 * 60 * 60  # [D] a reminder older than half a day is not worth showing
APP_URL = "/app/"


def web_push_payload(message: PushMessage, *, key: str) -> dict[str, str]:
    """What the service worker gets (encrypted end to end): nothing about the patient."""
    return {
        "title": message.title,
        "body": message.body,
        "kind": message.kind,
        "tag": message.collapse_key,
        "key": key,
        "url": f"{APP_URL}#{message.kind}",
    }


def web_push_configured() -> bool:
    return bool(settings.TOXWATCH_VAPID_PRIVATE_KEY and settings.TOXWATCH_VAPID_PUBLIC_KEY)


class WebPushBackend:
    """Web Push (RFC 8030) with VAPID (RFC 8292), the payload encrypted for the subscription's
    keys (RFC 8291, aes128gcm) by pywebpush. 404 and 410 mean the subscription is gone."""

    def send(self, device: Device, message: PushMessage, *, key: str) -> PushResult:
        from pywebpush import WebPushException, webpush

        try:
            subscription = json.loads(device.token)
        except ValueError:
            return PushResult(delivered=False, unregistered=True)
        try:
            webpush(
                subscription_info=subscription,
                data=json.dumps(web_push_payload(message, key=key)),
                vapid_private_key=settings.TOXWATCH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.TOXWATCH_VAPID_SUBJECT},
                ttl=WEB_PUSH_TTL_SECONDS,
                headers={"Topic": message.collapse_key[:32], "Urgency": "normal"},
                timeout=10,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                return PushResult(delivered=False, unregistered=True)
            logger.warning("web push refused device_id=%s status=%s", device.pk, status)
            return PushResult(delivered=False)
        logger.info(
            "push device_id=%s platform=webpush kind=%s key=%s", device.pk, message.kind, key
        )
        return PushResult(delivered=True)


class ConsoleBackend:
    """Writes what would be pushed to the log (ids and kinds only, never the token)."""

    def send(self, device: Device, message: PushMessage, *, key: str) -> PushResult:
        logger.info(
            "push device_id=%s platform=%s kind=%s key=%s",
            device.pk,
            device.platform,
            message.kind,
            key,
        )
        return PushResult(delivered=True)


def backend() -> PushBackend:
    path = getattr(settings, "TOXWATCH_PUSH_BACKEND", "diary.push.ConsoleBackend")
    chosen: PushBackend = import_string(path)()
    return chosen


def backend_for(device: Device, configured: PushBackend) -> PushBackend:
    if device.platform == DevicePlatform.WEBPUSH:
        return WebPushBackend() if web_push_configured() else ConsoleBackend()
    return configured


def in_language(message: PushMessage, language: str) -> PushMessage:
    """The message with its title and body in the patient's language (English ids)."""
    with translation.override(language):
        return replace(message, title=gettext(message.title), body=gettext(message.body))


def send_to_patient(*, patient: Patient | int, message: PushMessage, key: str) -> int:
    """Push to every registered phone of the patient; returns how many accepted it.

    A failing device never stops the others; a token the service rejects is deleted.
    """
    patient_id = patient if isinstance(patient, int) else patient.pk
    language = (
        patient.language
        if isinstance(patient, Patient)
        else Patient.objects.filter(pk=patient_id).values_list("language", flat=True).first()
    )
    message = in_language(message, language or "en")
    configured = backend()
    delivered = 0
    for device in Device.objects.filter(patient_id=patient_id):
        try:
            chosen = backend_for(device, configured)
            result = chosen.send(device, message, key=f"{key}:{device.pk}")
        except Exception:
            logger.exception("push failed device_id=%s kind=%s", device.pk, message.kind)
            continue
        if result.unregistered:
            logger.info("push token rejected: device forgotten device_id=%s", device.pk)
            device.delete()
        elif result.delivered:
            delivered += 1
    return delivered
