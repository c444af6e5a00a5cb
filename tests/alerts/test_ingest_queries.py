"""How many SQL queries storing diary entries costs (docs/performance.md, "Ingest").

The alert pipeline reads a patient's context once per call and writes its rows in bulk
(alerts.context); a change that brings back per-entry or per-rule queries fails here. Counts
leave out transaction control (BEGIN, COMMIT, savepoints), which differs between backends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert, AlertEvent, AlertEvidence, DashboardPush, Notification
from diary.models import DiaryEntry, FollowUp
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)

ENTRIES = "/api/v1/entries/"
BATCH = "/api/v1/entries/batch/"
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# PostgreSQL takes the patient's lock in a statement of its own before the context read, so
# that the read sees what a request that held the lock committed (D67); SQLite locks at BEGIN.
LOCK = 1 if connection.vendor == "postgresql" else 0
# Elsewhere the delivery's claim cannot return joined rows: the row is read after it.
CLAIM_READS = 0 if connection.vendor == "postgresql" else 3


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):  # type: ignore[no-untyped-def]
    """Deliveries run in the request, as in the ingest benches (no REDIS_URL)."""


def counted(client: Any, path: str, body: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(path, body, format="json")
    assert response.status_code in (200, 201), response.content
    sql = [q["sql"] for q in ctx.captured_queries]
    return response, [s for s in sql if not s.upper().startswith(CONTROL)]


@pytest.fixture
def tdxd():
    return enrolled_client(make_clinic(), "trastuzumab_deruxtecan")


def test_a_green_entry_costs_at_most_six_queries(tdxd):
    # IsPatient's patient, the patient's lock (with expected levels, whether follow-ups are open
    # and the current course), the course's infusions, the 14-day history, the entry with its
    # alert level and advice (inserted after the evaluation: no update, D85), its grades.
    _, client = tdxd
    response, sql = counted(client, ENTRIES, entry_body(symptoms={"fever": {"temp_c": 36.8}}))
    assert response.json()["alert_level"] == "green"
    assert len(sql) <= 6 + LOCK, "\n".join(sql)
    assert not [s for s in sql if s.startswith("UPDATE")], "\n".join(sql)


def test_a_late_green_entry_reads_no_evidence_when_nothing_fires_again(tdxd):
    # The stored later entries are evaluated again (D13); their evidence is read only when one
    # of them fires, which green ones never do, even when an open follow-up makes each of
    # them go through the pipeline's follow-up step.
    patient, client = tdxd
    green = {"fever": {"temp_c": 36.8}}
    now = timezone.now()
    for minutes in (30, 20):
        body = entry_body(recorded_at=now - timedelta(minutes=minutes), symptoms=green)
        client.post(ENTRIES, body, format="json")
    FollowUp.objects.create(
        patient=patient,
        code="diarrhea_recheck_24h",
        terms=["diarrhea"],
        reason="diarrhea recheck 24h",
        due_at=now + timedelta(hours=20),
    )
    late = entry_body(recorded_at=now - timedelta(hours=5), symptoms=green)
    response, sql = counted(client, ENTRIES, late)
    assert response.json()["alert_level"] == "green"
    assert not [s for s in sql if "alerts_alertevidence" in s], "\n".join(sql)
    assert len(sql) <= 7 + LOCK, "\n".join(sql)  # as a green entry, plus the open follow-ups


def test_a_late_entry_adds_no_evidence_twice_to_a_later_one(tdxd):
    patient, client = tdxd
    now = timezone.now()
    red = {"hypoxia": {"spo2_rest": 86}}
    client.post(
        ENTRIES, entry_body(recorded_at=now - timedelta(minutes=10), symptoms=red), format="json"
    )
    alert = Alert.objects.get(patient=patient)
    before = sorted(AlertEvidence.objects.filter(alert=alert).values_list("entry_id", "code"))
    late = entry_body(recorded_at=now - timedelta(hours=2), symptoms={"fever": {"temp_c": 36.8}})
    response, sql = counted(client, ENTRIES, late)
    assert response.status_code == 201
    # The later RED entry fired again: its evidence was read, and nothing was written twice.
    assert [s for s in sql if "alerts_alertevidence" in s and s.startswith("SELECT")], sql
    after = sorted(AlertEvidence.objects.filter(alert=alert).values_list("entry_id", "code"))
    assert after == before


def test_an_entry_opening_a_red_alert_writes_each_kind_of_row_in_one_statement(tdxd):
    patient, client = tdxd
    response, sql = counted(client, ENTRIES, entry_body(symptoms={"hypoxia": {"spo2_rest": 86}}))
    assert response.json()["alert_level"] == "red"
    inserts = [s.split('"')[1] for s in sql if s.startswith("INSERT")]
    # One statement each for the alert, its evidence, its event, its three notifications and
    # its follow-up; dashboard pushes are the delivery's (after commit, in-process here).
    for table in (
        "alerts_alert",
        "alerts_alertevidence",
        "alerts_alertevent",
        "alerts_notification",
        "diary_followup",
    ):
        assert inserts.count(table) == 1, (table, inserts)
    assert Notification.objects.filter(alert__patient=patient, sent_at__isnull=False).count() == 3
    # After commit, per delivery: the claim (which also reads the row on PostgreSQL), the
    # dashboard's push, the acceptance.
    assert len(sql) <= 19 + LOCK + CLAIM_READS, "\n".join(sql)


def test_new_evidence_on_an_open_alert_costs_no_query_per_rule(tdxd):
    patient, client = tdxd
    client.post(ENTRIES, entry_body(symptoms={"hypoxia": {"spo2_rest": 86}}), format="json")
    events = AlertEvent.objects.count()
    response, sql = counted(
        client, ENTRIES, entry_body(symptoms={"hypoxia": {"spo2_rest": 85, "spo2_exertion": 84}})
    )
    assert response.json()["alert_level"] == "red"
    alert = Alert.objects.get(patient=patient)
    assert AlertEvidence.objects.filter(alert=alert).count() >= 2
    assert AlertEvent.objects.count() == events + 1  # "evidence", pushed live after commit
    assert DashboardPush.objects.filter(alert=alert, reason="evidence").count() == 1
    assert len(sql) <= 14 + LOCK, "\n".join(sql)


def test_a_batch_of_100_costs_a_constant_number_of_queries(tdxd):
    """100 entries of one patient over five days, some opening and feeding alerts, some
    asking and answering follow-ups: the pipeline's queries do not grow with the entries
    (deliveries and live pushes after commit do, one set per alert change)."""
    patient, client = tdxd
    start = timezone.now() - timedelta(days=5)
    entries = []
    for n in range(100):
        symptoms: dict[str, Any] = {"diarrhea": {"stools_over_baseline": n % 3}}
        if n in (40, 41):
            symptoms["hypoxia"] = {"spo2_rest": 86}
        entries.append(entry_body(recorded_at=start + timedelta(hours=n), symptoms=symptoms))
    response, sql = counted(client, BATCH, {"entries": entries})
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * 100
    assert DiaryEntry.objects.filter(patient=patient).count() == 100
    assert FollowUp.objects.filter(patient=patient).exists()
    # The grades are the transaction's last statement (D85): everything up to the last of them.
    grades = [i for i, s in enumerate(sql) if s.startswith('INSERT INTO "diary_entrygrade"')]
    before_commit = sql[: grades[-1] + 1]
    assert len(before_commit) <= 14 + LOCK, "\n".join(before_commit)
    assert len(sql) <= 28 + LOCK, "\n".join(sql)


def test_each_change_of_a_batch_is_pushed_live_once(tdxd):
    from alerts.live import push_changes

    patient, client = tdxd
    client.post(ENTRIES, entry_body(symptoms={"hypoxia": {"spo2_rest": 86}}), format="json")
    start = timezone.now() - timedelta(hours=6)
    entries = [
        entry_body(
            recorded_at=start + timedelta(minutes=10 * n), symptoms={"hypoxia": {"spo2_rest": 85}}
        )
        for n in range(5)
    ]
    response = client.post(BATCH, {"entries": entries}, format="json")
    assert [r["alert_level"] for r in response.json()["results"]] == ["red"] * 5
    events = list(AlertEvent.objects.filter(type="evidence").order_by("pk"))
    assert len(events) == 5
    pushed = DashboardPush.objects.filter(reason="evidence").order_by("pk")
    assert [p.key for p in pushed] == [f"event-{e.pk}" for e in events]
    assert {(p.clinic_id, p.level) for p in pushed} == {(patient.clinic_id, "red")}
    push_changes(event_ids=[e.pk for e in events])  # again: nothing doubles
    assert DashboardPush.objects.filter(reason="evidence").count() == 5


def test_a_green_proctcae_response_costs_at_most_eleven_queries():
    # IsPatient's patient, the schedule, the replay check, the course and its infusions (the
    # occasion), the insert, the course again (baseline composites, none set yet), the
    # patient's lock with its context, the 14-day entries and the earlier responses (§5.4, D53),
    # and the update that stores its level and advice with it (§5.8, D45).
    from tests.alerts.test_response_alerts import answers_for
    from tests.helpers import response_body

    _, client = enrolled_client(make_clinic(), "zongertinib")
    body = response_body("proctcae_zongertinib", answers_for("proctcae_zongertinib"))
    response, sql = counted(client, "/api/v1/questionnaires/responses/", body)
    assert response.json()["alert_level"] == "green"
    assert response.json()["advice_summary"]["level"] == "green"
    assert len(sql) <= 11 + LOCK, "\n".join(sql)
