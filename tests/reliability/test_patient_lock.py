"""Issue 12, finding 2: two alerting reports of one patient at once. The pipeline locks the
patient before it reads the context, so the second sees the first's follow-ups and markings
once the lock is released, and neither answers 5xx (D67)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections

from alerts.models import Alert
from diary.models import DiaryEntry, FollowUp
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)

LOW_RESTING_SPO2 = {"hypoxia": {"spo2_rest": 86}}  # RED "ild" on T-DXd, with a recheck follow-up
ROUNDS = 12


def race(clients: list[Any], bodies: list[Any], path: str) -> list[int]:
    barrier = threading.Barrier(len(clients))
    statuses: list[Any] = []

    def post(client: Any, body: Any) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(path, body, format="json").status_code)
        except Exception as exc:  # collected and asserted below
            statuses.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(clients, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/api/v1/entries/", "/api/v1/entries/batch/"])
def test_alerting_entries_of_one_patient_posted_at_once_are_all_stored_with_one_follow_up(
    tasks_in_process: None, path: str, caplog: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serialises writers at BEGIN)")
    clinic = make_clinic()
    for _ in range(ROUNDS):
        patient, client = enrolled_client(clinic, "trastuzumab_deruxtecan")
        # A carer's phone and the patient's: two clients of one patient.
        other = type(client)()
        other.credentials(**client._credentials)  # type: ignore[attr-defined]
        bodies = [entry_body(symptoms=LOW_RESTING_SPO2) for _ in range(2)]
        if path.endswith("batch/"):
            bodies = [{"entries": [body]} for body in bodies]
        statuses = race([client, other], bodies, path)
        assert statuses in ([201, 201], [200, 200]), statuses
        assert DiaryEntry.objects.filter(patient=patient).count() == 2
        assert Alert.objects.filter(patient=patient, kind="ild").count() == 1
        assert FollowUp.objects.filter(patient=patient, code="recheck_ild").count() == 1
    # Not saved by the retry of diary.services: the second read saw the first's follow-up.
    assert not [r for r in caplog.records if "constraint" in r.getMessage()]


def test_another_constraint_violated_twice_answers_503_busy_and_stores_nothing(
    tasks_in_process: None, monkeypatch: Any, caplog: Any
) -> None:
    from diary import services

    patient, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    calls = []

    def violate(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        raise IntegrityError("one_open_followup_per_patient_code")

    monkeypatch.setattr(services, "evaluate_entries", violate)
    body = entry_body(symptoms=LOW_RESTING_SPO2)
    response = client.post("/api/v1/entries/", body, format="json")
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "busy"
    assert response["Retry-After"] == "1"
    assert len(calls) == 2  # tried once more before answering
    batch = client.post("/api/v1/entries/batch/", {"entries": [body]}, format="json")
    assert batch.status_code == 503 and batch.json()["code"] == "busy"
    assert not DiaryEntry.objects.filter(patient=patient).exists()
    assert not any(record.exc_info for record in caplog.records)

    monkeypatch.undo()
    assert client.post("/api/v1/entries/", body, format="json").status_code == 201


def test_a_violation_lost_once_is_retried_and_stored(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    from diary import services

    patient, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    real = services.evaluate_entries
    calls = []

    def violate_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("one_open_followup_per_patient_code")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "evaluate_entries", violate_once)
    response = client.post("/api/v1/entries/", entry_body(symptoms=LOW_RESTING_SPO2), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["alert_level"] == "red"
    assert DiaryEntry.objects.filter(patient=patient).count() == 1


def test_a_questionnaire_response_that_violates_another_constraint_answers_503_busy(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    from diary import questionnaires
    from diary.models import QuestionnaireResponse
    from tests.alerts.test_response_alerts import answers_for
    from tests.helpers import response_body

    _, client = enrolled_client(make_clinic(), "zongertinib")

    def violate(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("one_open_followup_per_patient_code")

    monkeypatch.setattr(questionnaires, "evaluate_response", violate)
    body = response_body("proctcae_zongertinib", answers_for("proctcae_zongertinib"))
    response = client.post("/api/v1/questionnaires/responses/", body, format="json")
    assert response.status_code == 503, response.content
    assert (response.json()["code"], response["Retry-After"]) == ("busy", "1")
    assert not QuestionnaireResponse.objects.exists()
