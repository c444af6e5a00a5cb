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
