"""Identity use cases: store a patient's contact details, read them for a staff member (audited),
find patients by name or hospital number through the blind index, audit code actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from diary import services as diary_services
from diary.models import Clinic, Patient
from identity import crypto
from identity.models import Action, AuditEvent, Contact, NameToken, PatientIdentity


def _index(identity: PatientIdentity, contact: Contact) -> None:
    digests = crypto.hospital_number_digests(contact.hospital_number)
    identity.hospital_number_digest = digests[0] if digests else ""
    tokens = {crypto.name_token_digests(token)[0] for token in crypto.name_tokens(contact.name)}
    identity.name_tokens.all().delete()
    NameToken.objects.bulk_create(NameToken(identity=identity, digest=d) for d in sorted(tokens))


def save_contact(
    *, patient: Patient, contact: Contact, user: Any, screen: str = "enrol"
) -> PatientIdentity:
    """Store (or replace) a patient's identity, encrypted and indexed; audited as a change."""
    ciphertext = crypto.encrypt(contact.to_json())
    with transaction.atomic():
        identity, _ = PatientIdentity.objects.select_for_update().get_or_create(
            patient=patient, defaults={"ciphertext": ciphertext}
        )
        identity.ciphertext = ciphertext
        identity.updated_at = timezone.now()
        _index(identity, contact)
        identity.save()
        if user is not None:
            audit(user=user, patient=patient, action=Action.CHANGED, screen=screen)
    return identity


def enrol_patient(
    *, clinic: Clinic, contact: Contact, user: Any, **enrolment: Any
) -> tuple[Patient, str]:
    """Enrol a patient (``diary.services.enroll_patient``) with their identity, in one
    transaction: nothing is kept if either fails. The contact's storing and the code's issue are
    audited. Returns the patient and the one-time code."""
    with transaction.atomic():
        patient, code = diary_services.enroll_patient(clinic=clinic, created_by=user, **enrolment)
        save_contact(patient=patient, contact=contact, user=user, screen="enrol")
        audit(user=user, patient=patient, action=Action.CODE_ISSUED, screen="enrol")
    return patient, code


def contact_for(*, user: Any, patient: Patient, screen: str) -> Contact | None:
    """The patient's identity for a staff member of their clinic; the reading is audited.

    The caller has scoped the patient to the member's clinic (clinicians.access); None when
    nothing is recorded (nothing is audited then: nothing was shown)."""
    identity = PatientIdentity.objects.filter(patient=patient).first()
    if identity is None:
        return None
    audit(user=user, patient=patient, action=Action.VIEWED, screen=screen)
    return identity.contact()


def contacts_for(*, user: Any, patients: Iterable[Patient], screen: str) -> dict[int, Contact]:
    """The identities of a page of patients (already scoped), in two queries: one read, one
    audit insert of every patient whose identity is shown."""
    ids = [p.pk for p in patients]
    found = {i.patient_id: i.contact() for i in PatientIdentity.objects.filter(patient_id__in=ids)}
    if found:
        now = timezone.now()
        AuditEvent.objects.bulk_create(
            AuditEvent(user=user, patient_id=pk, action=Action.VIEWED, screen=screen, at=now)
            for pk in found
        )
    return found


def audit(*, user: Any, patient: Patient, action: str, screen: str) -> None:
    AuditEvent.objects.create(user=user, patient=patient, action=action, screen=screen)


def matching(patients: QuerySet[Patient], text: str) -> QuerySet[Patient]:
    """Patients whose hospital number is ``text`` exactly, whose name has every word of ``text``
    as a whole word, or whose subject id contains it (case-insensitive). Nothing is decrypted:
    the name and number are compared as blind index digests (identity.crypto)."""
    text = text.strip()
    if not text:
        return patients
    condition = Q(subject_id__icontains=text)
    numbers = crypto.hospital_number_digests(text)
    if numbers:
        condition |= Q(identity__hospital_number_digest__in=numbers)
    tokens = crypto.name_tokens(text)
    if tokens:
        by_name = Q()
        for token in tokens:
            owners = NameToken.objects.filter(digest__in=crypto.name_token_digests(token)).values(
                "identity_id"
            )
            by_name &= Q(pk__in=owners)
        condition |= by_name
    return patients.filter(condition)


def rotate_all(*, batch: int = 500) -> int:
    """Re-encrypt every identity with the first key and re-index it; returns the rows done.

    Safe to run again and while the site runs: each batch is its own transaction, rows locked."""
    done = 0
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                PatientIdentity.objects.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")[:batch]
            )
            if not rows:
                return done
            for identity in rows:
                identity.ciphertext = crypto.rotate(identity.ciphertext)
                _index(identity, identity.contact())
            PatientIdentity.objects.bulk_update(rows, ["ciphertext", "hospital_number_digest"])
        done += len(rows)
        last = rows[-1].pk
