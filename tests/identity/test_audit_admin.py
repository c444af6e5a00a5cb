"""The identity audit trail is readable in the admin, read-only and scoped to the clinic: clinic
IT or an auditor reads who saw whose contact details without a shell (issue 15, item 1)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from diary.models import StaffRole
from identity import services as identity_services
from identity.models import Action, AuditEvent, Contact
from tests.helpers import enroll, make_clinic, make_staff

pytestmark = pytest.mark.django_db

URL = "/admin/identity/auditevent/"


def seen_by_a_nurse(clinic):
    patient, _ = enroll(clinic)
    nurse = make_staff(clinic, StaffRole.NURSE)
    identity_services.save_contact(
        patient=patient,
        contact=Contact(name="Ada Lovelace", hospital_number="RX100", phone="+44 20 7946 0999"),
        user=nurse,
    )
    return patient, nurse


def admin_client(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_a_superuser_reads_the_trail_without_any_identity_and_cannot_change_it():
    patient, nurse = seen_by_a_nurse(make_clinic("AUD"))
    event = AuditEvent.objects.get(patient=patient)
    root = get_user_model().objects.create_superuser("root-audit", password="x-Pw-2026-long")
    client = admin_client(root)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert patient.subject_id in html and nurse.get_username() in html
    assert "Ada" not in html and "RX100" not in html and "7946" not in html
    detail = client.get(f"{URL}{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(f"{URL}add/").status_code == 403
    assert client.post(f"{URL}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_staff_with_the_view_permission_see_their_clinics_trail_only():
    mine, _ = seen_by_a_nurse(make_clinic("AUA"))
    theirs, _ = seen_by_a_nurse(make_clinic("AUB"))
    manager = make_staff(mine.clinic, StaffRole.DATA_MANAGER)
    manager.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    page = admin_client(manager).get(URL)
    html = page.content.decode()
    assert mine.subject_id in html
    assert theirs.subject_id not in html
    shown = page.context["cl"].result_list
    assert {(e.patient_id, e.action) for e in shown} == {(mine.pk, Action.CHANGED)}
