from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import AppendOnlyError, DiaryEntry, EntryGrade
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/entries/"


@pytest.fixture
def clinic():
    return make_clinic()


@pytest.fixture
def patient_client(clinic):
    return enrolled_client(clinic)


def test_first_post_is_201_with_grades_advice_and_alert_level(patient_client):
    patient, client = patient_client
    body = entry_body(
        symptoms={
            "diarrhea": {"stools_over_baseline": 5, "adl": "instrumental"},
            "fever": {"temp_c": 37.2},
            "rash_acneiform": {},
        },
        medications={"loperamide_mg": 8},
        note="after lunch",
    )
    response = client.post(ENTRIES, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["id"] == body["id"]
    assert data["recorded_at"] == body["recorded_at"]  # the phone's offset is kept
    assert data["medications"] == {"loperamide_mg": 8.0}
    assert data["note"] == "after lunch"
    diarrhea = data["grades"]["diarrhea"]
    assert diarrhea["grade"] == 2
    assert diarrhea["status"] == "graded"
    assert diarrhea["ctcae_version"] == "5.0"
    assert "Limiting instrumental ADL" in diarrhea["criteria"]
    assert data["grades"]["fever"]["grade"] == 0
    assert data["grades"]["rash_acneiform"]["status"] == "insufficient"
    assert data["grades"]["rash_acneiform"]["missing"] == ["bsa_pct"]
    assert data["alert_level"] in {"green", "amber", "red"}
    assert any(a["term"] == "diarrhea" and a["level"] == "amber" for a in data["advice"])
    stored = DiaryEntry.objects.get(pk=body["id"])
    assert stored.patient == patient
    assert EntryGrade.objects.filter(entry=stored).count() == 3


def test_replay_with_the_same_body_is_200_with_the_stored_entry(patient_client):
    _, client = patient_client
    body = entry_body()
    first = client.post(ENTRIES, body, format="json")
    again = client.post(ENTRIES, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert DiaryEntry.objects.count() == 1


def test_same_id_with_a_different_body_is_422_id_conflict(patient_client):
    _, client = patient_client
    body = entry_body()
    client.post(ENTRIES, body, format="json")
    changed = {**body, "symptoms": {"diarrhea": {"stools_over_baseline": 3}}}
    response = client.post(ENTRIES, changed, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "id_conflict"
    assert DiaryEntry.objects.get().symptoms == body["symptoms"]


def test_another_patients_id_is_a_conflict_not_a_leak(clinic, patient_client):
    _, client = patient_client
    _, other_client = enrolled_client(clinic)
    body = entry_body()
    other_client.post(ENTRIES, body, format="json")
    response = client.post(ENTRIES, body, format="json")
    assert response.status_code == 422
    assert "symptoms" not in response.json()


@pytest.mark.parametrize(
    "change,field",
    [
        ({"symptoms": {"headache_ache": {"pain_severity": "mild"}}}, "symptoms.headache_ache"),
        ({"symptoms": {"diarrhea": {"stools": 3}}}, "symptoms.diarrhea.stools"),
        (
            {"symptoms": {"diarrhea": {"stools_over_baseline": "3"}}},
            "symptoms.diarrhea.stools_over_baseline",
        ),
        (
            {"symptoms": {"diarrhea": {"stools_over_baseline": 99}}},
            "symptoms.diarrhea.stools_over_baseline",
        ),
        (
            {"symptoms": {"diarrhea": {"stools_over_baseline": 2.5}}},
            "symptoms.diarrhea.stools_over_baseline",
        ),
        ({"symptoms": {"diarrhea": {"hospitalized": 1}}}, "symptoms.diarrhea.hospitalized"),
        ({"symptoms": {"diarrhea": {"adl": "sometimes"}}}, "symptoms.diarrhea.adl"),
        ({"symptoms": {"diarrhea": [1, 2]}}, "symptoms.diarrhea"),
        ({"symptoms": {"alt_increased": {"alt_x_uln": 4}}}, "symptoms.alt_increased"),
        ({"symptoms": ["diarrhea"]}, "symptoms"),
        ({"recorded_at": "2026-11-23T08:30:00"}, "recorded_at"),
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"id": "not-a-uuid"}, "id"),
        ({"medications": {"loperamide_mg": -2}}, "medications.loperamide_mg"),
        ({"medications": {"tki_doses_missed": True}}, "medications.tki_doses_missed"),
        ({"medications": {"aspirin": 1}}, "medications.aspirin"),
        ({"mood": "fine"}, "mood"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_input_is_400_with_field_messages_and_nothing_is_stored(patient_client, change, field):
    _, client = patient_client
    body = {**entry_body(), **change}
    response = client.post(ENTRIES, body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid"
    assert field in data["fields"], data["fields"]
    assert all(isinstance(m, str) for messages in data["fields"].values() for m in messages)
    assert DiaryEntry.objects.count() == 0
    assert EntryGrade.objects.count() == 0


def test_missing_required_fields_are_named(patient_client):
    _, client = patient_client
    response = client.post(ENTRIES, {}, format="json")
    assert response.status_code == 400
    assert {"id", "recorded_at"} <= set(response.json()["fields"])


def test_recorded_more_than_5_minutes_ahead_is_refused(patient_client):
    _, client = patient_client
    ahead = entry_body(recorded_at=timezone.now() + timedelta(minutes=6))
    assert client.post(ENTRIES, ahead, format="json").status_code == 400
    slightly = entry_body(recorded_at=timezone.now() + timedelta(minutes=4))
    assert client.post(ENTRIES, slightly, format="json").status_code == 201


def test_an_entry_with_nothing_in_it_is_refused(patient_client):
    _, client = patient_client
    response = client.post(ENTRIES, entry_body(symptoms={}), format="json")
    assert response.status_code == 400


def test_non_object_bodies_are_400_not_500(patient_client):
    _, client = patient_client
    payloads: list[object] = [[], "text", 5, None]
    for payload in payloads:
        response = client.post(ENTRIES, payload, format="json")
        assert response.status_code == 400, payload


def test_list_is_newest_first_and_since_filters(patient_client):
    _, client = patient_client
    now = timezone.now()
    bodies = [entry_body(recorded_at=now - timedelta(days=d)) for d in (3, 1, 2)]
    for body in bodies:
        assert client.post(ENTRIES, body, format="json").status_code == 201
    listed = client.get(ENTRIES).json()["results"]
    assert [e["id"] for e in listed] == [bodies[1]["id"], bodies[2]["id"], bodies[0]["id"]]
    since = (now - timedelta(days=2, hours=1)).isoformat()
    recent = client.get(ENTRIES, {"since": since}).json()["results"]
    assert [e["id"] for e in recent] == [bodies[1]["id"], bodies[2]["id"]]
    assert client.get(ENTRIES, {"since": "last week"}).status_code == 400


def test_list_is_paginated(patient_client):
    _, client = patient_client
    now = timezone.now()
    for minutes in range(1, 6):
        body = entry_body(recorded_at=now - timedelta(minutes=minutes))
        client.post(ENTRIES, body, format="json")
    page = client.get(ENTRIES, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    seen = [e["id"] for e in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [e["id"] for e in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_detail_and_another_patients_entry_is_404(clinic, patient_client):
    _, client = patient_client
    _, other_client = enrolled_client(clinic)
    mine = entry_body()
    theirs = entry_body()
    client.post(ENTRIES, mine, format="json")
    other_client.post(ENTRIES, theirs, format="json")
    assert client.get(f"{ENTRIES}{mine['id']}/").json()["id"] == mine["id"]
    response = client.get(f"{ENTRIES}{theirs['id']}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"{ENTRIES}{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{ENTRIES}not-a-uuid/").status_code == 404
    assert theirs["id"] not in [e["id"] for e in client.get(ENTRIES).json()["results"]]


def test_a_correction_is_a_new_entry_and_the_original_is_kept(patient_client):
    _, client = patient_client
    original = entry_body(symptoms={"diarrhea": {"stools_over_baseline": 8}})
    client.post(ENTRIES, original, format="json")
    correction = entry_body(
        symptoms={"diarrhea": {"stools_over_baseline": 3}}, corrects=original["id"]
    )
    response = client.post(ENTRIES, correction, format="json")
    assert response.status_code == 201
    assert response.json()["corrects"] == original["id"]
    assert (
        DiaryEntry.objects.get(pk=original["id"]).symptoms["diarrhea"]["stools_over_baseline"] == 8
    )


def test_a_correction_must_point_at_your_own_entry(clinic, patient_client):
    _, client = patient_client
    _, other_client = enrolled_client(clinic)
    theirs = entry_body()
    other_client.post(ENTRIES, theirs, format="json")
    response = client.post(ENTRIES, entry_body(corrects=theirs["id"]), format="json")
    assert response.status_code == 400
    assert "corrects" in response.json()["fields"]
    assert DiaryEntry.objects.count() == 1


def test_stored_entries_cannot_be_changed_or_deleted(patient_client):
    _, client = patient_client
    body = entry_body()
    client.post(ENTRIES, body, format="json")
    entry = DiaryEntry.objects.get(pk=body["id"])
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_a_carer_may_answer_for_the_patient(patient_client):
    _, client = patient_client
    response = client.post(ENTRIES, entry_body(reporter="carer"), format="json")
    assert response.json()["reporter"] == "carer"


def test_medications_are_stored_and_returned(patient_client):
    _, client = patient_client
    meds = {
        "loperamide_mg": 4,
        "tki_doses_taken": 1,
        "tki_doses_missed": 1,
        "tki_dose_vomited": True,
        "missed_dose_reason": "felt sick",
    }
    response = client.post(ENTRIES, entry_body(medications=meds), format="json")
    assert response.status_code == 201
    assert response.json()["medications"] == {**meds, "loperamide_mg": 4.0}


def test_a_clinic_can_reword_the_advice_of_an_alert_kind_at_its_level(clinic, patient_client):
    from diary.models import AdviceOverride

    _, client = patient_client
    AdviceOverride.objects.create(
        clinic=clinic, term="gi", level="amber", text="Call the GI nurse line on 1234."
    )
    body = entry_body(symptoms={"diarrhea": {"stools_over_baseline": 5}})
    data = client.post(ENTRIES, body, format="json").json()
    assert data["advice"] == [
        {"term": "diarrhea", "level": "amber", "text": "Call the GI nurse line on 1234."}
    ]
    assert data["advice_summary"]["level"] == "amber"


def test_a_clinic_override_never_makes_a_red_answer_calmer(clinic, patient_client):
    # Only the wording of the kind changes: the level comes from the evaluation and the summary
    # with the call-now and emergency-number lines is not overridable (reference §5.8).
    from diary.models import AdviceOverride

    _, client = patient_client
    AdviceOverride.objects.create(clinic=clinic, term="fever", level="red", text="Rest at home.")
    AdviceOverride.objects.create(clinic=clinic, term="fever", level="green", text="All fine.")
    data = client.post(ENTRIES, entry_body(symptoms={"fever": {"temp_c": 38.1}}), format="json")
    body = data.json()
    assert body["alert_level"] == "red"
    assert body["advice"] == [{"term": "fever", "level": "red", "text": "Rest at home."}]
    assert body["advice_summary"]["level"] == "red"
    assert "24-hour line (+33 1 00 00) now" in body["advice_summary"]["text"]
    assert "emergency number" in body["advice_summary"]["text"]


def test_fever_advice_is_urgent_and_names_the_24_hour_line(patient_client):
    _, client = patient_client
    body = entry_body(symptoms={"fever": {"temp_c": 38.1}})
    data = client.post(ENTRIES, body, format="json").json()
    assert data["alert_level"] == "red"
    fever = next(a for a in data["advice"] if a["term"] == "fever")
    assert fever["level"] == "red"
    assert "paracetamol" in fever["text"]
    assert "24-hour line (+33 1 00 00) now" in data["advice_summary"]["text"]
