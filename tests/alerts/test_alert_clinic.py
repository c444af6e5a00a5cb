"""An alert carries its patient's clinic (D38): set when it is raised, backfilled for the alerts
raised before the column existed, and never changed, since a patient's clinic cannot be."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory
from django.utils import timezone

from alerts import pipeline
from alerts.models import LEVEL_RANK, Alert, Level
from diary.models import Patient
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db


def test_alerts_raised_by_an_entry_or_by_time_belong_to_their_patients_clinic():
    north, south = make_clinic("NNN"), make_clinic("SSS")
    red_patient, red_client = enrolled_client(south, "trastuzumab_deruxtecan")
    body = entry_body(symptoms={"hypoxia": {"spo2_rest": 86}})
    assert red_client.post("/api/v1/entries/", body, format="json").status_code == 201
    quiet_patient, quiet_client = enrolled_client(north, "zongertinib")
    body = entry_body(recorded_at=timezone.now() - timedelta(days=4))
    assert quiet_client.post("/api/v1/entries/", body, format="json").status_code == 201
    assert pipeline.check_missed_diaries() == 1

    assert Alert.objects.get(patient=red_patient).clinic_id == south.pk
    assert Alert.objects.get(patient=quiet_patient, kind="diary").clinic_id == north.pk
    assert list(Alert.objects.for_clinic(north)) == [Alert.objects.get(kind="diary")]


def test_level_descending_is_the_clinical_order_the_queue_sorts_by():
    # triage_order sorts on the stored text, descending: that is RED first only while the
    # levels' alphabetical order is their rank. A new level must keep it (or change the order).
    assert sorted(Level.values, reverse=True) == sorted(
        Level.values, key=LEVEL_RANK.__getitem__, reverse=True
    )
    assert sorted(Level.values, reverse=True)[0] == Level.RED


def test_a_patients_clinic_cannot_be_changed_in_the_admin():
    patient_admin = admin.site._registry[Patient]
    request = RequestFactory().get("/admin/diary/patient/")
    patient, _ = enrolled_client(make_clinic("AAA"))
    assert "clinic" in patient_admin.get_readonly_fields(request, patient)
    assert "clinic" not in patient_admin.get_readonly_fields(request, None)  # chosen on adding


# The diary as it was then too: its later columns have no database default, so rows made with
# the old models could not be inserted with them in place.
BEFORE = [("alerts", "0004_alert_clinic"), ("diary", "0007_entry_patient_recorded_offset")]


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_gives_earlier_alerts_their_patients_clinic():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Clinic = old.get_model("diary", "Clinic")
    Patient = old.get_model("diary", "Patient")
    OldAlert = old.get_model("alerts", "Alert")
    ids = {}
    for code in ("OLD", "NEW"):
        clinic = Clinic.objects.create(code=code, name=code)
        patient = Patient.objects.create(subject_id=f"{code}-1", clinic=clinic)
        alert = OldAlert.objects.create(
            patient=patient, kind="gi", level="amber", reason="before", due_at=timezone.now()
        )
        assert alert.clinic_id is None
        ids[alert.pk] = clinic.pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Alert.objects.values_list("pk", "clinic_id")) == ids
