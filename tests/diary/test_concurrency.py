"""Races that only a real database with concurrent connections can show."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from diary import services
from diary.models import DiaryEntry, EntryGrade
from diary.serializers import EntryInSerializer
from tests.helpers import enroll, entry_body, make_clinic

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_same_entry_posted_concurrently_is_stored_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    patient, _ = enroll(make_clinic())
    body = entry_body(symptoms={"diarrhea": {"stools_over_baseline": 5}})
    serializer = EntryInSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    barrier = threading.Barrier(8)
    outcomes: list[Any] = []

    def post() -> None:
        try:
            barrier.wait()
            outcomes.append(services.submit_entry(patient=patient, data=dict(data)).created)
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 7 + [True], outcomes
    assert DiaryEntry.objects.count() == 1
    assert EntryGrade.objects.count() == 1


def _race(target: Any, count: int = 8) -> list[Any]:
    barrier = threading.Barrier(count)
    outcomes: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            outcomes.append(target())
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_the_same_questionnaire_response_posted_concurrently_is_stored_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from diary import questionnaires
    from diary.models import QuestionnaireResponse
    from diary.serializers import ResponseInSerializer
    from tests.helpers import response_body

    patient, _ = enroll(make_clinic())
    serializer = ResponseInSerializer(data=response_body())
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    outcomes = _race(
        lambda: questionnaires.submit_response(patient=patient, data=dict(data)).created
    )
    assert sorted(outcomes) == [False] * 7 + [True], outcomes
    assert QuestionnaireResponse.objects.count() == 1


def test_a_reminder_claimed_by_concurrent_runs_is_sent_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from datetime import UTC, date, datetime

    from diary import reminders
    from diary.models import Device, QuestionnaireSchedule
    from tests.helpers import RecordingPushBackend

    settings.TOXWATCH_PUSH_BACKEND = "tests.helpers.RecordingPushBackend"
    RecordingPushBackend.sent = []
    patient, _ = enroll(make_clinic())
    QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=date(2026, 3, 2))
    Device.objects.create(patient=patient, platform="fcm", token="race-token-1")
    now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    outcomes = _race(lambda: reminders.remind_patient(patient=patient, now=now))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len(RecordingPushBackend.sent) == 1
    RecordingPushBackend.sent = []
