from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_in_process_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = APIClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "worker": "in-process",
        "worker_seen_seconds_ago": None,
        "outbox_oldest_seconds": None,
    }


def test_healthz_is_degraded_when_the_broker_is_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = APIClient().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "down"


@pytest.mark.integration
def test_healthz_reports_a_reachable_redis_broker_and_a_live_worker(settings):
    from alerts.delivery import drain_outbox

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    drain_outbox()  # what a worker does every few seconds: its heartbeat
    body = APIClient().get("/healthz").json()
    assert body["status"] == "ok", body
    assert (body["database"], body["broker"], body["worker"]) == ("ok", "ok", "ok")


def test_healthz_is_503_when_the_database_is_unreachable(monkeypatch):
    from config import health

    monkeypatch.setattr(health, "database_ok", lambda: False)
    response = APIClient().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_unknown_api_paths_answer_json_404():
    response = APIClient().get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_schema_and_docs_are_served():
    assert APIClient().get("/api/v1/schema/").status_code == 200
    assert APIClient().get("/api/v1/docs/").status_code == 200


def test_healthz_is_degraded_without_a_worker_heartbeat(settings):
    from alerts.delivery import HEARTBEAT
    from alerts.models import Heartbeat

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    body = APIClient().get("/healthz").json()
    assert (body["status"], body["worker"]) == ("degraded", "missing")
    Heartbeat.objects.create(name=HEARTBEAT, seen_at=timezone.now() - timedelta(minutes=2))
    body = APIClient().get("/healthz").json()
    assert (body["status"], body["worker"]) == ("degraded", "stale")
    assert body["worker_seen_seconds_ago"] >= 120


def test_healthz_is_degraded_when_a_notification_has_waited_too_long(settings):
    from alerts.models import Notification
    from tests.helpers import enrolled_client, entry_body, make_clinic

    settings.CELERY_TASK_ALWAYS_EAGER = True
    _, client = enrolled_client(make_clinic(), "trastuzumab_deruxtecan")
    Notification.objects.all().delete()
    client.post(
        "/api/v1/entries/", entry_body(symptoms={"hypoxia": {"spo2_rest": 86}}), format="json"
    )
    Notification.objects.update(sent_at=None)
    body = APIClient().get("/healthz").json()
    assert body["status"] == "ok" and body["outbox_oldest_seconds"] < 60
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=4))
    body = APIClient().get("/healthz").json()
    assert body["status"] == "degraded" and body["outbox_oldest_seconds"] >= 240


def test_healthz_logs_one_line_and_no_traceback_while_the_database_is_down(monkeypatch, caplog):
    from django.db import OperationalError, connection

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    caplog.clear()
    response = APIClient().get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "down"
    assert not any(record.exc_info for record in caplog.records)
    assert len([r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]) == 1
