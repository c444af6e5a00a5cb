"""The outbox's statements built once per process (issue 17): the claim that also reads the row
with its alert and patient, the queueing of all channels and the dashboard push in one statement
each, and what they must keep doing (claimed at most once, skipped when already there)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts import delivery, lifecycle, live, notify
from alerts.models import Alert, DashboardPush, Notification, NotificationReason
from diary import fastsql
from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff

pytestmark = pytest.mark.django_db(transaction=True)

RED = {"hypoxia": {"spo2_rest": 86}}
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.fixture(autouse=True)
def _tasks_in_process(tasks_in_process):  # type: ignore[no-untyped-def]
    """Deliveries run in the request, as in the ingest benches (no REDIS_URL)."""


@pytest.fixture
def alert() -> Alert:
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    response = client.post("/api/v1/entries/", entry_body(symptoms=RED), format="json")
    assert response.status_code == 201, response.content
    return Alert.objects.get()


def fields(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def queries(sql: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in sql if not q["sql"].upper().startswith(CONTROL)]


def test_the_claim_returns_what_select_related_reads_after_it(alert):
    for notification in Notification.objects.filter(alert=alert):
        Notification.objects.filter(pk=notification.pk).update(
            sent_at=None, claimed_at=None, attempts=4
        )
        claimed = delivery.claim(notification.pk, now=timezone.now())
        assert claimed is not None
        read = Notification.objects.select_related("alert__patient").get(pk=notification.pk)
        assert claimed.attempts == 5 and claimed.claimed_at == claimed.attempted_at
        assert fields(claimed) == fields(read)
        assert fields(claimed.alert) == fields(read.alert)
        assert fields(claimed.alert.patient) == fields(read.alert.patient)
        assert claimed._state.adding is False and claimed.alert.patient._state.adding is False


def test_a_notification_is_claimed_once_within_the_lease_and_never_once_done(alert):
    notification = Notification.objects.get(alert=alert, channel="dashboard")
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=None)
    assert delivery.claim(notification.pk, now=now) is not None
    assert delivery.claim(notification.pk, now=now + timedelta(seconds=100)) is None
    assert delivery.claim(notification.pk, now=now + timedelta(minutes=3)) is not None
    Notification.objects.filter(pk=notification.pk).update(sent_at=now, claimed_at=None)
    assert delivery.claim(notification.pk, now=now) is None
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, failed_at=now)
    assert delivery.claim(notification.pk, now=now) is None
    assert delivery.claim(0, now=now) is None
    notification.refresh_from_db()
    assert notification.attempts == 3


def test_a_dashboard_delivery_costs_three_statements_at_most(alert):
    # The claim with its read (one statement on PostgreSQL, two elsewhere), the push, the
    # acceptance.
    notification = Notification.objects.get(alert=alert, channel="dashboard")
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=None)
    DashboardPush.objects.filter(key=str(notification.pk)).delete()
    with CaptureQueriesContext(connection) as ctx:
        assert delivery.deliver_notification(notification_id=notification.pk)
    claim = 1 if connection.vendor == "postgresql" else 2
    assert len(queries(ctx.captured_queries)) == claim + 2, queries(ctx.captured_queries)
    assert DashboardPush.objects.filter(key=str(notification.pk)).count() == 1


def test_a_dashboard_push_is_made_and_announced_once_per_notification(alert, monkeypatch):
    announced: list[int] = []
    monkeypatch.setattr(live, "announce", lambda push: announced.append(push.pk))
    notification = Notification.objects.select_related("alert__patient").get(
        alert=alert, channel="dashboard"
    )
    DashboardPush.objects.all().delete()
    notify.DashboardBackend().send(notification, key=str(notification.pk))
    notify.DashboardBackend().send(notification, key=str(notification.pk))
    push = DashboardPush.objects.get()
    assert announced == [push.pk]
    assert (push.key, push.clinic_id, push.alert_id, push.level, push.reason) == (
        str(notification.pk),
        alert.patient.clinic_id,
        alert.pk,
        "red",
        "opened",
    )


def test_queueing_writes_every_channel_in_one_statement_and_skips_what_is_queued(
    alert, monkeypatch
):
    enqueued: list[list[int]] = []
    monkeypatch.setattr(delivery, "enqueue_deliveries", lambda ids: enqueued.append(list(ids)))
    channels = ("pager", "email", "pager")
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        delivery.queue_notifications(alert, NotificationReason.ESCALATED, "red", channels)
    assert len(queries(ctx.captured_queries)) == 1, queries(ctx.captured_queries)
    rows = list(Notification.objects.filter(alert=alert, reason="escalated").order_by("pk"))
    assert [(n.channel, n.level) for n in rows] == [("pager", "red"), ("email", "red")]
    assert enqueued == [[n.pk for n in rows]]
    with transaction.atomic():
        delivery.queue_notifications(alert, NotificationReason.ESCALATED, "red", channels)
        delivery.queue_notifications(alert, NotificationReason.ESCALATED, "amber", ["email"])
    amber = Notification.objects.get(alert=alert, reason="escalated", level="amber")
    assert enqueued == [[n.pk for n in rows], [amber.pk]]
    assert Notification.objects.filter(alert=alert, reason="escalated").count() == 3


def test_a_nurse_escalating_twice_queues_the_pager_once(alert):
    nurse = make_staff(alert.clinic)
    lifecycle.escalate_alert(alert_id=alert.pk, user=nurse)
    lifecycle.escalate_alert(alert_id=alert.pk, user=nurse)
    pages = Notification.objects.filter(alert=alert, reason="escalated")
    assert pages.count() == len(pages.values("channel").distinct()) >= 1
    assert not pages.filter(sent_at=None).exists()  # delivered after each commit


def test_only_a_unique_conflict_is_skipped(alert):
    # SQLite's INSERT OR IGNORE would also skip this row (no clinic: NOT NULL); get_or_create
    # raised, and so does insert_new.
    with pytest.raises(IntegrityError), transaction.atomic():
        fastsql.insert_new([DashboardPush(key="k", alert=alert, level="red", reason="opened")])
    assert not DashboardPush.objects.filter(key="k").exists()
