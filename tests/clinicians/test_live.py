"""The live queue: the event stream at /staff/live/ and the pushes that feed it.

The stream is an async view: these tests open it with Django's AsyncClient and read its events
as the browser would. Its reads run in worker threads (on their own database connections), so
the stream tests use a committed database (transactional_db). Reading is bounded by a timeout
only so that a broken stream fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import AsyncClient, Client

from alerts import delivery, lifecycle
from alerts.models import Alert, DashboardPush, EventType, Level, Outcome
from clinicians import live
from diary.models import Clinic, StaffRole
from tests.helpers import (
    PASSWORD,
    add_amber_evidence,
    enroll,
    enrolled_client,
    entry_body,
    make_alert,
    make_clinic,
    make_staff,
    report,
)

LIVE = "/staff/live/"
LOW_RESTING_SPO2 = {"hypoxia": {"spo2_rest": 86}}  # RED "ild" on T-DXd


# --- reading a stream -----------------------------------------------------------------------


class Events:
    """The blocks of an open event stream, parsed as EventSource does."""

    def __init__(self, response: Any) -> None:
        self.chunks = aiter(response.streaming_content)
        self.buffer = ""

    async def block(self, timeout: float = 5.0) -> dict[str, Any]:
        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(anext(self.chunks), timeout)
            self.buffer += chunk.decode()
        text, self.buffer = self.buffer.split("\n\n", 1)
        block: dict[str, Any] = {}
        for line in text.split("\n"):
            field, _, value = line.partition(":")
            block[field or "comment"] = value.strip()
        if "data" in block:
            block["data"] = json.loads(block["data"])
        return block

    async def event(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next event, skipping the retry hint and heartbeats."""
        while True:
            block = await self.block(timeout)
            if "event" in block:
                return block

    async def close(self) -> None:
        await self.chunks.aclose()  # type: ignore[attr-defined]


@asynccontextmanager
async def stream(client: AsyncClient, **headers: str) -> AsyncIterator[Events]:
    response = await client.get(LIVE, headers=headers)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/event-stream"
    events = Events(response)
    # The stream has its starting point once it sent its first line (the browser's "open").
    assert await events.block() == {"retry": str(live.RETRY_MS)}
    try:
        yield events
    finally:
        await events.close()


def signed_in(user: Any) -> AsyncClient:
    client = AsyncClient()
    client.force_login(user)
    return client


def run(scenario: Callable[[], Any]) -> None:
    async_to_sync(scenario)()


def push(alert: Alert, *, pk: int | None = None, reason: str = "opened") -> DashboardPush:
    extra = {"pk": pk} if pk is not None else {}
    return DashboardPush.objects.create(
        key=f"test-{DashboardPush.objects.count()}-{pk}",
        clinic_id=alert.patient.clinic_id,
        alert=alert,
        level=alert.level,
        reason=reason,
        **extra,
    )


@pytest.fixture(autouse=True)
def _in_process(settings: Any, tasks_in_process: None) -> None:
    """Tasks in-process and no Redis, whatever the environment says: the stream polls the
    table. tests/integration/test_live.py has the worker and Redis."""
    settings.REDIS_URL = ""


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, transactional_db: None) -> None:
    """A committed database, and a stream that polls every 20 ms instead of every second."""
    monkeypatch.setattr(live, "POLL_SECONDS", 0.02)


@pytest.fixture
def clinics(quick: None) -> tuple[Clinic, Clinic]:
    return make_clinic("AAA"), make_clinic("BBB")


def alert_in(clinic: Clinic, **fields: Any) -> Alert:
    patient, _ = enroll(clinic)
    return make_alert(patient, **fields)


# --- who may listen -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_stream_refuses_anyone_but_signed_in_clinic_staff():
    clinic = make_clinic()
    patient, _ = enroll(clinic)
    superuser = get_user_model().objects.create_superuser("root", password=PASSWORD)
    assert Client().get(LIVE).status_code == 403
    for outsider in (superuser, patient.user):  # no clinic membership
        if outsider is None:
            continue
        client = Client()
        client.force_login(outsider)
        assert client.get(LIVE).status_code == 403


