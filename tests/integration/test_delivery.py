"""Entry -> alert -> notification, through the API, PostgreSQL, Redis and a Celery worker."""

from __future__ import annotations

import pytest

from alerts.models import Alert, DashboardPush, Notification
from diary.models import Clinic
from tests.helpers import enrolled_client
from tests.integration.infra import (
    TDXD,
    Pipeline,
    assert_each_sent_once,
    post_red_entry,
    wait_delivered,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_entry_is_an_alert_at_once_and_its_notifications_are_delivered_by_the_worker(
    pipeline: Pipeline, clinic: Clinic
) -> None:
    patient, client = enrolled_client(clinic, TDXD)
    post_red_entry(client)

    # Written in the entry's transaction: readable by the dashboard as soon as the answer is.
    alert = Alert.objects.get(patient=patient)
    assert (alert.kind, alert.level, alert.status) == ("ild", "red", "open")
    notifications = Notification.objects.filter(alert=alert)
    assert sorted(notifications.values_list("channel", flat=True)) == ["dashboard", "email", "sms"]

    wait_delivered(notifications, "the alert's three notifications")
    pipeline.wait_drained()
    assert_each_sent_once(pipeline, notifications)
    dashboard = notifications.get(channel="dashboard")
    assert list(
        DashboardPush.objects.filter(alert=alert).values_list("key", "clinic", "level")
    ) == [(str(dashboard.pk), clinic.pk, "red")]
