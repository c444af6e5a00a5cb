"""The questionnaire API: what is due, responses (idempotent, branching enforced, scored on the
server), the patient's own list and trends, item texts, and devices."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from diary import instruments, questionnaires
from diary.models import (
    Device,
    Infusion,
    InstrumentText,
    QuestionnaireResponse,
    QuestionnaireSchedule,
)
from tests.helpers import enrolled_client, make_clinic, response_body

pytestmark = pytest.mark.django_db

TDXD = "trastuzumab_deruxtecan"


@pytest.fixture
def clinic():
    return make_clinic()


def local_today(patient) -> date:
    return instruments.local_day(timezone.now(), patient.timezone)


def restart_schedules(patient, days_ago: int = 0, **fields) -> None:
    """Make the patient's occasions fall on known local days (today minus ``days_ago``)."""
    QuestionnaireSchedule.objects.filter(patient=patient).update(
        starts_on=local_today(patient) - timedelta(days=days_ago), **fields
    )


def proctcae_zero_answers(code: str) -> dict[str, int]:
    return {i.code: 0 for i in instruments.get(code).items if i.enable_when is None}


# --- schedules and what is due --------------------------------------------------------------


def test_enrolment_gives_the_drugs_default_schedules(clinic):
    patient, _ = enrolled_client(clinic, TDXD)
    schedules = {s.instrument: s for s in patient.questionnaire_schedules.all()}
    assert set(schedules) == {"qlq_c30", "qlq_lc13", "proctcae_tdxd", "qol_rating", "ecog_self"}
    assert schedules["qlq_c30"].cadence_days == 21
    assert schedules["qlq_c30"].anchor == "infusion"
    assert schedules["proctcae_tdxd"].cadence_days == 7


def test_creating_default_schedules_again_adds_only_what_is_missing(clinic):
    patient, _ = enrolled_client(clinic, "zongertinib")
    QuestionnaireSchedule.objects.filter(patient=patient, instrument="qol_rating").delete()
    QuestionnaireSchedule.objects.filter(patient=patient, instrument="qlq_c30").update(
        cadence_days=14
    )
    created = questionnaires.create_default_schedules(
        patient=patient, course=patient.current_course()
    )
    assert [s.instrument for s in created] == ["qol_rating"]
    assert patient.questionnaire_schedules.get(instrument="qlq_c30").cadence_days == 14


