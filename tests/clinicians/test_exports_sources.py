"""Every format works with any combination of sources (issue 14: on PostgreSQL, CSV and SDTM
exports without the symptom diary ended ``failed`` with EmptyResultSet: an empty queryset has no
SQL for the raw cursor the diary's rows are read with)."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from clinicians.exports import services
from clinicians.exports.models import ExportStatus
from diary.models import StaffRole
from tests.helpers import export_cohort, make_clinic, make_staff

START = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
SOURCES = ("symptom_diary", "clinician_observations", "proctcae_zongertinib")
COMBINATIONS = [
    list(c) for n in range(1, len(SOURCES) + 1) for c in itertools.combinations(SOURCES, n)
]


def export_every_combination(clinic, manager):
    failed = {}
    for fmt in ("csv", "sdtm", "fhir"):
        for sources in COMBINATIONS:
            export = services.request_export(
                user=manager,
                clinic=clinic,
                format=fmt,
                date_from=date(2025, 3, 1),
                date_to=date(2025, 3, 31),
                instruments=sources,
            )
            services.run_export(export_id=export.pk)
            export.refresh_from_db()
            if export.status != ExportStatus.DONE:
                failed[(fmt, *sources)] = export.error
    return failed


@pytest.mark.django_db
def test_every_format_is_written_for_every_combination_of_sources(settings, tmp_path):
    settings.TOXWATCH_EXPORT_DIR = tmp_path
    clinic = make_clinic("CMB")
    export_cohort(clinic, start=START)
    assert export_every_combination(clinic, make_staff(clinic, StaffRole.DATA_MANAGER)) == {}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_every_combination_of_sources_exports_as_a_worker_runs_it(settings, tmp_path):
    """Outside a test transaction, as on a worker: the diary's rows through the raw cursor."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    settings.TOXWATCH_EXPORT_DIR = tmp_path
    clinic = make_clinic("PGC")
    export_cohort(clinic, start=START)
    assert export_every_combination(clinic, make_staff(clinic, StaffRole.DATA_MANAGER)) == {}
