"""The live queue on real infrastructure: uvicorn serving config.asgi, PostgreSQL, the private
Redis and the Celery worker. A patient's entry goes in through the ASGI server's API, the worker
delivers the dashboard notification, and the nurse's open event stream shows it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from alerts import lifecycle
from alerts.live import channel_for
from alerts.models import Alert, DashboardPush
from clinicians import live
from diary.models import Clinic
from tests.helpers import enrolled_client, entry_body, make_staff
from tests.integration.infra import (
    LOW_RESTING_SPO2,
    TDXD,
    Pipeline,
    _end,
    _start,
    free_port,
    tail,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Without a Redis wake-up the stream would only re-read the table at its next heartbeat: an
# event that arrives well before one came through the announced push.
WELL_BEFORE_A_HEARTBEAT = live.HEARTBEAT_SECONDS / 2
UVICORN = str(Path(sys.executable).parent / "uvicorn")


class WebServer:
    """`uvicorn config.asgi:application` on a free port: the ASGI application the live process
    serves in production (docs/operations.md)."""

    def __init__(self, *, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = workdir / "uvicorn.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [UVICORN, "config.asgi:application", "--host", "127.0.0.1", f"--port={self.port}"]
        argv += ["--lifespan=off", "--timeout-graceful-shutdown=2"]
        self.process = _start(argv, env=self.env, log=self.log)

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited at start:\n{tail(self.log)}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, what=f"uvicorn to answer\n{tail(self.log)}", timeout=30)

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)
        self.process = None


@pytest.fixture
def web(pipeline: Pipeline) -> Iterator[WebServer]:
    env = dict(pipeline.worker.env)
    # Production's settings (the worker's only add recording backends) on the same test
    # database and private Redis, with the connection pool docs/operations.md asks of ASGI.
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DB_POOL="1")
    server = WebServer(env=env, workdir=pipeline.workdir)
    server.start()
    yield server
    server.stop()  # before the database is flushed


class Stream:
    """An open /staff/live/ stream, read line by line as EventSource does."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def event(self) -> dict[str, Any]:
        fields: dict[str, str] = {}
        for line in self.lines:
            if not line:
                if "event" in fields:
                    return {**fields, "data": json.loads(fields["data"])}
                fields = {}
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        raise AssertionError("the stream ended")


def session_cookie(user: Any) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def test_a_red_entry_through_the_asgi_api_reaches_the_nurses_open_stream(
    pipeline: Pipeline, web: WebServer, clinic: Clinic, settings: Any
) -> None:
    settings.REDIS_URL = pipeline.redis.url  # this process announces on the private Redis too
    patient, api = enrolled_client(clinic, TDXD)
    token = api._credentials["HTTP_AUTHORIZATION"]  # type: ignore[attr-defined]
    nurse = make_staff(clinic)
    announced = pipeline.redis.client.pubsub(ignore_subscribe_messages=True)
    announced.subscribe(channel_for(clinic.pk))
    timeout = httpx.Timeout(5.0, read=WELL_BEFORE_A_HEARTBEAT)

    with (
        httpx.Client(base_url=web.url, cookies=session_cookie(nurse), timeout=timeout) as http,
        http.stream("GET", "/staff/live/") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        assert next(stream.lines) == f"retry: {live.RETRY_MS}"  # open: its cursor is set

        answer = http.post(
            "/api/v1/entries/",
            json=entry_body(symptoms=LOW_RESTING_SPO2),
            headers={"Authorization": token},
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["alert_level"] == "red"
        alert = Alert.objects.get(patient=patient)
        # A read timeout here would mean the worker's push never woke the stream.
        opened = stream.event()
        assert opened["event"] == "alert"
        assert opened["data"] == {"alert": alert.pk, "level": "red", "reason": "opened"}
        push = DashboardPush.objects.get(pk=int(opened["id"]))
        dashboard = alert.notifications.get(channel="dashboard")
        assert (push.key, push.clinic_id) == (str(dashboard.pk), clinic.pk)

        # A nurse's action in another process reaches the same stream.
        lifecycle.acknowledge_alert(alert_id=alert.pk, user=make_staff(clinic))
        acknowledged = stream.event()
        assert acknowledged["data"] == {"alert": alert.pk, "level": "red", "reason": "acknowledged"}

    # What went through Redis: the push ids, nothing else.
    messages = [announced.get_message(timeout=1) for _ in range(4)]  # and the subscription
    assert [m["data"] for m in messages if m] == [
        opened["id"].encode(),
        acknowledged["id"].encode(),
    ]
    announced.close()


def test_a_reconnection_to_the_asgi_server_replays_what_it_missed(
    pipeline: Pipeline, web: WebServer, clinic: Clinic
) -> None:
    patient, api = enrolled_client(clinic, TDXD)
    token = api._credentials["HTTP_AUTHORIZATION"]  # type: ignore[attr-defined]
    nurse = make_staff(clinic)
    before = DashboardPush.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    with httpx.Client(base_url=web.url, cookies=session_cookie(nurse), timeout=10) as http:
        # The nurse's page is closed while the entry arrives and is delivered.
        answer = http.post(
            "/api/v1/entries/",
            json=entry_body(symptoms=LOW_RESTING_SPO2),
            headers={"Authorization": token},
        )
        assert answer.status_code == 201, answer.text
        alert = Alert.objects.get(patient=patient)
        wait_until(
            lambda: DashboardPush.objects.filter(alert=alert).exists(),
            what="the worker to push the new alert",
        )
        with http.stream("GET", "/staff/live/", headers={"Last-Event-ID": str(before)}) as response:
            replayed = Stream(response).event()
    assert replayed["data"] == {"alert": alert.pk, "level": "red", "reason": "opened"}
