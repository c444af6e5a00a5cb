"""Faults on real infrastructure: Redis stopped, a worker killed mid-task, a task delivered twice,
beat running late. Each notification is sent once, and none is lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Alert, DashboardPush, EventType, Notification, Status
from alerts.tasks import deliver_notification_task, escalate_overdue_task, sweep_outbox_task
from diary.models import Clinic, Patient
from tests.helpers import enrolled_client
from tests.integration.infra import (
    TDXD,
    Pipeline,
    assert_each_sent_once,
    post_red_entry,
    wait_delivered,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# How the tests stand for "2 minutes later" (alerts.delivery.RESEND_AFTER, the sweeper's delay
# and the claim's lease): the rows are dated back instead of the test waiting.
LATER = timedelta(minutes=3)


def patients_of(pairs: list[tuple[Patient, Any]]) -> list[Patient]:
    return [patient for patient, _ in pairs]


def test_entries_posted_while_redis_is_down_are_accepted_and_notified_once_it_returns(
    pipeline: Pipeline, clinic: Clinic
) -> None:
    pairs = [enrolled_client(clinic, TDXD) for _ in range(4)]
    pipeline.redis.stop()

    for patient, client in pairs[:3]:
        # 201, and quickly: enqueueing after commit happens inside the patient's request, so
        # with the broker down it must fail fast (the sweeper re-sends), never hold the answer.
        assert post_red_entry(client) < 2.0
        # The alert is in the entry's transaction: on the dashboard at once, broker or not.
        assert Alert.objects.filter(patient=patient, kind="ild", level="red").exists()
    down = Notification.objects.filter(alert__patient__in=patients_of(pairs[:3]))
    assert down.count() == 9
    assert down.filter(sent_at=None).count() == 9, "delivered with the broker down?"

    pipeline.redis.start()  # same port, empty: what was queued before the stop is gone
    # A new entry goes straight through again: the web process and the worker reconnect.
    back_patient, back_client = pairs[3]
    post_red_entry(back_client)
    back = Notification.objects.filter(alert__patient=back_patient)
    wait_delivered(back, "the notifications of an entry posted after Redis returned", 30)
    # Marked for the outbox drain (beat's 5-second tick, tests/integration/test_outages.py);
    # with no beat here nothing sends them yet, and the sweeper finds them too.
    assert down.filter(sent_at=None, enqueue_failed=True).count() == 9

    # The sweeper (beat, every minute) re-sends what is still undelivered 2 minutes after it
    # was written. Rather than wait 2 minutes, the rows are dated back to that state; the
    # sweep then runs as beat runs it, as a task on the worker.
    down.update(created_at=timezone.now() - LATER)
    sweep_outbox_task.delay()
    wait_delivered(down, "the notifications written while Redis was down")
    pipeline.wait_drained()
    assert_each_sent_once(
        pipeline, Notification.objects.filter(alert__patient__in=patients_of(pairs))
    )


@pytest.mark.parametrize("when", ["before", "after"], ids=["before_the_push", "after_the_push"])
def test_a_worker_killed_in_the_middle_of_a_send_delivers_it_once_after_the_lease(
    pipeline: Pipeline, clinic: Clinic, when: str
) -> None:
    patient, client = enrolled_client(clinic, TDXD)
    pipeline.hold(when)
    post_red_entry(client)
    notifications = Notification.objects.filter(alert__patient=patient)
    dashboard = notifications.get(channel="dashboard")
    key = str(dashboard.pk)
    wait_until(lambda: pipeline.entered(key), what="the worker to start the dashboard send")
    wait_delivered(notifications.exclude(channel="dashboard"), "the e-mail and the SMS")
    wait_until(
        lambda: (pipeline.redis.queued(), pipeline.redis.unacked()) == (0, 1),
        what="the e-mail and SMS tasks to be acknowledged, the held one alone in flight",
    )

    pipeline.worker.kill()
    dashboard.refresh_from_db()
    assert dashboard.sent_at is None and dashboard.claimed_at is not None
    pushed = 1 if when == "after" else 0  # "after": pushed, but the worker died before sent_at
    assert DashboardPush.objects.filter(key=key).count() == pushed
    # acks_late: the killed worker's message was never acknowledged, so it is not lost.
    assert (pipeline.redis.queued(), pipeline.redis.unacked()) == (0, 1)

    pipeline.release()
    pipeline.worker.start()
    pipeline.redeliver_unacked()
    pipeline.wait_drained()
    # Redelivered within the claim's 2-minute lease: the first worker might only be slow, so
    # the new one leaves it alone rather than risk a second send.
    dashboard.refresh_from_db()
    assert dashboard.sent_at is None
    assert pipeline.sends()[("dashboard", key)] == 1

    # The lease has run out 2 minutes after the claim: dated back instead of waited for.
    notifications.filter(pk=dashboard.pk).update(
        claimed_at=dashboard.claimed_at - LATER, created_at=dashboard.created_at - LATER
    )
    sweep_outbox_task.delay()
    wait_delivered(notifications, "the dashboard notification the killed worker held")
    pipeline.wait_drained()
    dashboard.refresh_from_db()
    assert dashboard.attempts == 2
    assert pipeline.sends()[("dashboard", key)] == 2  # the killed send and the re-send ...
    assert DashboardPush.objects.filter(key=key).count() == 1  # ... made one push (key = id)


def test_a_task_delivered_twice_sends_its_notification_once(
    pipeline: Pipeline, clinic: Clinic
) -> None:
    patient, client = enrolled_client(clinic, TDXD)
    post_red_entry(client)
    notifications = Notification.objects.filter(alert__patient=patient)
    ids = list(notifications.values_list("pk", flat=True))
    # The entry's commit enqueued one task per notification; two more each, at once, as a
    # broker redelivering would, taken by the worker's two processes side by side.
    for pk in ids * 2:
        deliver_notification_task.delay(pk)
    wait_delivered(notifications, "the alert's notifications")
    pipeline.wait_drained()
    for pk in ids:  # and once more, after delivery
        deliver_notification_task.delay(pk)
    pipeline.wait_drained()
    assert_each_sent_once(pipeline, notifications)


def test_beat_running_late_and_twice_escalates_each_overdue_alert_once(
    pipeline: Pipeline, clinic: Clinic
) -> None:
    pairs = [enrolled_client(clinic, TDXD) for _ in range(4)]
    for _, client in pairs:
        post_red_entry(client)
    alerts = Alert.objects.filter(patient__in=patients_of(pairs))
    wait_delivered(Notification.objects.filter(alert__in=alerts), "the alerts' notifications")
    pipeline.wait_drained()

    # Nobody acknowledged them and beat is 10 minutes late; then two escalations at once.
    alerts.update(due_at=timezone.now() - timedelta(minutes=10))
    escalate_overdue_task.delay()
    escalate_overdue_task.delay()
    escalations = Notification.objects.filter(
        alert__in=alerts, reason__in=["escalated", "patient_advice"]
    )
    wait_until(
        lambda: escalations.filter(sent_at__isnull=False).count() == 2 * len(pairs),
        what="each alert's pager and patient notifications to be delivered",
    )
    pipeline.wait_drained()
    escalate_overdue_task.delay()  # and again, on the next tick
    pipeline.wait_drained()

    for alert in alerts:
        assert alert.status == Status.ESCALATED
        assert alert.events.filter(type=EventType.ESCALATED).count() == 1
        sent = escalations.filter(alert=alert)
        assert sorted(sent.values_list("channel", "reason")) == [
            ("pager", "escalated"),
            ("patient", "patient_advice"),
        ]
        assert_each_sent_once(pipeline, sent)
