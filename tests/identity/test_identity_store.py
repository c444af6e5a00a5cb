"""Patient identity: encrypted at rest, searchable through a blind index, keys rotated, checked."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from identity import checks, crypto, services
from identity.models import Action, AuditEvent, Contact, NameToken, PatientIdentity
from tests.helpers import enroll, make_clinic, make_staff

pytestmark = pytest.mark.django_db

JANE = Contact(
    name="Zoë Quartermaine-Okafor",
    hospital_number="RX1 234 567",
    phone="+44 20 7946 0123",
    other_phone="07700 900123",
    preferred_language="Yoruba",
    emergency_name="Tunde Okafor",
    emergency_phone="+44 20 7946 0456",
)


@pytest.fixture
def clinic():
    return make_clinic("IDN")


def stored(clinic, contact=JANE):
    patient, _ = enroll(clinic)
    services.save_contact(patient=patient, contact=contact, user=make_staff(clinic))
    return patient


def raw_row(patient) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ciphertext, hospital_number_digest FROM identity_patientidentity "
            "WHERE patient_id = %s",
            [patient.pk],
        )
        return " ".join(cursor.fetchone())


def test_nothing_readable_is_stored_and_the_contact_reads_back(clinic):
    patient = stored(clinic)
    row = raw_row(patient)
    # Spaces and accents never occur in base64 or hex: no chance match with the ciphertext.
    for secret in ("Quartermaine", "Zoë", "7946 0123", "RX1 234", "Yoruba", "Tunde"):
        assert secret not in row
    assert PatientIdentity.objects.get(patient=patient).contact() == JANE


def test_saving_is_audited_as_a_change(clinic):
    patient = stored(clinic)
    assert list(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True)) == [
        Action.CHANGED
    ]


@pytest.mark.parametrize(
    "text",
    ["RX1234567", "rx1-234-567", "quartermaine", "OKAFOR", "zoe", "Zoë okafor", "IDN-"],
)
def test_a_patient_is_found_by_hospital_number_name_word_or_subject_id(clinic, text):
    patient = stored(clinic)
    other = stored(clinic, Contact(name="Ann Smith", hospital_number="RX9"))
    found = list(services.matching(clinic.patients.all(), text))
    assert patient in found
    if text != "IDN-":
        assert other not in found


@pytest.mark.parametrize("text", ["Quarter", "RX1 234", "Zoë Smith", "nobody"])
def test_a_partial_word_or_number_or_a_word_not_in_the_name_finds_nothing(clinic, text):
    stored(clinic)
    assert list(services.matching(clinic.patients.all(), text)) == []


def test_the_index_is_a_keyed_digest_not_a_plain_hash(clinic, settings):
    import hashlib

    patient = stored(clinic)
    digest = PatientIdentity.objects.get(patient=patient).hospital_number_digest
    assert digest != hashlib.sha256(b"RX1234567").hexdigest()
    assert len(digest) == 64
    assert NameToken.objects.filter(identity_id=patient.pk).count() == 3  # zoe quartermaine okafor
    # Keyed: under another key the same number has another digest.
    assert digest in crypto.hospital_number_digests("RX1 234 567")
    settings.TOXWATCH_IDENTITY_KEYS = [Fernet.generate_key().decode()]
    assert digest not in crypto.hospital_number_digests("RX1 234 567")


def test_rotation_re_encrypts_with_the_new_key_and_search_works_during_and_after(clinic, settings):
    patient = stored(clinic)  # under the development key
    new = Fernet.generate_key().decode()
    settings.TOXWATCH_IDENTITY_KEYS = [new, crypto.DEV_KEY]
    # Before the rotation: old rows still open and are still found.
    assert PatientIdentity.objects.get(patient=patient).contact() == JANE
    assert list(services.matching(clinic.patients.all(), "RX1234567")) == [patient]
    call_command("rotate_identity_keys", stdout=io.StringIO())
    settings.TOXWATCH_IDENTITY_KEYS = [new]  # the old key removed
    identity = PatientIdentity.objects.get(patient=patient)
    assert identity.contact() == JANE
    assert list(services.matching(clinic.patients.all(), "RX1234567")) == [patient]
    assert list(services.matching(clinic.patients.all(), "okafor")) == [patient]


def test_a_row_without_its_key_does_not_open(clinic, settings):
    patient = stored(clinic)
    settings.TOXWATCH_IDENTITY_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.InvalidToken):
        PatientIdentity.objects.get(patient=patient).contact()


def ids(errors):
    return sorted(e.id for e in errors)


def test_production_refuses_a_missing_or_development_key(settings):
    settings.PRODUCTION = True
    settings.TOXWATCH_IDENTITY_KEYS = []
    assert ids(checks.identity_keys(None)) == ["identity.E002"]
    settings.TOXWATCH_IDENTITY_KEYS = [Fernet.generate_key().decode(), crypto.DEV_KEY]
    assert ids(checks.identity_keys(None)) == ["identity.E003"]
    settings.TOXWATCH_IDENTITY_KEYS = [Fernet.generate_key().decode()]
    assert checks.identity_keys(None) == []


def test_the_deploy_check_refuses_the_development_key_outside_production_too(settings):
    settings.PRODUCTION = False
    settings.TOXWATCH_IDENTITY_KEYS = []
    assert checks.identity_keys(None) == []  # development and tests run on the dev key
    assert ids(checks.identity_keys_deploy(None)) == ["identity.E002"]


def test_a_malformed_key_is_always_an_error(settings):
    settings.PRODUCTION = False
    settings.TOXWATCH_IDENTITY_KEYS = ["not-a-key"]
    assert ids(checks.identity_keys(None)) == ["identity.E001"]


def test_the_key_command_prints_a_working_key(capsys):
    call_command("identity_key")
    Fernet(capsys.readouterr().out.strip())


def test_enrolment_with_identity_keeps_nothing_when_the_identity_cannot_be_stored(
    clinic, monkeypatch
):
    from diary.models import Patient

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "save_contact", broken)
    with pytest.raises(RuntimeError):
        services.enrol_patient(
            clinic=clinic, contact=JANE, user=make_staff(clinic), drug="zongertinib"
        )
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_enrolment_with_identity_stores_both_and_audits_the_code(clinic):
    nurse = make_staff(clinic)
    patient, code = services.enrol_patient(
        clinic=clinic, contact=JANE, user=nurse, drug="zongertinib"
    )
    assert len(code) == 14
    assert PatientIdentity.objects.get(patient=patient).contact() == JANE
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        Action.CHANGED,
        Action.CODE_ISSUED,
    }
    assert patient.enrollment_codes.get().created_by == nurse
