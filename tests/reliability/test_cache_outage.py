"""Issue 12, finding 1: with the cache's Redis stopped or frozen, a patient signs in, refreshes,
posts (single and batch) and reads entries with the same answers as with a working cache, and
quickly (config.cache, D66)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.helpers import PASSWORD, enroll, entry_body, make_clinic, response_body

pytestmark = pytest.mark.django_db

LOW_RESTING_SPO2 = {"hypoxia": {"spo2_rest": 86}}  # RED "ild" on T-DXd
# Every answer of the journey comes well within this, cache or no cache.
QUICK = 1.0


@pytest.fixture
def frozen_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, as a frozen Redis does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def use_cache(settings: Any, location: str | None) -> None:
    if location is None:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        settings.CACHES = {
            "default": {"BACKEND": "config.cache.DegradingRedisCache", "LOCATION": location}
        }


def timed(call: Any, *args: Any, **kwargs: Any) -> Any:
    began = time.monotonic()
    response = call(*args, **kwargs)
    took = time.monotonic() - began
    assert took < QUICK, (args[0], took)
    return response


def journey(clinic_code: str) -> list[Any]:
    """Enrol, sign in, refresh, post one RED entry and a batch, list and read, answer a
    questionnaire: what the patient is told at each step (ids, tokens and times left out)."""
    from diary.models import Clinic

    patient, code = enroll(Clinic.objects.get(code=clinic_code), "trastuzumab_deruxtecan")
    client = APIClient()
    seen: list[Any] = []
    enrolled = timed(
        client.post, "/api/v1/auth/enroll/", {"code": code, "password": PASSWORD}, format="json"
    )
    seen.append(enrolled.status_code)
    signed_in = timed(
        client.post,
        "/api/v1/auth/token/",
        {"username": patient.subject_id, "password": PASSWORD},
        format="json",
    )
    seen.append(signed_in.status_code)
    refreshed = timed(
        client.post,
        "/api/v1/auth/refresh/",
        {"refresh": signed_in.json()["refresh"]},
        format="json",
    )
    seen.append(refreshed.status_code)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    red = entry_body(symptoms=LOW_RESTING_SPO2)
    posted = timed(client.post, "/api/v1/entries/", red, format="json")
    seen += [posted.status_code, posted.json()["alert_level"], posted.json()["advice"]]
    replayed = timed(client.post, "/api/v1/entries/", red, format="json")
    seen += [replayed.status_code, replayed.json()["alert_level"]]
    batch = timed(
        client.post,
        "/api/v1/entries/batch/",
        {"entries": [entry_body(), entry_body(symptoms=LOW_RESTING_SPO2)]},
        format="json",
    )
    seen += [batch.status_code, [result["status"] for result in batch.json()["results"]]]
    listed = timed(client.get, "/api/v1/entries/")
    seen += [listed.status_code, len(listed.json()["results"])]
    detail = timed(client.get, f"/api/v1/entries/{red['id']}/")
    seen += [detail.status_code, detail.json()["alert_level"], detail.json()["advice"]]
    answered = timed(
        client.post, "/api/v1/questionnaires/responses/", response_body(), format="json"
    )
    seen.append(answered.status_code)
    return seen


@pytest.mark.parametrize("where", ["stopped", "frozen"])
def test_a_patient_is_answered_as_with_a_working_cache_while_its_redis_is_down(
    settings: Any, tasks_in_process: None, frozen_port: int, where: str, caplog: Any
) -> None:
    clinic = make_clinic()
    use_cache(settings, None)
    expected = journey(clinic.code)
    assert expected[:3] == [201, 200, 200] and expected[3:5] == [201, "red"]

    port = 1 if where == "stopped" else frozen_port  # nothing listens on port 1
    use_cache(settings, f"redis://127.0.0.1:{port}/0")
    began = time.monotonic()
    assert journey(clinic.code) == expected
    # One timeout at most for the whole journey: after a failure the cache is skipped.
    assert time.monotonic() - began < 3 * QUICK
    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert not any(r.exc_info for r in caplog.records)


def test_the_cache_answers_as_empty_while_down_and_is_tried_again_after_a_pause(
    settings: Any,
) -> None:
    from django.core.cache import cache, caches

    from config import cache as degrading

    use_cache(settings, "redis://127.0.0.1:1/0")
    assert cache.get("k", "missing") == "missing"
    assert cache.incr("k") == 1  # a throttle or rate limit counts from one: it fails open
    assert not cache.add("k", 1)
    real = caches["default"]
    assert isinstance(real, degrading.DegradingRedisCache)
    assert not real.available
    real._down_until = 0.0  # the pause is over
    assert real.available
    assert cache.get("k", "missing") == "missing"
    assert not real.available  # still down: skipped again
