"""alerts.context.history_reports reads the 14-day history as the rules see it (issue 17): the
same reports as building them from ``DiaryEntry.objects.filter(...).values()`` (the local time
of the phone, the stored grades, loperamide as a float, NULLs), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import JSONField
from django.utils import timezone

from alerts import rules
from alerts.context import _json, history_reports
from diary.models import DiaryEntry
from tests.helpers import enroll, make_clinic, record_entry

pytestmark = pytest.mark.django_db


def expected(patient_id: int, since: Any, until: Any) -> list[rules.Report]:
    """The reports as the pipeline built them before (Django's values() and converters)."""
    out = []
    for row in DiaryEntry.objects.filter(
        patient_id=patient_id, recorded_at__gte=since, recorded_at__lte=until
    ).values():
        offset = timezone.get_fixed_timezone(timedelta(minutes=row["recorded_offset_minutes"]))
        loperamide = row["loperamide_mg"]
        out.append(
            rules.Report(
                entry_id=str(row["id"]),
                recorded_at=row["recorded_at"].astimezone(offset),
                symptoms=row["symptoms"],
                grades=row["grade_summary"],
                loperamide_mg=float(loperamide) if loperamide is not None else None,
                tki_doses_taken=row["tki_doses_taken"],
                tki_doses_missed=row["tki_doses_missed"],
                tki_dose_vomited=row["tki_dose_vomited"],
                missed_dose_reason=row["missed_dose_reason"],
            )
        )
    return out


def test_history_reports_are_those_built_from_the_orms_values():
    patient, _ = enroll(make_clinic())
    now = timezone.now().replace(microsecond=123456)
    zones = [timezone.get_fixed_timezone(m) for m in (0, 60, -300, 330, 765)]
    for n, zone in enumerate(zones):
        medications: dict[str, Any] = {}
        if n % 2:
            medications = {
                "loperamide_mg": Decimal("2.5") * n,
                "tki_doses_taken": n,
                "tki_doses_missed": 1,
                "tki_dose_vomited": n == 1,
                "missed_dose_reason": "na\u00efve \u2603",
            }
        symptoms = {"diarrhea": {"stools_over_baseline": n}, "fever": {"temp_c": 36.5 + n}}
        record_entry(
            patient, (now - timedelta(hours=5 * n)).astimezone(zone), symptoms, **medications
        )
    since, until = now - timedelta(days=14), now + timedelta(minutes=1)
    ours = sorted(history_reports(patient.pk, since, until), key=lambda r: r.entry_id)
    theirs = sorted(expected(patient.pk, since, until), key=lambda r: r.entry_id)
    assert len(ours) == 5
    assert ours == theirs
    assert [r.recorded_at.utcoffset() for r in ours] == [r.recorded_at.utcoffset() for r in theirs]
    assert history_reports(patient.pk, since, now - timedelta(days=1)) == []


@pytest.mark.parametrize(
    "text",
    [
        None,
        '{"a": 1}',
        ' {"a": 1}',
        '{"a": 1} ',
        '{"a": 1}x',
        '{"a":1}{"b":2}',
        "not json",
        '"caf\\u00e9 \u2603"',
        "[1, 2.5, null, true]",
        "3",
        "",
        "NaN",
        '{"a": {"b": [1, {"c": "d"}]}}',
    ],
)
def test_json_is_decoded_as_jsonfield_decodes_it(text):
    theirs = JSONField().from_db_value(text, None, None)  # type: ignore[arg-type]
    ours = _json(text)
    assert (type(ours), ours) == (type(theirs), theirs) or (ours != ours and theirs != theirs)
