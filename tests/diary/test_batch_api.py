from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import DiaryEntry
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/entries/batch/"


@pytest.fixture
def patient_client():
    return enrolled_client(make_clinic())


def test_batch_results_come_in_the_order_sent_and_each_entry_stands_alone(patient_client):
    _, client = patient_client
    now = timezone.now()
    stored = entry_body(recorded_at=now - timedelta(hours=5))
    client.post("/api/v1/entries/", stored, format="json")
    new_late = entry_body(recorded_at=now - timedelta(hours=1))
    new_early = entry_body(recorded_at=now - timedelta(hours=9))
    invalid = entry_body(symptoms={"diarrhea": {"stools_over_baseline": -1}})
    conflict = {**stored, "note": "changed"}
    response = client.post(
        BATCH,
        {"entries": [new_late, stored, invalid, conflict, new_early, "junk"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "duplicate",
        "invalid",
        "conflict",
        "created",
        "invalid",
    ]
    assert [r["id"] for r in results[:5]] == [
        new_late["id"],
        stored["id"],
        invalid["id"],
        stored["id"],
        new_early["id"],
    ]
    assert "symptoms.diarrhea.stools_over_baseline" in results[2]["errors"]
    assert results[5]["id"] is None and results[5]["errors"]
    assert results[0]["errors"] == {}
    assert DiaryEntry.objects.count() == 3


def test_the_same_entry_twice_in_one_batch_is_created_then_duplicate(patient_client):
    _, client = patient_client
    body = entry_body()
    results = client.post(BATCH, {"entries": [body, body]}, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate"]


def test_more_than_100_entries_is_refused_whole(patient_client):
    _, client = patient_client
    response = client.post(BATCH, {"entries": [entry_body() for _ in range(101)]}, format="json")
    assert response.status_code == 400
    assert "entries" in response.json()["fields"]
    assert DiaryEntry.objects.count() == 0


@pytest.mark.parametrize(
    "payload", [{}, {"entries": []}, {"entries": "x"}, [], {"entries": [], "x": 1}]
)
def test_malformed_batches_are_400(patient_client, payload):
    _, client = patient_client
    response = client.post(BATCH, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_full_batch_of_100_is_stored(patient_client):
    _, client = patient_client
    now = timezone.now()
    bodies = [entry_body(recorded_at=now - timedelta(minutes=i + 1)) for i in range(100)]
    results = client.post(BATCH, {"entries": bodies}, format="json").json()["results"]
    assert {r["status"] for r in results} == {"created"}
    assert DiaryEntry.objects.count() == 100
