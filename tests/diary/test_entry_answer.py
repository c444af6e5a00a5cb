"""The answer to a stored entry is built without a ModelSerializer (issue 17, D85): it must be
exactly EntryOutSerializer's, key for key and in the same order, for every kind of entry."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from diary.models import DiaryEntry
from diary.serializers import EntryOutSerializer, entry_answer
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db

SYMPTOMS: list[dict[str, Any]] = [
    {"diarrhea": {"stools_over_baseline": 2}},
    {"diarrhea": {"stools_over_baseline": 7, "adl": "self_care"}},
    {"fever": {"temp_c": 38.6}},
    {"hypoxia": {"spo2_rest": 86}},
    {"fatigue": {"fatigue": True, "relieved_by_rest": False, "adl": "instrumental"}},
    {"dyspnea": {"sob_exertion": "moderate"}, "fever": {"temp_c": 36.9}},
    {},
]
MEDICATIONS: list[dict[str, Any] | None] = [
    None,
    {"loperamide_mg": 4},
    {"loperamide_mg": 2.5, "tki_doses_taken": 1, "tki_doses_missed": 0},
    {"tki_dose_vomited": True, "missed_dose_reason": "Felt sick."},
]
OFFSETS = [0, 60, -300, 330, 840]


def as_json(data: object) -> str:
    return json.dumps(data, sort_keys=False, default=str)


def test_the_answer_is_entry_out_serializers_for_many_entries():
    rng = random.Random(17)
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    answers = {}
    stored: list[str] = []
    for _ in range(40):
        offset = timezone.get_fixed_timezone(rng.choice(OFFSETS))
        when = timezone.now() - timedelta(minutes=rng.randint(1, 3000))
        body = entry_body(symptoms=rng.choice(SYMPTOMS))
        body["recorded_at"] = when.astimezone(offset).isoformat()
        meds = rng.choice(MEDICATIONS)
        if meds is not None:
            body["medications"] = meds
        if (not body["symptoms"] and meds is None) or rng.random() < 0.3:
            body["note"] = "A note."
        if rng.random() < 0.2:
            body["reporter"] = "carer"
        if stored and rng.random() < 0.2:
            body["corrects"] = rng.choice(stored)
        response = client.post("/api/v1/entries/", body, format="json")
        assert response.status_code == 201, response.content
        answers[body["id"]] = response.json()
        stored.append(body["id"])
        # A replay answers from the stored row, through the same function.
        replay = client.post("/api/v1/entries/", body, format="json")
        assert replay.status_code == 200 and replay.json() == response.json()
    levels = set()
    for entry in DiaryEntry.objects.filter(pk__in=stored).with_current_grades():
        expected = EntryOutSerializer(entry).data
        got = entry_answer(entry)
        assert as_json(got) == as_json(expected)  # same keys, order and values
        # The answer sent when the entry was stored (built from the objects in memory) is the
        # serializer's answer for the stored row.
        assert answers[str(entry.pk)] == json.loads(json.dumps(expected))
        levels.add(entry.alert_level)
    assert levels >= {"green", "red"}
