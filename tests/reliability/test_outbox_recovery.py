"""Issue 12, findings 3 and 4 in-process: notifications the broker refused are marked and
drained at once when it returns (D69); the attempt is written before the send and acceptance
recorded at once, retried over a database blip rather than sent twice (D70)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError

from alerts import delivery
from alerts.models import Heartbeat, Notification
from alerts.tasks import deliver_notification_task
from tests.helpers import enrolled_client, entry_body, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)

RED = {"hypoxia": {"spo2_rest": 86}}


def refuse(*args: Any, **kwargs: Any) -> None:
    raise ConnectionError("broker down")


def test_notifications_the_broker_refused_are_marked_and_drained_at_once(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    monkeypatch.setattr(deliver_notification_task, "delay", refuse)
    assert client.post("/api/v1/entries/", entry_body(symptoms=RED), format="json").status_code
    outbox = Notification.objects.all()
    assert outbox.count() == 3
    assert outbox.filter(enqueue_failed=True, sent_at=None).count() == 3

    assert delivery.drain_outbox() == 0  # the broker is still down: nothing taken
    assert outbox.filter(enqueue_failed=True).count() == 3
    monkeypatch.undo()  # the broker is back: no 2-minute wait
    assert delivery.drain_outbox() == 3
    assert outbox.filter(sent_at=None).count() == 0
    assert not outbox.filter(enqueue_failed=True).exists()
    assert Heartbeat.objects.filter(name=delivery.HEARTBEAT).exists()


def test_the_attempt_is_written_before_the_backend_is_called(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    from alerts import notify

    seen: list[Any] = []

    class Peeking:
        def send(self, notification: Notification, *, key: str) -> None:
            row = Notification.objects.get(pk=notification.pk)
            seen.append((key, row.attempted_at is not None, row.attempts, row.sent_at))

    monkeypatch.setattr(notify, "backend_for", lambda channel: Peeking())
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    client.post("/api/v1/entries/", entry_body(symptoms=RED), format="json")
    ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert sorted(seen) == [(str(pk), True, 1, None) for pk in ids]
    assert not Notification.objects.filter(sent_at=None).exists()


def test_acceptance_is_recorded_over_a_database_blip_without_a_second_send(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    from django.db import connection

    from alerts import notify

    monkeypatch.setattr(delivery, "RECORD_SENT_FOR", 2.0)
    sends: list[str] = []

    class Counting:
        def send(self, notification: Notification, *, key: str) -> None:
            sends.append(key)

    monkeypatch.setattr(notify, "backend_for", lambda channel: Counting())
    monkeypatch.setattr(deliver_notification_task, "delay", refuse)
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    client.post("/api/v1/entries/", entry_body(symptoms=RED), format="json")
    monkeypatch.undo()
    monkeypatch.setattr(delivery, "RECORD_SENT_FOR", 2.0)
    monkeypatch.setattr(notify, "backend_for", lambda channel: Counting())
    notification = Notification.objects.first()
    assert notification is not None

    failures = [1, 1]

    def flaky_update(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Whatever writes it (the ORM or precompiled SQL): the UPDATE that records the send.
        if sql.startswith("UPDATE") and '"sent_at"' in sql.split("WHERE")[0] and failures:
            failures.pop()
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(flaky_update):
        assert delivery.deliver_notification(notification_id=notification.pk)
    assert failures == []  # both blips were met and outlasted
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 1
    assert sends == [str(notification.pk)]


def test_after_a_refused_publish_the_broker_is_skipped_for_a_few_seconds(
    tasks_in_process: None, monkeypatch: Any
) -> None:
    """With Redis frozen each publish waits out the broker's timeout: only the first request
    of a few seconds pays it; the others mark their rows for the drain at once."""
    calls: list[int] = []

    def frozen(pk: int) -> None:
        calls.append(pk)
        raise TimeoutError("broker frozen")

    monkeypatch.setattr(deliver_notification_task, "delay", frozen)
    assert delivery.enqueue_deliveries([101, 102]) == []
    assert delivery.enqueue_deliveries([103]) == []
    assert calls == [101]  # tried once, then skipped
    monkeypatch.setattr(delivery, "_broker_down_until", 0.0)  # the pause is over
    assert delivery.enqueue_deliveries([104]) == []
    assert calls == [101, 104]


def test_the_worker_and_beat_retry_a_lost_broker_every_two_seconds_at_most() -> None:
    import kombu.connection

    from config.celery import reconnect_promptly

    connection = kombu.connection.Connection
    original = connection.ensure_connection
    seen: dict[str, Any] = {}

    def record(self: Any, *args: Any, **options: Any) -> None:
        seen.update(options)

    connection.ensure_connection = record  # type: ignore[method-assign,assignment]
    try:
        reconnect_promptly()  # what worker_init and beat_init run
        connection("memory://").ensure_connection(None, 100)
    finally:
        connection.ensure_connection = original  # type: ignore[method-assign]
    assert seen == {"interval_start": 2, "interval_step": 2, "interval_max": 2.0}