@pytest.mark.django_db
def test_a_staff_member_who_has_not_passed_the_second_sign_in_step_is_refused():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    nurse = make_staff(make_clinic())
    TOTPDevice.objects.create(user=nurse, name="phone", confirmed=True)
    client = Client()
    client.force_login(nurse)  # the password step only
    assert client.get(LIVE).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "١", " 7"])
def test_a_cursor_that_is_not_a_push_id_is_a_clear_400(cursor):
    client = Client()
    client.force_login(make_staff(make_clinic()))
    assert client.get(LIVE, {"after": cursor}).status_code == 400
    assert client.get(LIVE, headers={"Last-Event-ID": cursor}).status_code == 400


# --- what it sends --------------------------------------------------------------------------


def test_the_stream_opens_with_a_retry_hint_and_sends_heartbeats(clinics, monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client) as events:
            assert await events.block() == {"comment": "heartbeat"}

    run(scenario)


def test_new_pushes_of_the_callers_clinic_stream_and_another_clinics_never_do(clinics):
    mine, other = clinics
    client = signed_in(make_staff(mine))
    my_alert, their_alert = alert_in(mine, level=Level.RED), alert_in(other, kind="fever")

    async def scenario() -> None:
        async with stream(client) as events:
            await sync_to_async(push)(their_alert)
            mine_first = await sync_to_async(push)(my_alert)
            await sync_to_async(push)(their_alert)
            mine_second = await sync_to_async(push)(my_alert, reason="acknowledged")
            first, second = await events.event(), await events.event()
        # Ids only, the level and what happened: no patient data.
        assert first == {
            "id": str(mine_first.pk),
            "event": "alert",
            "data": {"alert": my_alert.pk, "level": "red", "reason": "opened"},
        }
        assert (second["id"], second["data"]["reason"]) == (str(mine_second.pk), "acknowledged")

    run(scenario)


def test_a_new_stream_starts_after_what_the_page_already_shows(clinics):
    alert = alert_in(clinics[0])
    push(alert)
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client) as events:
            new = await sync_to_async(push)(alert, reason="assigned")
            assert (await events.event())["id"] == str(new.pk)

    run(scenario)


def test_a_reconnection_replays_exactly_the_pushes_after_its_last_event_id(clinics):
    alert = alert_in(clinics[0])
    first, second, third = push(alert), push(alert), push(alert)
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client, **{"Last-Event-ID": str(first.pk)}) as events:
            replayed = [(await events.event())["id"] for _ in range(2)]
            assert replayed == [str(second.pk), str(third.pk)]
            fourth = await sync_to_async(push)(alert)
            assert (await events.event())["id"] == str(fourth.pk)

    run(scenario)


def test_after_in_the_query_resumes_like_last_event_id_and_the_header_wins(clinics):
    alert = alert_in(clinics[0])
    first, second, third = push(alert), push(alert), push(alert)
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        response = await client.get(LIVE, {"after": first.pk})
        events = Events(response)
        assert (await events.event())["id"] == str(second.pk)
        await events.close()
        # The browser's own reconnection sends Last-Event-ID to the same URL: it is newer.
        response = await client.get(
            LIVE, {"after": first.pk}, headers={"Last-Event-ID": str(second.pk)}
        )
        events = Events(response)
        assert (await events.event())["id"] == str(third.pk)
        await events.close()

    run(scenario)


def test_more_missed_pushes_than_the_backlog_send_one_resync_to_the_latest(clinics, monkeypatch):
    monkeypatch.setattr(live, "BACKLOG", 3)
    alert = alert_in(clinics[0])
    pushes = [push(alert) for _ in range(5)]
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client, **{"Last-Event-ID": str(pushes[0].pk)}) as events:
            assert await events.event() == {
                "id": str(pushes[-1].pk),
                "event": "resync",
                "data": {},
            }
            after = await sync_to_async(push)(alert)
            assert (await events.event())["id"] == str(after.pk)

    run(scenario)


