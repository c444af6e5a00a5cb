from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_in_process_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = APIClient().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "in-process"}


def test_healthz_is_degraded_when_the_broker_is_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = APIClient().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "down"


@pytest.mark.integration
def test_healthz_reports_a_reachable_redis_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    assert APIClient().get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
    }


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