def test_everything_is_due_on_the_first_day_with_its_definition(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient)
    response = client.get("/api/v1/questionnaires/due/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5
    due = {d["instrument"]: d for d in data["results"]}
    assert set(due) == {"qlq_c30", "qlq_lc13", "proctcae_zongertinib", "qol_rating", "ecog_self"}
    qol = due["qol_rating"]
    assert qol["state"] == "due"
    assert qol["due_on"] == local_today(patient).isoformat()
    assert qol["window_opens_at"].startswith(local_today(patient).isoformat())
    items = {i["code"]: i for i in due["proctcae_zongertinib"]["definition"]["items"]}
    assert items["PROCTCAE_9B"]["enable_when"] == {"item": "PROCTCAE_9A", "greater_than": 0}
    assert items["PROCTCAE_9A"]["answers"][0] == {"value": 0, "text": "Never"}
    assert client.get("/api/v1/me/").json()["questionnaires_due"] == 5


def test_an_occasion_past_its_day_is_overdue_and_gone_once_the_window_closes(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient, days_ago=2)
    due = {d["instrument"]: d for d in client.get("/api/v1/questionnaires/due/").json()["results"]}
    assert due["qol_rating"]["state"] == "overdue"
    restart_schedules(patient, days_ago=4)  # 3 days to answer: every window closed yesterday
    assert client.get("/api/v1/questionnaires/due/").json() == {"count": 0, "results": []}
    assert client.get("/api/v1/me/").json()["questionnaires_due"] == 0


def test_an_inactive_schedule_asks_nothing(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient)
    QuestionnaireSchedule.objects.filter(patient=patient).exclude(instrument="ecog_self").update(
        active=False
    )
    due = client.get("/api/v1/questionnaires/due/").json()
    assert [d["instrument"] for d in due["results"]] == ["ecog_self"]


def test_licensed_items_show_their_code_until_the_clinic_loads_the_wording(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient)

    def c30_item(language: str | None = None) -> dict:
        headers = {"Accept-Language": language} if language else {}
        due = client.get("/api/v1/questionnaires/due/", headers=headers).json()["results"]
        c30 = next(d for d in due if d["instrument"] == "qlq_c30")
        return c30["definition"]["items"][0]

    item = c30_item()
    assert (item["code"], item["text"], item["text_loaded"]) == ("Q1", "Q1", False)
    assert item["answers"][0] == {"value": 1, "text": "1"}
    questionnaires.load_texts(
        instrument="qlq_c30", language="fr", texts={"Q1": "Texte de Q1", "eortc_4.1": "Pas du tout"}
    )
    french = c30_item("fr-FR,fr;q=0.9,en;q=0.5")
    assert (french["text"], french["text_loaded"]) == ("Texte de Q1", True)
    assert french["answers"][0]["text"] == "Pas du tout"
    assert c30_item("de")["text"] == "Q1"  # no German loaded, no English either: the code


def test_our_own_items_ship_their_wording(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient)
    due = client.get("/api/v1/questionnaires/due/").json()["results"]
    qol = next(d for d in due if d["instrument"] == "qol_rating")["definition"]["items"][0]
    assert qol["text_loaded"] and "quality of life" in qol["text"]
    assert qol["answers"][10]["text"] == "10 (best possible)"


def test_t_dxd_questionnaires_fall_due_three_days_before_the_next_infusion(clinic):
    patient, _ = enrolled_client(clinic, TDXD, timezone_name="Asia/Tokyo")
    course = patient.current_course()
    assert course is not None
    now = datetime(2026, 3, 13, 1, 0, tzinfo=UTC)  # 10:00 on 13 March in Tokyo
    QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=date(2026, 1, 5))
    for day in (date(2026, 1, 5), date(2026, 1, 26), date(2026, 2, 23)):
        Infusion.objects.create(course=course, given_on=day, dose_level="5.4_mg_kg")
    due = {d.instrument.code: d for d in questionnaires.due_occasions(patient=patient, now=now)}
    assert due["qlq_c30"].occasion.due_on == date(2026, 3, 16)  # 21 days after 23 February
    assert due["qlq_c30"].state == "due"
    assert due["qlq_c30"].opens_at.isoformat() == "2026-03-13T00:00:00+09:00"


def test_due_states_follow_the_patients_own_time_zone(clinic):
    paris, _ = enrolled_client(clinic, "zongertinib", timezone_name="Europe/Paris")
    new_york, _ = enrolled_client(clinic, "zongertinib", timezone_name="America/New_York")
    for patient in (paris, new_york):
        QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=date(2026, 3, 2))
    now = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # Paris: 9 March 00:30; New York: 8 March
    in_paris = {d.instrument.code for d in questionnaires.due_occasions(patient=paris, now=now)}
    in_new_york = {
        d.instrument.code for d in questionnaires.due_occasions(patient=new_york, now=now)
    }
    assert "qol_rating" in in_paris
    assert "qol_rating" not in in_new_york


def test_a_window_across_the_clock_change_closes_at_local_midnight(clinic):
    patient, _ = enrolled_client(clinic, "zongertinib", timezone_name="Europe/Paris")
    QuestionnaireSchedule.objects.filter(patient=patient).update(starts_on=date(2026, 3, 29))
    # 1 April 23:30 in Paris (summer time, UTC+2) is still inside the window of 29 March...
    late = datetime(2026, 4, 1, 21, 30, tzinfo=UTC)
    due = {d.instrument.code: d for d in questionnaires.due_occasions(patient=patient, now=late)}
    assert due["qol_rating"].state == "overdue"
    assert due["qol_rating"].closes_at.isoformat() == "2026-04-02T00:00:00+02:00"
    # ...and 2 April 00:30 local (22:30 UTC) is not.
    after = datetime(2026, 4, 1, 22, 30, tzinfo=UTC)
    assert "qol_rating" not in {
        d.instrument.code for d in questionnaires.due_occasions(patient=patient, now=after)
    }


