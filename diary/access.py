"""Who may see what, in one place.

A patient reaches only their own data; staff reach only their clinic's. Objects outside the
caller's scope are not found (404), never forbidden, so their existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import exceptions, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from diary import fastsql
from diary.models import Patient, StaffMember, StaffRole

_PATIENT_ATTR = "_toxwatch_patient"


def patient_for_request(request: Request) -> Patient | None:
    """The active patient behind a mobile access token, or None (cached on the request)."""
    if hasattr(request, _PATIENT_ATTR):
        return getattr(request, _PATIENT_ATTR)
    user_id = getattr(request.user, "id", None) if request.user is not None else None
    patient = active_patient_of(user_id) if user_id is not None else None
    setattr(request, _PATIENT_ATTR, patient)
    return patient


def _patients_of(user_id: Any) -> QuerySet[Patient]:
    """The query behind every patient's request: the patient (with the clinic) of an active
    user, as ``.first()`` orders it (``Patient.Meta.ordering``)."""
    return Patient.objects.select_related("clinic").filter(user_id=user_id, user__is_active=True)[
        :1
    ]


# Its SQL compiled by the ORM once per database vendor (D85): building the query cost more CPU
# than running it.
_ACTIVE_PATIENT = fastsql.CompiledQuery(_patients_of, joined=True)


def active_patient_of(user_id: Any) -> Patient | None:
    """``_patients_of(user_id).first()``: the same instance, its clinic loaded with it."""
    found = _ACTIVE_PATIENT.fetch(user_id)
    return found[0] if found else None


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


# The role matrix (docs/decisions.md D15) for records outside the dashboard (the staff API and
# the admin): nurses and oncologists change clinical records; data managers only read them.
RECORDING_ROLES = frozenset({StaffRole.NURSE, StaffRole.ONCOLOGIST})


def may_change_records(user: Any) -> bool:
    """Whether this staff user may add, change or delete records at all (their Django
    permissions then decide which): superusers and clinical roles; never data managers."""
    if getattr(user, "is_superuser", False):
        return True
    member = staff_member_for(user)
    return member is None or member.role in RECORDING_ROLES


class IsPatient(permissions.BasePermission):
    """The caller holds a patient's access token (staff and carers' own accounts do not)."""

    message = "This part of the API is for patients signed in on the app."
    code = "not_a_patient"

    def has_permission(self, request: Request, view: Any) -> bool:
        return patient_for_request(request) is not None


# --- the staff second step (TOTP, django-otp) -------------------------------------------------

ADMIN_ROLE = "admin"  # TOXWATCH_TOTP_REQUIRED_ROLES' name for staff accounts without a clinic
VERIFY = "verify"  # a confirmed device, and this session has not passed the code step
ENROL = "enrol"  # TOTP is required for the user's role and they have no confirmed device


def totp_required(user: Any) -> bool:
    """Whether the deployment requires TOTP for this user's role (TOXWATCH_TOTP_REQUIRED_ROLES)."""
    required = settings.TOXWATCH_TOTP_REQUIRED_ROLES
    if not required:
        return False
    member = staff_member_for(user)
    return (member.role if member is not None else ADMIN_ROLE) in required


def second_step(user: Any) -> str | None:
    """What a signed-in staff session still owes before it may reach any staff surface (pages,
    staff API, admin, live stream): None, VERIFY or ENROL."""
    from django_otp import user_has_device

    verified = getattr(user, "is_verified", None)
    if callable(verified) and verified():
        return None
    if user_has_device(user, confirmed=True):
        return VERIFY
    return ENROL if totp_required(user) else None


def needs_second_step(user: Any) -> bool:
    return second_step(user) is not None


class StaffSessionAuthentication(SessionAuthentication):
    """The staff API's sign-in: the dashboard's session, with both steps passed.

    A session that has not passed the second step is refused with 401 ``second_step_required``;
    no session at all is 401 ``not_authenticated`` (DRF answers 403 when the authentication
    class names no ``WWW-Authenticate`` challenge)."""

    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is not None and needs_second_step(result[0]):
            raise exceptions.AuthenticationFailed(code="second_step_required")
        return result

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="ToxWatch staff"'
