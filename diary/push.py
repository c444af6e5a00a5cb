"""Push notifications to the patient's phones behind a pluggable backend.

``TOXWATCH_PUSH_BACKEND`` names the backend class (dotted path); the default writes to the log,
so development and the demo need no credentials. A production backend implements ``send`` for
Firebase Cloud Messaging (HTTP v1) or the Apple Push Notification service, posting the payload
that ``fcm_payload`` / ``apns_payload`` build, and reports tokens the service no longer accepts
(FCM ``UNREGISTERED``, APNs 410) so the device is forgotten.

Messages say only that something is waiting in the app: no symptom, score, drug or name leaves
through a push (lock screens are public). Tokens are never logged; logs carry device ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

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


def send_to_patient(*, patient: Patient | int, message: PushMessage, key: str) -> int:
    """Push to every registered phone of the patient; returns how many accepted it.

    A failing device never stops the others; a token the service rejects is deleted.
    """
    patient_id = patient if isinstance(patient, int) else patient.pk
    chosen = backend()
    delivered = 0
    for device in Device.objects.filter(patient_id=patient_id):
        try:
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
