"""Issue 12, finding 5: while PostgreSQL is unreachable the API answers 503 with Retry-After in
the one error shape, logs one line and no traceback (config.api, config.outage, D68)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)


def quiet(caplog: Any) -> None:
    """One warning line, no traceback, no 'Internal Server Error'."""
    lines = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "database unavailable" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/entries/", "entry"),
        ("post", "/api/v1/entries/batch/", "batch"),
        ("get", "/api/v1/entries/", None),
        ("get", "/api/v1/me/", None),
    ],
)
def test_the_api_answers_503_with_retry_after_while_the_database_is_down(
    tasks_in_process: None, caplog: Any, monkeypatch: Any, method: str, path: str, body: Any
) -> None:
    _, client = enrolled_client(make_clinic())
    data = {"entry": entry_body(), "batch": {"entries": [entry_body()]}, None: None}[body]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    caplog.clear()
    response = getattr(client, method)(path, data, format="json")
    assert response.status_code == 503, response.content
    assert response.json() == {
        "code": "unavailable",
        "message": "ToxWatch is briefly unavailable. Try again in a moment.",
        "fields": {},
    }
    assert response["Retry-After"] == "5"
    quiet(caplog)


def test_sign_in_answers_503_while_the_database_is_down(database_down: None, caplog: Any) -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "S-1", "password": "x"}, format="json"
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"
    quiet(caplog)


def test_a_staff_page_answers_503_while_the_database_is_down(caplog: Any, monkeypatch: Any) -> None:
    client = staff_client(make_staff(make_clinic()))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    caplog.clear()
    response = client.get("/staff/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    quiet(caplog)
