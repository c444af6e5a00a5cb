"""Who may see what, in one place.

A patient reaches only their own data; staff reach only their clinic's. Objects outside the
caller's scope are not found (404), never forbidden, so their existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import permissions
from rest_framework.request import Request

from diary.models import Patient, StaffMember

_PATIENT_ATTR = "_toxwatch_patient"


def patient_for_request(request: Request) -> Patient | None:
    """The active patient behind a mobile access token, or None (cached on the request)."""
    if hasattr(request, _PATIENT_ATTR):
        return getattr(request, _PATIENT_ATTR)
    user_id = getattr(request.user, "id", None) if request.user is not None else None
    patient = None
    if user_id is not None:
        patient = (
            Patient.objects.select_related("clinic")
            .filter(user_id=user_id, user__is_active=True)
            .first()
        )
    setattr(request, _PATIENT_ATTR, patient)
    return patient


def staff_member_for(user: Any) -> StaffMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return StaffMember.objects.select_related("clinic").get(user_id=user.pk)
    except StaffMember.DoesNotExist:
        return None


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """Patients a signed-in Django user may see: a clinic's for staff, all for superusers."""
    if getattr(user, "is_superuser", False):
        return Patient.objects.all()
    member = staff_member_for(user)
    if member is None:
        return Patient.objects.none()
    return Patient.objects.filter(clinic_id=member.clinic_id)


class IsPatient(permissions.BasePermission):
    """The caller holds a patient's access token (staff and carers' own accounts do not)."""

    message = "This part of the API is for patients signed in on the app."
    code = "not_a_patient"

    def has_permission(self, request: Request, view: Any) -> bool:
        return patient_for_request(request) is not None
