"""The typed seam between the diary and the alert pipeline (diary.evaluation, D43): the alerts
app registers raise_alerts as the one entries evaluator, its ReportOutcome becomes the entry's
alert_level, and without an evaluator every entry is green."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from alerts import lifecycle, pipeline
from alerts.models import Alert
from diary import evaluation
from diary.evaluation import ReportOutcome
from diary.models import DiaryEntry
from tests.helpers import enroll, make_clinic, make_staff, record_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient() -> Any:
    return enroll(make_clinic(), "trastuzumab_deruxtecan")[0]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[Any, ReportOutcome]]]:
    """The outcomes raise_alerts hands the diary, recorded as the seam passes them on."""
    seen: list[dict[Any, ReportOutcome]] = []

    def recording(**kwargs: Any) -> dict[Any, ReportOutcome]:
        outcomes = pipeline.raise_alerts(**kwargs)
        seen.append(outcomes)
        return outcomes

    monkeypatch.setattr(evaluation, "_evaluator", recording)
    yield seen


def test_the_alerts_app_registers_raise_alerts_as_the_one_evaluator() -> None:
    assert evaluation._evaluator is pipeline.raise_alerts
    evaluation.register_evaluator(pipeline.raise_alerts)  # the same again: nothing changes
    with pytest.raises(RuntimeError):
        evaluation.register_evaluator(lambda **kwargs: {})
    assert evaluation._evaluator is pipeline.raise_alerts


def test_a_red_entry_reports_its_level_kinds_and_rule_codes(patient, captured) -> None:
    entry = record_entry(patient, timezone.now(), {"hypoxia": {"spo2_rest": 86}})
    (outcomes,) = captured
    outcome = outcomes[entry.pk]
    assert outcome.level == "red" == entry.alert_level
    assert outcome.kinds == {"ild": "red"}
    assert "ild.red.spo2_rest_below_88" in outcome.codes
    assert DiaryEntry.objects.get(pk=entry.pk).alert_level == "red"


def test_a_green_entry_has_a_green_outcome_with_its_advice(patient, captured) -> None:
    entry = record_entry(patient, timezone.now(), {"fever": {"temp_c": 36.8}})
    ((entry_id, outcome),) = captured[0].items()
    assert entry_id == entry.pk
    assert (outcome.level, outcome.kinds, outcome.codes) == ("green", {}, ())
    assert outcome.advice["summary"]["level"] == "green"
    assert entry.alert_level == "green"
    assert DiaryEntry.objects.get(pk=entry.pk).advice == outcome.advice


def test_an_amber_folded_as_expected_is_green_but_keeps_its_rule_codes(captured) -> None:
    clinic = make_clinic()
    patient = enroll(clinic, "zongertinib")[0]
    record_entry(patient, timezone.now(), {"diarrhea": {"stools_over_baseline": 5}})
    alert = Alert.objects.get(patient=patient)
    lifecycle.mark_expected(alert_id=alert.pk, user=make_staff(clinic), days=7, reason="chronic")
    entry = record_entry(patient, timezone.now(), {"diarrhea": {"stools_over_baseline": 5}})
    outcome = captured[-1][entry.pk]
    assert (outcome.level, outcome.kinds, outcome.codes) == ("green", {}, ("gi.amber.diarrhea_g2",))
    assert outcome.advice["summary"]["level"] == "green"
    assert entry.alert_level == "green"
    assert Alert.objects.filter(patient=patient).count() == 1


def test_without_an_evaluator_every_entry_is_green(patient, monkeypatch) -> None:
    monkeypatch.setattr(evaluation, "_evaluator", None)
    entry = record_entry(patient, timezone.now(), {"hypoxia": {"spo2_rest": 86}})
    assert entry.alert_level == "green"
    assert DiaryEntry.objects.get(pk=entry.pk).alert_level == "green"
    assert not Alert.objects.exists()