def test_completion_tracking_marks_answered_and_missed_occasions(clinic):
    patient, client = enrolled_client(clinic, "zongertinib", timezone_name="Europe/Paris")
    today = local_today(patient)
    restart_schedules(patient, days_ago=14)
    body = response_body(completed_at=timezone.now() - timedelta(minutes=1))
    assert client.post("/api/v1/questionnaires/responses/", body, format="json").status_code == 201
    schedule = patient.questionnaire_schedules.get(instrument="qol_rating")
    history = questionnaires.completion(
        schedule=schedule, start=today - timedelta(days=14), end=today + timedelta(days=7)
    )
    assert [(o.due_on - today).days for o in history] == [-14, -7, 0, 7]
    assert [o.state for o in history] == ["missed", "missed", "completed", "upcoming"]


def test_clinic_completion_counts_answered_missed_and_open_occasions_per_patient(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    other_clinic_patient, _ = enrolled_client(make_clinic("ELSE"), "zongertinib")
    today = local_today(patient)
    restart_schedules(patient, days_ago=15)
    restart_schedules(other_clinic_patient, days_ago=15)
    # Weekly QoL rating due 15, 8 and 1 days ago (window: the due day and 3 days after).
    # Answered 14 days ago (in the first window); the second window closed unanswered; the third
    # is still open.
    body = response_body(completed_at=timezone.now() - timedelta(days=14))
    assert client.post("/api/v1/questionnaires/responses/", body, format="json").status_code == 201
    rows = questionnaires.clinic_completion(
        clinic_id=clinic.pk, start=today - timedelta(days=15), end=today
    )
    assert {row.subject_id for row in rows} == {patient.subject_id}
    qol = next(row for row in rows if row.instrument == "qol_rating")
    assert (qol.completed, qol.missed, qol.open, qol.percent) == (1, 1, 1, 50)
    # The same figures as the one-patient completion tracking.
    schedule = patient.questionnaire_schedules.get(instrument="qol_rating")
    states = [
        o.state
        for o in questionnaires.completion(
            schedule=schedule, start=today - timedelta(days=15), end=today
        )
    ]
    assert states == ["completed", "missed", "overdue"]
    never = next(row for row in rows if row.instrument == "ecog_self")
    assert (never.completed, never.missed, never.open, never.percent) == (0, 2, 1, 0)


def test_clinic_completion_takes_four_queries_whatever_the_number_of_patients(
    clinic, django_assert_num_queries
):
    today = timezone.localdate()
    with django_assert_num_queries(4):
        assert questionnaires.clinic_completion(clinic_id=clinic.pk, start=today, end=today) == []
    for _ in range(3):
        enrolled_client(clinic, "trastuzumab_deruxtecan")
    with django_assert_num_queries(4):
        rows = questionnaires.clinic_completion(
            clinic_id=clinic.pk, start=today - timedelta(days=30), end=today
        )
    assert len({row.subject_id for row in rows}) == 3


# --- responses ------------------------------------------------------------------------------


def test_a_response_is_scored_on_the_server_and_fulfils_the_occasion(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient)
    answers = {f"Q{n}": 1 for n in range(1, 29)} | {"Q29": 7, "Q30": 7, "Q8": 3}
    response = client.post(
        "/api/v1/questionnaires/responses/",
        response_body("qlq_c30", answers, version="3.0"),
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["version"] == "3.0"
    assert data["due_on"] == local_today(patient).isoformat()
    assert data["scores"]["DY"] == pytest.approx(66.6667, abs=1e-4)  # (3 - 1) / 3 * 100
    assert data["scores"]["PF2"] == 100
    stored = QuestionnaireResponse.objects.get(pk=data["id"])
    assert stored.answers == answers
    assert stored.scores["QL2"] == 100
    due = client.get("/api/v1/questionnaires/due/").json()["results"]
    assert "qlq_c30" not in [d["instrument"] for d in due]


def test_the_same_response_sent_twice_is_a_replay(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    body = response_body()
    first = client.post("/api/v1/questionnaires/responses/", body, format="json")
    again = client.post("/api/v1/questionnaires/responses/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert QuestionnaireResponse.objects.count() == 1


def test_a_replay_with_the_version_spelled_out_is_still_a_replay(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    body = response_body()
    assert client.post("/api/v1/questionnaires/responses/", body, format="json").status_code == 201
    explicit = {**body, "version": "1"}
    assert (
        client.post("/api/v1/questionnaires/responses/", explicit, format="json").status_code == 200
    )


def test_the_same_id_with_other_answers_is_an_id_conflict(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    body = response_body()
    client.post("/api/v1/questionnaires/responses/", body, format="json")
    changed = {**body, "answers": {"QOL": 3}}
    response = client.post("/api/v1/questionnaires/responses/", changed, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "id_conflict"
    assert QuestionnaireResponse.objects.get().answers == {"QOL": 7}


def test_another_patients_response_id_is_a_conflict_that_reveals_nothing(clinic):
    _, owner = enrolled_client(clinic, "zongertinib")
    _, other = enrolled_client(clinic, "zongertinib")
    body = response_body()
    owner.post("/api/v1/questionnaires/responses/", body, format="json")
    response = other.post("/api/v1/questionnaires/responses/", body, format="json")
    assert response.status_code == 422
    assert "QOL" not in response.content.decode()


def test_a_follow_up_answered_after_never_is_a_400_and_nothing_is_stored(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    answers = {**proctcae_zero_answers("proctcae_zongertinib"), "PROCTCAE_9B": 2}
    response = client.post(
        "/api/v1/questionnaires/responses/",
        response_body("proctcae_zongertinib", answers),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["answers.PROCTCAE_9B"]
    assert not QuestionnaireResponse.objects.exists()


def test_a_missing_follow_up_is_a_400_with_its_field(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    answers = {**proctcae_zero_answers("proctcae_zongertinib"), "PROCTCAE_9A": 3}
    response = client.post(
        "/api/v1/questionnaires/responses/",
        response_body("proctcae_zongertinib", answers),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"answers.PROCTCAE_9B": ["Answer this question."]}


def test_pro_ctcae_responses_carry_composite_grades(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    answers = {
        **proctcae_zero_answers("proctcae_zongertinib"),
        "PROCTCAE_9A": 3,
        "PROCTCAE_9B": 3,
        "PROCTCAE_16A": 3,
    }
    response = client.post(
        "/api/v1/questionnaires/responses/",
        response_body("proctcae_zongertinib", answers),
        format="json",
    )
    assert response.status_code == 201, response.content
    scores = response.json()["scores"]
    assert scores["nausea"] == 3
    assert scores["diarrhea"] == 2  # frequency only: Frequently -> 2
    assert scores["fatigue"] == 0


@pytest.mark.parametrize(
    "change,field",
    [
        ({"instrument": "proctcae_tdxd"}, "instrument"),  # not this patient's questionnaire
        ({"instrument": "sf36"}, "instrument"),
        ({"version": "9"}, "version"),
        ({"answers": {"QOL": 11}}, "answers.QOL"),
        ({"answers": {"QOL": "7"}}, "answers.QOL"),
        ({"answers": {"QOL": 7, "Q1": 1}}, "answers.Q1"),
        ({"answers": {}}, "answers.QOL"),
        ({"answers": [7]}, "answers"),
        ({"completed_at": "2026-03-01T10:00:00"}, "completed_at"),
        ({"completed_at": "2999-01-01T10:00:00+00:00"}, "completed_at"),
        ({"id": "not-a-uuid"}, "id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_responses_are_400_with_the_field_named(clinic, change, field):
    _, client = enrolled_client(clinic, "zongertinib")
    response = client.post(
        "/api/v1/questionnaires/responses/", {**response_body(), **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not QuestionnaireResponse.objects.exists()


def test_a_response_outside_any_window_is_stored_unscheduled(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    restart_schedules(patient, days_ago=5)  # weekly occasion closed 2 days ago
    response = client.post("/api/v1/questionnaires/responses/", response_body(), format="json")
    assert response.status_code == 201
    assert response.json()["due_on"] is None


def test_responses_are_listed_newest_first_with_cursor_pages_since_and_instrument(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    now = timezone.now()
    bodies = [
        response_body(completed_at=now - timedelta(days=d), answers={"QOL": d}) for d in range(4)
    ]
    bodies.append(response_body("ecog_self", {"ECOG": 1}, completed_at=now - timedelta(hours=1)))
    for body in bodies:
        assert (
            client.post("/api/v1/questionnaires/responses/", body, format="json").status_code == 201
        )
    page = client.get("/api/v1/questionnaires/responses/?page_size=2&instrument=qol_rating").json()
    assert [r["answers"]["QOL"] for r in page["results"]] == [0, 1]
    following = client.get(page["next"]).json()
    assert [r["answers"]["QOL"] for r in following["results"]] == [2, 3]
    since = (now - timedelta(days=1, hours=1)).isoformat()
    recent = client.get("/api/v1/questionnaires/responses/", {"since": since}).json()
    assert len(recent["results"]) == 3  # QOL 0 and 1, and the ECOG
    bad = client.get("/api/v1/questionnaires/responses/", {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["fields"]


def test_a_response_is_read_back_by_its_owner_only(clinic):
    _, owner = enrolled_client(clinic, "zongertinib")
    _, other = enrolled_client(clinic, "zongertinib")
    body = response_body()
    owner.post("/api/v1/questionnaires/responses/", body, format="json")
    assert owner.get(f"/api/v1/questionnaires/responses/{body['id']}/").status_code == 200
    assert other.get(f"/api/v1/questionnaires/responses/{body['id']}/").status_code == 404
    assert other.get("/api/v1/questionnaires/responses/").json()["results"] == []
    missing = uuid.uuid4()
    assert owner.get(f"/api/v1/questionnaires/responses/{missing}/").status_code == 404


def test_responses_are_append_only(clinic):
    from diary.models import AppendOnlyError

    _, client = enrolled_client(clinic, "zongertinib")
    client.post("/api/v1/questionnaires/responses/", response_body(), format="json")
    stored = QuestionnaireResponse.objects.get()
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.delete()


# --- trends ---------------------------------------------------------------------------------


def test_trends_give_the_patients_own_scores_oldest_first(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    _, other = enrolled_client(clinic, "zongertinib")
    now = timezone.now()
    for days, rating in ((14, 4), (7, 6), (0, 8)):
        body = response_body(completed_at=now - timedelta(days=days, minutes=5),
                             answers={"QOL": rating})  # fmt: skip
        client.post("/api/v1/questionnaires/responses/", body, format="json")
    other.post("/api/v1/questionnaires/responses/", response_body(answers={"QOL": 0}),
               format="json")  # fmt: skip
    data = client.get("/api/v1/questionnaires/trends/").json()
    [qol] = data["instruments"]
    assert qol["instrument"] == "qol_rating"
    [scale] = qol["scales"]
    assert scale["code"] == "QOL" and scale["higher_is_better"] is True
    assert [p["value"] for p in scale["points"]] == [4, 6, 8]
    since = (now - timedelta(days=8)).isoformat()
    recent = client.get("/api/v1/questionnaires/trends/", {"since": since}).json()
    assert [p["value"] for p in recent["instruments"][0]["scales"][0]["points"]] == [6, 8]
    none = client.get("/api/v1/questionnaires/trends/", {"instrument": "qlq_c30"}).json()
    assert none == {"instruments": []}


def test_trends_leave_out_scales_that_could_not_be_scored(clinic):
    _, client = enrolled_client(clinic, "zongertinib")
    client.post(
        "/api/v1/questionnaires/responses/",
        response_body("qlq_c30", {"Q29": 4, "Q30": 4}),
        format="json",
    )
    [c30] = client.get("/api/v1/questionnaires/trends/").json()["instruments"]
    assert [s["code"] for s in c30["scales"]] == ["QL2"]
    assert c30["scales"][0]["points"][0]["value"] == pytest.approx(50)


# --- item texts -----------------------------------------------------------------------------


def test_texts_load_from_a_json_file_and_unknown_codes_load_nothing(clinic, tmp_path):
    good = tmp_path / "c30-en.json"
    good.write_text('{"instrument": "qlq_c30", "language": "en", "texts": {"Q1": "One"}}')
    out = StringIO()
    call_command("load_instrument_texts", str(good), stdout=out)
    assert "1 text" in out.getvalue() and "One" not in out.getvalue()
    assert InstrumentText.objects.get(code="Q1").text == "One"
    bad = tmp_path / "bad.json"
    bad.write_text('{"instrument": "qlq_c30", "language": "en", "texts": {"Q1": "Un", "Q99": "?"}}')
    with pytest.raises(CommandError, match="Q99"):
        call_command("load_instrument_texts", str(bad))
    assert InstrumentText.objects.get(code="Q1").text == "One"


def test_the_language_preference_is_read_from_accept_language():
    assert questionnaires.languages_from("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5") == [
        "fr-ch",
        "fr",
        "en",
    ]
    assert questionnaires.languages_from(None) == ["en"]
    assert questionnaires.languages_from("de;q=0.5,es") == ["es", "de", "en"]
    assert questionnaires.languages_from("en;q=bad") == ["en"]


# --- devices --------------------------------------------------------------------------------


def test_a_phone_registers_once_and_registering_again_refreshes_it(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    body = {"platform": "fcm", "token": "fcm-token-123456"}
    first = client.post("/api/v1/devices/", body, format="json")
    again = client.post("/api/v1/devices/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert "token" not in first.json()
    assert Device.objects.get().patient == patient


def test_a_token_signed_in_by_another_patient_moves_to_them(clinic):
    _, first = enrolled_client(clinic, "zongertinib")
    second_patient, second = enrolled_client(clinic, "zongertinib")
    body = {"platform": "apns", "token": "a" * 64}
    first.post("/api/v1/devices/", body, format="json")
    assert second.post("/api/v1/devices/", body, format="json").status_code == 200
    assert Device.objects.get().patient == second_patient


def test_unregistering_forgets_only_the_callers_phone(clinic):
    owner, owner_client = enrolled_client(clinic, "zongertinib")
    _, other_client = enrolled_client(clinic, "zongertinib")
    owner_client.post("/api/v1/devices/", {"platform": "fcm", "token": "tok-owner-1"},
                      format="json")  # fmt: skip
    gone = other_client.delete("/api/v1/devices/", {"token": "tok-owner-1"}, format="json")
    assert gone.status_code == 204
    assert Device.objects.filter(patient=owner).exists()
    assert (
        owner_client.delete("/api/v1/devices/", {"token": "tok-owner-1"}, format="json").status_code
        == 204
    )
    assert not Device.objects.exists()


def test_a_patient_keeps_at_most_five_phones(clinic):
    patient, client = enrolled_client(clinic, "zongertinib")
    for n in range(7):
        client.post("/api/v1/devices/", {"platform": "fcm", "token": f"token-{n:04d}"},
                    format="json")  # fmt: skip
    assert sorted(patient.devices.values_list("token", flat=True)) == [
        f"token-{n:04d}" for n in range(2, 7)
    ]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"platform": "sms", "token": "x" * 20}, "platform"),
        ({"platform": "fcm", "token": "short"}, "token"),
        ({"platform": "fcm"}, "token"),
        ({"platform": "fcm", "token": "x" * 20, "extra": 1}, "extra"),
    ],
)
def test_bad_device_registrations_are_400(clinic, body, field):
    _, client = enrolled_client(clinic, "zongertinib")
    response = client.post("/api/v1/devices/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_push_tokens_are_never_logged(clinic, caplog):
    _, client = enrolled_client(clinic, "zongertinib")
    token = "secret-push-token-" + uuid.uuid4().hex
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/devices/", {"platform": "fcm", "token": token}, format="json")
        client.delete("/api/v1/devices/", {"token": token}, format="json")
    assert "device registered" in caplog.text
    assert token not in caplog.text
