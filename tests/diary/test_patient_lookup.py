"""The patient behind a token, looked up from SQL the ORM compiled once (issue 17, D85): the
same patient, with the same values and its clinic loaded, as the ORM query it replaces."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diary import services
from diary.access import _patients_of, active_patient_of
from diary.models import Patient
from tests.helpers import enroll, make_clinic

pytestmark = pytest.mark.django_db


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def with_account(patient: Patient, *, active: bool = True) -> Patient:
    user = get_user_model().objects.create(username=patient.subject_id, is_active=active)
    patient.user = user
    patient.save(update_fields=["user"])
    return patient


def test_the_compiled_lookup_gives_the_orms_patient_with_its_clinic():
    clinic = make_clinic("LKP", phone_24h="+33 1 23 45 67 89")
    patients = [
        with_account(enroll(clinic, "zongertinib")[0]),
        with_account(
            enroll(
                clinic,
                "trastuzumab_deruxtecan",
                birth_date=date(1960, 2, 29),
                baseline=services.Baseline(
                    stools_per_day=3, spo2_rest=95, weight_kg=Decimal("61.5"), cough_severity="mild"
                ),
                brain_metastases=True,
                risk_factors=["prior_ild"],
                neuro_baseline={"headache": "mild"},
                stoma=True,
            )[0]
        ),
    ]
    for patient in patients:
        expected = _patients_of(patient.user_id).first()
        got = active_patient_of(patient.user_id)
        assert got is not None and expected is not None
        assert values(got) == values(expected)
        assert got._state.adding is False and got._state.db == "default"
        with CaptureQueriesContext(connection) as ctx:
            assert values(got.clinic) == values(expected.clinic)
        assert ctx.captured_queries == []  # the clinic came with the patient


def test_no_patient_for_an_inactive_or_unknown_user_or_a_staff_account():
    clinic = make_clinic("LKQ")
    inactive = with_account(enroll(clinic)[0], active=False)
    staff = get_user_model().objects.create(username="nurse")
    assert active_patient_of(inactive.user_id) is None
    assert _patients_of(inactive.user_id).first() is None
    assert active_patient_of(staff.pk) is None
    assert active_patient_of(10**9) is None
