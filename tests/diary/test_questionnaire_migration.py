"""Patients enrolled before questionnaires existed get their drug's default schedules."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from diary.models import QuestionnaireSchedule

BEFORE = [("diary", "0005_questionnaires")]
AFTER = [("diary", "0006_default_questionnaire_schedules")]


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_gives_earlier_patients_their_default_schedules():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    clinic = old.get_model("diary", "Clinic").objects.create(code="OLD", name="Old")
    Patient = old.get_model("diary", "Patient")
    Course = old.get_model("diary", "TreatmentCourse")
    tdxd = Patient.objects.create(subject_id="OLD-1", clinic=clinic, timezone="Europe/Paris")
    Course.objects.create(patient=tdxd, drug="trastuzumab_deruxtecan", dose_level="5.4_mg_kg",
                          started_on=date(2026, 1, 5))  # fmt: skip
    cns = Patient.objects.create(
        subject_id="OLD-2", clinic=clinic, timezone="Europe/Paris", brain_metastases=True
    )
    Course.objects.create(patient=cns, drug="sevabertinib", dose_level="20_mg_bid",
                          started_on=date(2026, 2, 1))  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    try:
        _check_schedules(tdxd.pk, cns.pk)
    finally:
        # Back to the latest schema: later tests need the columns added since.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_schedules(tdxd_pk: int, cns_pk: int) -> None:

    first = {s.instrument: s for s in QuestionnaireSchedule.objects.filter(patient_id=tdxd_pk)}
    assert set(first) == {"qlq_c30", "qlq_lc13", "proctcae_tdxd", "qol_rating", "ecog_self"}
    assert first["qlq_c30"].anchor == "infusion"
    assert first["qlq_c30"].starts_on == date(2026, 1, 5)
    second = set(
        QuestionnaireSchedule.objects.filter(patient_id=cns_pk).values_list("instrument", flat=True)
    )
    assert {"proctcae_sevabertinib", "proctcae_cns"} <= second
