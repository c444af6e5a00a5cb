"""A nurse's triage of a RED alert, in Chromium, against the real server (issue #5, item 7).

The patient's phone is played by HTTP calls to the server's API (enrolment code, then entries
with the patient's token); the nurse is the browser. The alert must reach the nurse's open
queue by itself: the page is not reloaded, which a marker set in the page before the entry,
and still there after, proves.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert, EventType, Status
from diary import services
from tests.browser.server import AppServer
from tests.helpers import PASSWORD, enroll, make_clinic, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TDXD = "trastuzumab_deruxtecan"
NURSE = "nurse.ward"
# A possible ILD at RED: resting SpO2 under 88% (reference §5.2 RED 2 [V]), and at or under 92%
# on T-DXd (§5.2 RED 3 [D]).
LOW_RESTING_SPO2 = {"hypoxia": {"spo2_rest": 86, "spo2_exertion": 83}}
# Diarrhoea CTCAE grade 2 (4-6 stools a day over baseline) is AMBER (§5.3 [V CTCAE]).
AMBER_DIARRHEA = {"diarrhea": {"stools_over_baseline": 5}}
STARTED_DAYS_AGO = 35
ARRIVES_WITHIN_MS = 3_000  # the target for a new alert to show in an open queue


def enrolled_token(api: httpx.Client, code: str) -> str:
    """Redeem the enrolment code as the app does; the patient's access token."""
    answer = api.post("/api/v1/auth/enroll/", json={"code": code, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["access"])


def entry(recorded_at: datetime, symptoms: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": recorded_at.astimezone(timezone.get_fixed_timezone(60)).isoformat(),
        "symptoms": symptoms,
    }


def two_weeks_of_mild_reports(now: datetime) -> list[dict[str, Any]]:
    """An entry a day for 14 days: SpO2 drifting down within the green band, grade 1 diarrhoea
    some days, no fever. Gives the patient page a history to draw."""
    entries = []
    for day in range(14, 0, -1):
        spo2 = 97 - (14 - day) // 5
        symptoms: dict[str, Any] = {
            "hypoxia": {"spo2_rest": spo2, "spo2_exertion": spo2 - 2},
            "fever": {"temp_c": round(36.6 + (day % 3) / 10, 1)},
        }
        if day % 4 == 0:
            symptoms["diarrhea"] = {"stools_over_baseline": 1}
        entries.append(entry(now - timedelta(days=day, hours=-1), symptoms))
    return entries


def sign_in(page: Any, username: str) -> None:
    page.goto("/staff/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def audit_rows(page: Any) -> list[tuple[datetime, str]]:
    """The alert page's audit trail: (when, "who: what") per row, oldest first."""
    rows = []
    for item in page.locator("ol.trail > li").all():
        when = datetime.fromisoformat(item.locator("time").get_attribute("datetime"))
        rows.append((when, item.inner_text().split(", ", 1)[1]))
    return rows


def test_a_nurse_sees_a_red_ild_alert_arrive_live_then_acknowledges_calls_and_resolves_it(
    app: AppServer, page: Any, artifacts: Any
) -> None:
    clinic = make_clinic("WARD", name="Thoracic oncology day unit")
    make_staff(clinic, username=NURSE)
    patient, code = enroll(
        clinic,
        TDXD,
        baseline=services.Baseline(
            stools_per_day=1,
            spo2_rest=97,
            spo2_exertion=95,
            sob_exertion="none",
            weight_kg=Decimal("64.0"),
        ),
        birth_date=timezone.localdate() - timedelta(days=58 * 365),
        risk_factors=["prior_ild", "lung_comorbidity"],
        started_on=timezone.localdate() - timedelta(days=STARTED_DAYS_AGO),
    )
    course = patient.courses.get()
    for cycle_day in (0, 21):  # cycles 1 and 2: the alert comes on day 15 of cycle 2
        course.infusions.create(
            given_on=course.started_on + timedelta(days=cycle_day), dose_level=course.dose_level
        )
    # Another patient's AMBER alert is already waiting.
    _, other_code = enroll(clinic, "zongertinib")
    began = timezone.now().replace(microsecond=0)
    with httpx.Client(base_url=app.url, timeout=10) as api:
        other = {"Authorization": f"Bearer {enrolled_token(api, other_code)}"}
        amber = api.post("/api/v1/entries/", json=entry(began, AMBER_DIARRHEA), headers=other)
        assert amber.status_code == 201, amber.text
        assert amber.json()["alert_level"] == "amber"

        token = enrolled_token(api, code)
        api.headers["Authorization"] = f"Bearer {token}"
        history = api.post(
            "/api/v1/entries/batch/", json={"entries": two_weeks_of_mild_reports(began)}
        )
        assert history.status_code == 200, history.text
        assert {r["alert_level"] for r in history.json()["results"]} == {"green"}

        # The nurse signs in; the queue shows the AMBER alert and is listening. Anything the
        # Content-Security-Policy blocks (inline script or style, eval) is a console error.
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        sign_in(page, NURSE)
        queue = page.locator("#queue")
        rows = queue.locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("AMBER")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        page.evaluate("window.toxwatchMarker = 'set before the entry'")
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        queue_url = page.url

        # The phone sends a RED entry.
        answer = api.post("/api/v1/entries/", json=entry(timezone.now(), LOW_RESTING_SPO2))
        assert answer.status_code == 201, answer.text
        assert answer.json()["alert_level"] == "red"

        row = queue.locator("tbody tr.level-red")
        expect(row).to_be_visible(timeout=ARRIVES_WITHIN_MS)
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class(re.compile(r"\blevel-red\b"))  # RED first
    alert = Alert.objects.get(patient=patient)
    assert (alert.kind, alert.level, alert.status) == ("ild", "red", Status.OPEN)
    if app.worker is not None:  # integration run: the Celery worker delivered the push
        assert "deliver_notification_task" in app.worker.log.read_text()
    expect(row).to_contain_text("RED")
    expect(row).to_contain_text("Possible ILD / pneumonitis")
    expect(row).to_contain_text(patient.subject_id)
    expect(row).to_contain_text("Open")
    # No reload, no navigation: the page that was listening is the one showing the alert.
    assert page.evaluate("window.toxwatchMarker") == "set before the entry"
    assert navigations == [] and page.url == queue_url
    expect(page).to_have_title(re.compile(r"^\(1\) RED - "))
    expect(page.locator("body")).not_to_contain_text("{#")  # no template source on the page
    assert blocked == []
    page.screenshot(path=str(artifacts / "triage-queue.png"))

    # The alert page: why it fired, then the nurse's actions, each confirmed on the page.
    row.get_by_role("link", name="Possible ILD / pneumonitis").click()
    expect(page).to_have_url(re.compile(rf"/staff/alerts/{alert.pk}/$"))
    status_line = page.locator(".status-line")
    expect(status_line).to_contain_text("Open")
    why = page.locator("section", has_text="Why it fired")
    expect(why).to_contain_text("resting SpO2 86% < 88%")

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged.")
    expect(status_line).to_contain_text("Acknowledged")

    page.locator("summary", has_text="Log a call").click()
    page.get_by_label("What was said").fill(
        "Breathless walking to the kitchen since yesterday; no fever. Coming in today."
    )
    page.get_by_label("Yes, spoke to the patient or carer").check()
    page.get_by_role("button", name="Log call").click()
    expect(page.locator(".messages")).to_contain_text("Call logged.")
    page.screenshot(path=str(artifacts / "triage-alert.png"), full_page=True)

    page.locator("summary", has_text="Resolve").click()
    page.get_by_label("Outcome").select_option(label="Drug held")
    page.locator("#id_resolve-note").fill("T-DXd held; CT chest booked.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".messages")).to_contain_text("Resolved.")
    expect(status_line).to_contain_text("Resolved: drug held")
    ended = timezone.now()

    assert blocked == []  # htmx and the live queue ran under the CSP throughout

    # The audit trail shows each step, who did it and when, in order.
    alert.refresh_from_db()
    assert alert.status == Status.RESOLVED and alert.outcome == "drug_held"
    trail = audit_rows(page)
    assert [text for _, text in trail] == [
        "system: Opened at RED.",
        f"{NURSE}: Opened the alert page (the first of the care team to do so).",
        f"{NURSE}: Acknowledged.",
        f"{NURSE}: Call logged (reached): Breathless walking to the kitchen since yesterday; "
        "no fever. Coming in today.",
        f"{NURSE}: Resolved, outcome drug held: T-DXd held; CT chest booked.",
    ]
    # The page shows minutes; each time is within the test's own minutes.
    earliest = began.replace(second=0)
    assert all(earliest <= when <= ended for when, _ in trail), trail
    assert [when for when, _ in trail] == sorted(when for when, _ in trail)
    events = list(alert.events.order_by("at", "pk").values_list("type", "actor__username"))
    assert events == [
        (EventType.OPENED, None),
        (EventType.FIRST_OPENED, NURSE),  # the queue's "New" ended (issue 15)
        (EventType.ACKNOWLEDGED, NURSE),
        (EventType.CALL_LOGGED, NURSE),
        (EventType.RESOLVED, NURSE),
    ]

    # The patient page: the history, the alert, the latest entries.
    page.get_by_role("link", name=patient.subject_id).first.click()
    expect(page).to_have_url(re.compile(rf"/staff/patients/{patient.subject_id}/$"))
    expect(page.locator("h1")).to_contain_text(patient.subject_id)
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Possible ILD / pneumonitis")
    page.screenshot(path=str(artifacts / "patient.png"), full_page=True)

    # Back on the queue, the resolved alert no longer needs action; the AMBER one still does.
    page.get_by_role("link", name="Queue", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("AMBER")
    expect(rows.first).not_to_contain_text(patient.subject_id)
