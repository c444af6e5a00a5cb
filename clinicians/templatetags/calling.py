"""The calling details at the top of an alert page: who the patient is and how to reach them.

The tag that shows a patient's identity is the one that audits it (``identity.services``), so no
page can show a name or phone number without an audit row (D74). It shows nothing to a role
without the contact capability, or for a patient outside the member's clinic.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from clinicians.access import Can
from diary.models import Patient
from identity import services
from identity.models import Contact

register = template.Library()


@dataclass(frozen=True)
class CallingCard:
    contact: Contact | None  # None: no contact details recorded
    clinic_line: str
    local_time: datetime
    zone: str


@register.simple_tag(takes_context=True)
def calling_card(context: Any, patient: Patient, screen: str) -> CallingCard | None:
    request = context.get("request")
    staff = getattr(request, "staff", None)
    if staff is None or not staff.can(Can.CONTACT) or patient.clinic_id != staff.clinic.pk:
        return None
    contact = services.contact_for(user=staff.user, patient=patient, screen=screen)
    try:
        zone = zoneinfo.ZoneInfo(patient.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(staff.clinic.timezone)
    return CallingCard(
        contact=contact,
        clinic_line=staff.clinic.phone_24h,
        # Naive on purpose: the template must not convert it to the clinic's time zone.
        local_time=timezone.now().astimezone(zone).replace(tzinfo=None),
        zone=str(zone),
    )


@register.filter
def tel(number: str) -> str:
    """A ``tel:`` URI of a phone number as written: its digits, with a leading + kept."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"