def test_an_id_beyond_the_latest_push_resyncs_instead_of_waiting_for_it(clinics):
    alert = alert_in(clinics[0])
    latest = push(alert)
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client, **{"Last-Event-ID": str(latest.pk + 1000)}) as events:
            resync = await events.event()
            assert (resync["event"], resync["id"]) == ("resync", str(latest.pk))

    run(scenario)


def test_a_push_that_commits_after_a_higher_one_was_sent_still_streams(clinics):
    alert = alert_in(clinics[0])
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client) as events:
            await sync_to_async(push)(alert, pk=500)
            assert (await events.event())["id"] == "500"
            # Its id was taken before 500's, its transaction committed after.
            await sync_to_async(push)(alert, pk=400)
            assert (await events.event())["id"] == "400"
            await sync_to_async(push)(alert, pk=501)
            assert (await events.event())["id"] == "501"  # and 500 was not sent twice

    run(scenario)


def test_with_redis_unreachable_the_stream_polls_the_table_and_still_streams(clinics, settings):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    alert = alert_in(clinics[0])
    client = signed_in(make_staff(clinics[0]))

    async def scenario() -> None:
        async with stream(client) as events:
            new = await sync_to_async(push)(alert)
            assert (await events.event())["id"] == str(new.pk)

    run(scenario)


def test_the_cursor_forgets_sent_ids_once_they_are_settled():
    now = [0.0]
    cursor = live.Cursor(10, clock=lambda: now[0])
    cursor.sent(12)
    cursor.sent(11)
    assert cursor.window() == (10, (12, 11))
    now[0] = live.LATE_COMMIT_SECONDS + 1
    cursor.sent(13)
    assert cursor.window() == (12, (13,))


def test_a_nurses_acknowledgement_reaches_a_colleagues_open_queue(clinics):
    clinic = clinics[0]
    alert = alert_in(clinic, level=Level.RED)
    nurse, colleague = make_staff(clinic), make_staff(clinic)
    client = signed_in(colleague)

    async def scenario() -> None:
        async with stream(client) as events:
            await sync_to_async(lifecycle.acknowledge_alert)(alert_id=alert.pk, user=nurse)
            event = await events.event()
        assert event["data"] == {"alert": alert.pk, "level": "red", "reason": "acknowledged"}

    run(scenario)


def test_a_red_entry_reaches_the_clinics_open_queue_as_a_new_red(clinics):
    clinic = clinics[0]
    patient, api = enrolled_client(clinic, "trastuzumab_deruxtecan")
    client = signed_in(make_staff(clinic))

    async def scenario() -> None:
        async with stream(client) as events:
            # Tasks run in-process here: the dashboard notification is delivered at commit.
            answer = await sync_to_async(api.post)(
                "/api/v1/entries/", entry_body(symptoms=LOW_RESTING_SPO2), format="json"
            )
            assert answer.status_code == 201
            event = await events.event()
        alert = await Alert.objects.aget(patient=patient)
        assert (alert.kind, alert.level) == ("ild", "red")
        assert event["data"] == {"alert": alert.pk, "level": "red", "reason": "opened"}

    run(scenario)


# --- the pushes: one per change, after commit -----------------------------------------------

