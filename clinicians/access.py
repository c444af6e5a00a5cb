"""Who may do what on the staff dashboard, in one place (docs/decisions.md, staff roles).

Every staff page goes through ``staff_view``: it requires a signed-in user who passed the TOTP
second step when they have a device, who belongs to a clinic (``StaffMember``), and whose role
grants the page's capability. A missing capability is a 403 (the page exists, the role may not
use it); another clinic's objects are not found (404), so their existence is not revealed.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from alerts.models import Alert, AlertQuerySet
from diary.access import ENROL, needs_second_step, second_step
from diary.models import Clinic, Patient, StaffMember, StaffRole

__all__ = ["Can", "Staff", "needs_second_step", "staff_for", "staff_view"]


class Can(StrEnum):
    """A capability on the dashboard."""

    VIEW = "view"  # the queue, alert details, patient pages (read only)
    TRIAGE = "triage"  # acknowledge, assign, call, note, escalate, resolve, expected level
    PROGRAMME = "programme"  # the programme view (clinic-wide figures)
    EXPORT = "export"  # trial exports
    CONTACT = "contact"  # patients' names, hospital numbers and phones (identity, audited)
    ENROL = "enrol"  # enrol a patient, issue, re-issue and revoke their app code


# What a 403 page tells a member whose role lacks the capability (config.views.forbidden).
DENIED: dict[Can, str] = {
    Can.TRIAGE: "Acting on alerts is for nurses and oncologists. Ask one of them to do it.",
    Can.PROGRAMME: "The programme view is not part of your role.",
    Can.EXPORT: "Exports are for data managers. Ask your clinic's data manager for one.",
    Can.ENROL: "Enrolling patients is for nurses and oncologists. Ask one of them to do it.",
}

# The role matrix (decision in docs/decisions.md). Clinical staff act on alerts; data managers
# read, see the programme and export, but never change an alert; they work on pseudonymous data
# and never see who a patient is (D75).
CLINICAL = frozenset({Can.VIEW, Can.TRIAGE, Can.PROGRAMME, Can.CONTACT, Can.ENROL})
ROLE_CAPABILITIES: dict[str, frozenset[Can]] = {
    StaffRole.NURSE: CLINICAL,
    StaffRole.ONCOLOGIST: CLINICAL,
    StaffRole.DATA_MANAGER: frozenset({Can.VIEW, Can.PROGRAMME, Can.EXPORT}),
}


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member behind a request (``request.staff`` on staff pages)."""

    user: Any
    member: StaffMember

    @property
    def clinic(self) -> Clinic:
        return self.member.clinic

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def is_oncologist(self) -> bool:
        return self.role == StaffRole.ONCOLOGIST

    @property
    def capabilities(self) -> frozenset[Can]:
        return ROLE_CAPABILITIES.get(self.role, frozenset())

    def can(self, capability: Can | str) -> bool:
        return Can(capability) in self.capabilities

    # --- scoping: every query of a staff page starts here -----------------------------------

    def alerts(self) -> AlertQuerySet:
        return Alert.objects.for_clinic(self.member.clinic_id)

    def alert(self, pk: int) -> Alert:
        return get_object_or_404(self.alerts().select_related("patient"), pk=pk)

    def patients(self) -> Any:
        return Patient.objects.filter(clinic_id=self.member.clinic_id)

    def patient(self, subject_id: str) -> Patient:
        return get_object_or_404(self.patients(), subject_id=subject_id)

    def colleagues(self, capability: Can | None = None) -> Any:
        """Active staff users of the clinic, optionally only the roles with a capability."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(
            staff_member__clinic_id=self.member.clinic_id, is_active=True
        )
        if capability is not None:
            roles = [role for role, can in ROLE_CAPABILITIES.items() if capability in can]
            users = users.filter(staff_member__role__in=roles)
        return users.select_related("staff_member").order_by("username")


def staff_for(request: HttpRequest) -> Staff | None:
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    member = StaffMember.objects.select_related("clinic").filter(user_id=user.pk).first()
    return Staff(user=user, member=member) if member is not None else None


def staff_view(
    capability: Can = Can.VIEW,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a staff page: signed in (both steps), a clinic member, and allowed by role."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            owed = second_step(user)
            if owed == ENROL:  # TOTP is required for this role: set it up first
                return redirect("clinicians:two_factor")
            if owed is not None:
                return redirect_to_login(request.get_full_path())
            staff = staff_for(request)
            if staff is None:
                return render(request, "clinicians/no_clinic.html", status=403)
            # Set before the role check: the friendly 403 page shows the dashboard's menu.
            request.staff = staff  # type: ignore[attr-defined]
            if not staff.can(capability):
                raise PermissionDenied(DENIED.get(capability, "Your role may not open this page."))
            # Times on staff pages are the clinic's local time.
            with timezone.override(zoneinfo.ZoneInfo(staff.clinic.timezone)):
                return view(request, *args, **kwargs)

        return wrapper

    return decorator
