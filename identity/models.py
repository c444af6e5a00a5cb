"""Who a patient is, for the care team only: kept apart from the pseudonymous diary.

``diary.Patient`` knows a subject id and nothing that names the person. The name, hospital
number, phone numbers, preferred language and emergency contact live here, encrypted at rest
(``identity.crypto``), one row per patient. ``diary``, ``alerts`` and the exports never import
this app (import-linter contracts in pyproject.toml), so the mobile API, the exports and the
tasks cannot reach it. Every reading by a staff member is an ``AuditEvent``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from diary.models import Patient
from identity import crypto


@dataclass(frozen=True)
class Contact:
    """The decrypted identity of one patient."""

    name: str = ""
    hospital_number: str = ""
    phone: str = ""
    other_phone: str = ""
    preferred_language: str = ""  # the language to speak on the phone, in words
    emergency_name: str = ""
    emergency_phone: str = ""

    @classmethod
    def from_json(cls, text: str) -> Contact:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


class PatientIdentity(models.Model):
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="identity"
    )
    # Fernet token of Contact as JSON (identity.crypto): never readable without a key.
    ciphertext = models.TextField(editable=False)
    # Blind index of the normalised hospital number (identity.crypto): exact search only.
    hospital_number_digest = models.CharField(max_length=64, blank=True, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "patient identities"

    def __str__(self) -> str:  # never the name: this may end up in a log or an admin list
        return f"Identity of patient {self.patient_id}"

    def contact(self) -> Contact:
        return Contact.from_json(crypto.decrypt(self.ciphertext))


class NameToken(models.Model):
    """One word of a patient's name as a blind index digest (a search matches whole words)."""

    identity = models.ForeignKey(
        PatientIdentity, on_delete=models.CASCADE, related_name="name_tokens"
    )
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"Name token of patient {self.identity_id}"


class Action(models.TextChoices):
    VIEWED = "viewed", "Viewed contact details"
    CHANGED = "changed", "Changed contact details"
    CODE_ISSUED = "code_issued", "Issued an enrolment code"
    CODE_REISSUED = "code_reissued", "Re-issued an enrolment code"
    CODE_REVOKED = "code_revoked", "Revoked the enrolment code"


class AuditEvent(models.Model):
    """Who saw or changed a patient's identity, or issued or revoked their code, when, on which
    screen. Append-only; written by ``identity.services``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=Action.choices)
    screen = models.CharField(max_length=40, help_text="e.g. alert, patient_list, enrol.")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="identity_audit_patient"),
            models.Index(fields=["user", "-at"], name="identity_audit_user"),
        ]

    def __str__(self) -> str:
        return f"{self.action} of patient {self.patient_id} by user {self.user_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)