LIFECYCLE: dict[str, Callable[[Alert, Any], Any]] = {
    "acknowledged": lambda a, u: lifecycle.acknowledge_alert(alert_id=a.pk, user=u),
    "assigned": lambda a, u: lifecycle.assign_alert(alert_id=a.pk, user=u, assignee=u),
    "call_logged": lambda a, u: lifecycle.log_call(alert_id=a.pk, user=u, summary="rang"),
    "note": lambda a, u: lifecycle.add_note(alert_id=a.pk, user=u, text="seen"),
    "escalated": lambda a, u: lifecycle.escalate_alert(alert_id=a.pk, user=u),
    "resolved": lambda a, u: lifecycle.resolve_alert(
        alert_id=a.pk, user=u, outcome=Outcome.ADVICE_GIVEN
    ),
    "expected_level_set": lambda a, u: (
        add_amber_evidence(a),
        lifecycle.mark_expected(alert_id=a.pk, user=u, days=3, reason="chronic"),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("reason", list(LIFECYCLE))
def test_each_lifecycle_action_pushes_its_change_when_it_commits(
    reason, django_capture_on_commit_callbacks
):
    clinic = make_clinic()
    alert = alert_in(clinic, level=Level.RED)
    nurse = make_staff(clinic, StaffRole.NURSE)
    with django_capture_on_commit_callbacks() as callbacks:
        LIFECYCLE[reason](alert, nurse)
    assert not DashboardPush.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    event = alert.events.get(type=reason)
    assert list(DashboardPush.objects.values_list("key", "clinic", "alert", "level", "reason")) == [
        (f"event-{event.pk}", clinic.pk, alert.pk, "red", reason)
    ]


@pytest.mark.django_db
def test_an_action_rolled_back_pushes_nothing(django_capture_on_commit_callbacks):
    clinic = make_clinic()
    alert = alert_in(clinic)
    nurse = make_staff(clinic)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        lifecycle.acknowledge_alert(alert_id=alert.pk, user=nurse)
        raise RuntimeError("the request failed after the action")
    assert not DashboardPush.objects.exists()


@pytest.mark.django_db
def test_the_same_change_pushed_twice_is_one_push(django_capture_on_commit_callbacks):
    from alerts.live import push_changes

    clinic = make_clinic()
    alert = alert_in(clinic)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.acknowledge_alert(alert_id=alert.pk, user=make_staff(clinic))
    event = alert.events.get(type=EventType.ACKNOWLEDGED)
    push_changes(event_ids=[event.pk])
    assert DashboardPush.objects.filter(key=f"event-{event.pk}").count() == 1


@pytest.mark.django_db
def test_a_new_alert_is_pushed_once_by_its_notification_and_a_raise_once_more(
    django_capture_on_commit_callbacks,
):
    clinic = make_clinic()
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan")
    with django_capture_on_commit_callbacks(execute=True):
        report(patient, {"diarrhea": {"stools_over_baseline": 4}})  # AMBER gi
    alert = Alert.objects.get(patient=patient)
    assert list(DashboardPush.objects.values_list("reason", "level")) == [("opened", "amber")]
    assert DashboardPush.objects.get().key.isdigit()  # the dashboard notification's id
    with django_capture_on_commit_callbacks(execute=True):
        report(patient, {"diarrhea": {"stools_over_baseline": 7}})  # grade 3: RED
    alert.refresh_from_db()
    assert alert.level == "red"
    reasons = list(DashboardPush.objects.values_list("reason", "level"))
    assert reasons == [("opened", "amber"), ("raised", "red")]


@pytest.mark.django_db
def test_new_evidence_on_an_open_alert_is_pushed_as_a_change(django_capture_on_commit_callbacks):
    clinic = make_clinic()
    patient, _ = enroll(clinic, "trastuzumab_deruxtecan")
    with django_capture_on_commit_callbacks(execute=True):
        report(patient, {"diarrhea": {"stools_over_baseline": 4}})
        report(patient, {"diarrhea": {"stools_over_baseline": 5}})
    assert list(DashboardPush.objects.values_list("reason", flat=True)) == ["opened", "evidence"]


@pytest.mark.django_db
def test_an_overdue_escalation_by_the_system_is_pushed(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    clinic = make_clinic()
    alert = alert_in(clinic, level=Level.RED)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.escalate_overdue(now=timezone.now() + timedelta(days=1)) == 1
    assert list(DashboardPush.objects.values_list("alert", "reason")) == [(alert.pk, "escalated")]


# --- the API under ASGI ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_sync_api_answers_through_the_asgi_application():
    from config.asgi import application

    clinic = make_clinic()
    patient, api = enrolled_client(clinic, "trastuzumab_deruxtecan")
    token = api._credentials["HTTP_AUTHORIZATION"]  # type: ignore[attr-defined]

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.post(
                "/api/v1/entries/",
                json=entry_body(symptoms=LOW_RESTING_SPO2),
                headers={"Authorization": token},
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["alert_level"] == "red"
            me = await http.get("/api/v1/me/", headers={"Authorization": token})
            assert me.status_code == 200
            assert me.json()["subject_id"] == patient.subject_id

    run(scenario)
