"""Issue 12 on real infrastructure: the Redis the broker AND the cache use is stopped. Every
patient request is answered as usual and quickly (D66), what the broker refused is marked, and
the outbox drains within seconds of Redis returning (D69): a RED raised during the outage is on
the nurses' live queue (its dashboard push) within 10 s."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from alerts.models import Alert, DashboardPush, Notification
from alerts.tasks import drain_outbox_task
from diary.models import Clinic
from tests.helpers import PASSWORD, enroll, entry_body
from tests.integration.infra import (
    LOW_RESTING_SPO2,
    TDXD,
    Pipeline,
    assert_each_sent_once,
    wait_delivered,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Beat sends the drain every 5 s (settings, "drain-outbox"): the test sends that tick itself
# as soon as Redis is back, so the drain itself must take at most the other 5 s.
BEAT_TICK = 5.0
RED_ON_QUEUE_WITHIN = 10.0


def quick(response: Any, began: float, status: int) -> Any:
    took = time.monotonic() - began
    assert response.status_code == status, response.content
    assert took < 2.0, took
    return response


def test_a_redis_outage_answers_patients_as_usual_and_the_outbox_drains_when_it_returns(
    pipeline: Pipeline, clinic: Clinic, settings: Any
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.DegradingRedisCache", "LOCATION": pipeline.redis.url}
    }
    patient, code = enroll(clinic, TDXD)
    client = APIClient()
    quick(
        client.post("/api/v1/auth/enroll/", {"code": code, "password": PASSWORD}, format="json"),
        time.monotonic(),
        201,
    )
    pipeline.redis.stop()

    began = time.monotonic()
    signed_in = quick(
        client.post(
            "/api/v1/auth/token/",
            {"username": patient.subject_id, "password": PASSWORD},
            format="json",
        ),
        began,
        200,
    ).json()
    began = time.monotonic()
    tokens = quick(
        client.post("/api/v1/auth/refresh/", {"refresh": signed_in["refresh"]}, format="json"),
        began,
        200,
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    red = entry_body(symptoms=LOW_RESTING_SPO2)
    began = time.monotonic()
    answer = quick(client.post("/api/v1/entries/", red, format="json"), began, 201).json()
    assert answer["alert_level"] == "red"
    assert answer["advice"]  # what to do now, not "something went wrong"
    began = time.monotonic()
    quick(client.post("/api/v1/entries/", red, format="json"), began, 200)  # a retry: replay
    began = time.monotonic()
    batch = quick(
        client.post("/api/v1/entries/batch/", {"entries": [entry_body()]}, format="json"),
        began,
        200,
    ).json()
    assert [r["status"] for r in batch["results"]] == ["created"]
    began = time.monotonic()
    assert len(quick(client.get("/api/v1/entries/"), began, 200).json()["results"]) == 2
    quick(client.get(f"/api/v1/entries/{red['id']}/"), time.monotonic(), 200)

    alert = Alert.objects.get(patient=patient, kind="ild", level="red")
    outbox = Notification.objects.filter(alert=alert)
    assert outbox.count() == 3
    # The broker refused them after the commit: marked for the drain, not left for the sweeper.
    assert outbox.filter(enqueue_failed=True, sent_at=None).count() == 3

    pipeline.redis.start()  # same port, empty
    back = time.monotonic()
    drain_outbox_task.delay()  # beat's next tick (at most BEAT_TICK later in production)
    wait_until(
        lambda: DashboardPush.objects.filter(alert=alert).exists(),
        what="the RED raised during the outage on the live queue",
        timeout=RED_ON_QUEUE_WITHIN - BEAT_TICK,
    )
    assert time.monotonic() - back < RED_ON_QUEUE_WITHIN - BEAT_TICK
    wait_delivered(outbox, "the notifications written while Redis was down", 10)
    pipeline.wait_drained()
    assert not outbox.filter(enqueue_failed=True).exists()
    assert_each_sent_once(pipeline, outbox)

    # The drain ran on the worker: its heartbeat is what /healthz reports.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = pipeline.redis.url
    health = APIClient().get("/healthz").json()
    assert (health["status"], health["worker"], health["outbox_oldest_seconds"]) == (
        "ok",
        "ok",
        None,
    ), health


def test_a_worker_that_starts_drains_the_outbox_at_once(pipeline: Pipeline, clinic: Clinic) -> None:
    from tests.helpers import enrolled_client
    from tests.integration.infra import post_red_entry

    patient, client = enrolled_client(clinic, TDXD)
    pipeline.worker.stop()
    pipeline.redis.stop()
    post_red_entry(client)
    outbox = Notification.objects.filter(alert__patient=patient)
    assert outbox.filter(enqueue_failed=True).count() == 3
    pipeline.redis.start()
    pipeline.worker.start()  # its worker_ready hook sends the drain: no beat, no sweeper
    wait_delivered(outbox, "the notifications a new worker drained", 10)
    pipeline.wait_drained()
    assert_each_sent_once(pipeline, outbox)


def test_a_database_lost_between_the_send_and_its_record_does_not_send_it_twice(
    pipeline: Pipeline, clinic: Clinic
) -> None:
    """The provider accepted the message, then the worker's database connection is cut before
    `sent_at` is written: the worker reconnects and records it (D70), no second send."""
    from django.db import connection

    from tests.helpers import enrolled_client
    from tests.integration.infra import post_red_entry

    patient, client = enrolled_client(clinic, TDXD)
    pipeline.hold("after")  # the dashboard push is made, then the worker waits
    post_red_entry(client)
    outbox = Notification.objects.filter(alert__patient=patient)
    dashboard = outbox.get(channel="dashboard")
    wait_until(lambda: pipeline.entered(str(dashboard.pk)), what="the dashboard send")
    with connection.cursor() as cursor:  # every connection but this one: the worker's
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    pipeline.release()
    wait_delivered(outbox, "the notifications, recorded after a reconnect", 15)
    pipeline.wait_drained()
    assert_each_sent_once(pipeline, outbox)
