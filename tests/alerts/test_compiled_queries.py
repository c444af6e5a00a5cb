"""The querysets every entry runs, compiled by the ORM once (issue 17, D85): the same
instances, values and order as the querysets themselves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from alerts.context import ACTIVE_ALERTS
from alerts.models import Alert
from alerts.pipeline import _INFUSIONS, _open_followups
from diary.fastsql import CompiledQuery
from diary.models import FollowUp, Infusion, Patient
from tests.helpers import enroll, make_alert, make_clinic

pytestmark = pytest.mark.django_db


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.fixture
def patients():
    clinic = make_clinic("CMP")
    first, _ = enroll(clinic, "trastuzumab_deruxtecan")
    second, _ = enroll(clinic, "trastuzumab_deruxtecan")
    return first, second


def test_active_alerts_are_the_querysets(patients):
    first, second = patients
    make_alert(first, kind="gi", level="amber")
    make_alert(first, kind="ild", level="red", status="acknowledged")
    make_alert(first, kind="fever", level="red", status="resolved", resolved_at=timezone.now())
    make_alert(second, kind="gi", level="red")
    for patient in (first, second):
        with transaction.atomic():
            expected = list(Alert.objects.select_for_update().filter(patient=patient).active())
            got = ACTIVE_ALERTS.fetch(patient.pk)
        assert [values(a) for a in got] == [values(a) for a in expected]
        assert all(a._state.adding is False and a._state.db == "default" for a in got)
    assert {a.kind for a in ACTIVE_ALERTS.fetch(first.pk)} == {"gi", "ild"}


def test_open_followups_and_infusions_are_the_querysets(patients):
    first, second = patients
    now = timezone.now()
    for n, code in enumerate(("a", "b", "c")):
        FollowUp.objects.create(
            patient=first,
            code=code,
            terms=["diarrhea"],
            reason=code,
            due_at=now + timedelta(hours=3 - n),
            resolved_at=now if code == "b" else None,
        )
    expected = list(first.followups.open())
    got = _open_followups(first)
    assert [values(f) for f in got] == [values(f) for f in expected] and len(got) == 2
    assert all(f.patient is first for f in got)  # as the related manager leaves them
    assert _open_followups(second) == []
    course = first.current_course()
    for day in (date(2026, 1, 21), date(2026, 1, 1), date(2026, 2, 11)):
        Infusion.objects.create(course=course, given_on=day, dose_level=course.dose_level)
    expected_infusions = list(Infusion.objects.filter(course_id=course.pk))
    assert [values(i) for i in _INFUSIONS.fetch(course.pk)] == [
        values(i) for i in expected_infusions
    ]
    assert _INFUSIONS.fetch(second.current_course().pk) == []


def test_only_plain_querysets_compile(patients):
    joined = CompiledQuery(lambda pk: Patient.objects.select_related("clinic").filter(pk=pk))
    with pytest.raises(RuntimeError):
        joined.fetch(patients[0].pk)
    constant = CompiledQuery(lambda pk: Patient.objects.filter(pk=5))
    with pytest.raises(RuntimeError):
        constant.fetch(patients[0].pk)
