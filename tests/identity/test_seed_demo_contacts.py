"""`make run` shows the demo patients' invented contact details (issue 15, item 1)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from diary.models import Clinic, Patient
from identity.models import Contact, PatientIdentity
from identity.services import save_contact
from tests.helpers import enroll

pytestmark = pytest.mark.django_db

FICTIONAL = re.compile(r"^(\+44 20 7946 0\d{3}|07700 900\d{3})$")  # Ofcom's drama ranges


def test_seed_demo_gives_its_own_patients_fictional_contacts_and_keeps_changes():
    call_command("seed_demo", stdout=StringIO())
    demo = Patient.objects.filter(clinic__code="DEMO")
    contacts = {i.patient.subject_id: i.contact() for i in PatientIdentity.objects.all()}
    assert set(contacts) == set(demo.values_list("subject_id", flat=True))
    for contact in contacts.values():
        assert contact.name and contact.hospital_number and contact.emergency_name
        for phone in (contact.phone, contact.other_phone, contact.emergency_phone):
            assert FICTIONAL.match(phone), phone
    assert len({c.name for c in contacts.values()}) == len(contacts)

    # A nurse's change, a hand-enrolled DEMO patient and a demo patient from a database seeded
    # before contact details existed: the second run fills only the last.
    first = demo.get(subject_id="DEMO-001")
    save_contact(patient=first, contact=Contact(name="Changed By Nurse"), user=None)
    by_hand, _ = enroll(Clinic.objects.get(code="DEMO"))
    PatientIdentity.objects.filter(patient__subject_id="DEMO-002").delete()
    call_command("seed_demo", stdout=StringIO())
    assert PatientIdentity.objects.get(patient=first).contact().name == "Changed By Nurse"
    assert not PatientIdentity.objects.filter(patient=by_hand).exists()
    assert PatientIdentity.objects.get(patient__subject_id="DEMO-002").contact().name
