"""A busy queue at a glance and the escalation hand-off, in Chromium against the real server
(issue 15, items 2 and 6).

Thirty open alerts, 24 RED and 6 AMBER, each raised by a real report through the diary service:
RED and AMBER each have their own section with its count, every AMBER is on the first screen
of its section (the AMBER count at the top jumps to it), every row says what was reported and
is marked "New" until someone opens it. Then a nurse escalates a RED to a named oncologist with
a note, and the oncologist, signing in, finds it assigned to them with the note at the top.
A colleague's first opening clears the marker in an open queue live; axe-core finds no
violation on the queue or the alert page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from diary import services
from diary.models import StaffRole
from identity import services as identity_services
from identity.models import Contact
from tests.browser.server import AppServer
from tests.browser.test_triage import sign_in
from tests.helpers import enroll, make_clinic, make_staff, record_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TDXD = "trastuzumab_deruxtecan"
REDS, AMBERS = 24, 6
NURSE, ONCOLOGIST = "nurse.queue", "dr.okafor"


def busy_clinic() -> tuple[Any, list[Alert], list[Alert]]:
    """A clinic with 24 RED possible ILDs (resting SpO2 under 88%, reference §5.2 RED 2 [V])
    and 6 AMBER diarrhoeas (CTCAE grade 2, §5.3 [V CTCAE]), each from a report."""
    clinic = make_clinic("BUSY", name="Thoracic oncology day unit")
    make_staff(clinic, StaffRole.NURSE, username=NURSE)
    oncologist = make_staff(clinic, StaffRole.ONCOLOGIST, username=ONCOLOGIST)
    now = timezone.now()
    baseline = services.Baseline(stools_per_day=1, spo2_rest=97, spo2_exertion=95)
    for n in range(REDS):
        patient, _ = enroll(clinic, TDXD, baseline=baseline, subject_id=f"BUSY-{n + 1:03d}")
        record_entry(
            patient,
            now - timedelta(minutes=5 + 3 * n),
            {"hypoxia": {"spo2_rest": 86 - n % 3, "spo2_exertion": 84 - n % 3}},
        )
    for n in range(AMBERS):
        patient, _ = enroll(clinic, "zongertinib", baseline=baseline, subject_id=f"BUSY-{101 + n}")
        record_entry(
            patient,
            now - timedelta(minutes=20 + 7 * n),
            {"diarrhea": {"stools_over_baseline": 4 + n % 3}},
        )
    reds = list(Alert.objects.filter(clinic=clinic, level="red"))
    ambers = list(Alert.objects.filter(clinic=clinic, level="amber"))
    assert (len(reds), len(ambers)) == (REDS, AMBERS)
    return oncologist, reds, ambers


def test_thirty_open_alerts_red_and_amber_sections_and_the_new_marker(
    app: AppServer, page: Any, artifacts: Any
) -> None:
    _, reds, ambers = busy_clinic()
    sign_in(page, NURSE)
    red, amber = page.locator("#queue-red"), page.locator("#queue-amber")
    expect(red.locator("h2")).to_contain_text(f"{REDS} RED alerts")
    expect(amber.locator("h2")).to_contain_text(f"{AMBERS} AMBER alerts")
    expect(red.locator("tbody tr")).to_have_count(REDS)
    expect(amber.locator("tbody tr")).to_have_count(AMBERS)
    expect(page.locator("#queue-counts")).to_contain_text(str(AMBERS))
    # Each row: what was reported, how long ago, New, who has it.
    first_red = red.locator("tbody tr").first
    expect(first_red).to_contain_text(re.compile(r"SpO2 at rest 8[4-6]%"))
    expect(first_red).to_contain_text("(baseline 97%)")
    expect(first_red.locator("time").first).to_have_text(re.compile(r"^(just now|\d+ min ago)$"))
    expect(first_red).to_contain_text("Not assigned")
    expect(page.locator(".new-marker")).to_have_count(REDS + AMBERS)
    page.screenshot(path=str(artifacts / "queue.png"))

    # The AMBER count at the top takes the nurse to the AMBER section: all six on one screen.
    page.locator("#queue-counts").get_by_role("link", name="AMBER").click()
    expect(amber.locator("h2")).to_be_in_viewport()
    for row in amber.locator("tbody tr").all():
        expect(row).to_be_in_viewport()
        expect(row).to_contain_text("Stools over baseline")
    page.screenshot(path=str(artifacts / "queue-amber.png"))

    # Opening an alert ends its "New" for everyone; the others keep theirs.
    opened = ambers[0]
    amber.locator(f'a[href="/staff/alerts/{opened.pk}/"]').click()
    expect(page).to_have_url(re.compile(rf"/staff/alerts/{opened.pk}/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    row = page.locator(
        "#queue-amber tbody tr", has=page.locator(f'a[href="/staff/alerts/{opened.pk}/"]')
    )
    expect(row).not_to_contain_text("New")
    expect(page.locator(".new-marker")).to_have_count(REDS + AMBERS - 1)
    opened.refresh_from_db()
    assert opened.first_opened_by is not None and opened.first_opened_by.username == NURSE


def test_the_oncologist_finds_the_escalation_assigned_to_them_with_the_note_on_top(
    app: AppServer, page: Any, artifacts: Any
) -> None:
    oncologist, reds, _ = busy_clinic()
    alert = reds[0]
    # Invented details (a UK drama number): the page opens with whom to call, then the hand-off.
    identity_services.save_contact(
        patient=alert.patient,
        contact=Contact(
            name="Margaret Ellison",
            hospital_number="RX 204 117",
            phone="+44 20 7946 0132",
            preferred_language="English",
            emergency_name="Tom Ellison (husband)",
            emergency_phone="+44 20 7946 0133",
        ),
        user=None,
    )
    note = "Resting SpO2 86%, breathless walking to the kitchen. Please review today: CT?"
    sign_in(page, NURSE)
    page.goto(f"/staff/alerts/{alert.pk}/")
    page.locator("summary", has_text="Escalate to an oncologist").click()
    page.get_by_label("Escalate to").select_option(label=f"{ONCOLOGIST} (oncologist)")
    page.get_by_label("Why (for the oncologist)").fill(note)
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator(".messages")).to_contain_text("Escalated.")
    handoff = page.locator("section.handoff")
    expect(handoff).to_contain_text(f"Escalated by {NURSE} to {ONCOLOGIST}")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, ONCOLOGIST)
    row = page.locator(
        "#queue-red tbody tr", has=page.locator(f'a[href="/staff/alerts/{alert.pk}/"]')
    )
    expect(row).to_contain_text(f"Escalated to {ONCOLOGIST}")
    page.get_by_label("Escalated to me").check()
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/staff/alerts/{alert.pk}/$"))
    # Under the heading: whom to call, then the hand-off: who, to whom (you), when, the note.
    expect(page.locator("a[href='tel:+442079460132']").first).to_be_in_viewport()
    expect(handoff).to_be_in_viewport()
    expect(handoff).to_contain_text(f"Escalated by {NURSE} to {ONCOLOGIST}")
    expect(handoff).to_contain_text("(to you)")
    expect(handoff.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(handoff).to_contain_text(note)
    expect(page.locator(".status-line")).to_contain_text(f"Assigned to {ONCOLOGIST}")
    expect(page.locator(".page-head")).not_to_contain_text("Nobody")
    # The rules and their tags are behind "Why this fired"; the reasons read in words.
    why = page.locator("details.why-fired")
    expect(why.locator("code").first).not_to_be_visible()
    why.locator("summary").click()
    expect(why).to_contain_text("ild.red.spo2_rest_below_88")
    expect(why).to_contain_text("verified")
    page.screenshot(path=str(artifacts / "alert.png"), full_page=True)
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to) == ("escalated", oncologist)


def test_the_queue_and_the_alert_page_have_no_accessibility_violations(
    app: AppServer, chromium: Any
) -> None:
    from tests.browser.test_patient_app import axe_violations

    oncologist, reds, _ = busy_clinic()
    context = chromium.new_context(
        base_url=app.url, viewport={"width": 1280, "height": 900}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    try:
        sign_in(page, NURSE)
        assert axe_violations(page) == [], "queue"
        page.goto(f"/staff/alerts/{reds[0].pk}/")
        page.locator("summary", has_text="Escalate to an oncologist").click()
        page.get_by_label("Escalate to").select_option(label=f"{ONCOLOGIST} (oncologist)")
        page.get_by_role("button", name="Escalate").click()
        expect(page.locator("section.handoff")).to_be_visible()
        page.locator("details.why-fired summary").click()
        assert axe_violations(page) == [], "alert page with the hand-off"
    finally:
        context.close()


def test_a_colleague_opening_an_alert_clears_its_new_marker_in_an_open_queue_live(
    app: AppServer, page: Any, chromium: Any
) -> None:
    clinic = make_clinic("LIVE")
    make_staff(clinic, StaffRole.NURSE, username=NURSE)
    make_staff(clinic, StaffRole.NURSE, username="nurse.colleague")
    patient, _ = enroll(clinic, "zongertinib")
    record_entry(patient, timezone.now(), {"diarrhea": {"stools_over_baseline": 5}})
    alert = Alert.objects.get(patient=patient)
    sign_in(page, NURSE)
    row = page.locator("#queue tbody tr", has=page.locator(f'a[href="/staff/alerts/{alert.pk}/"]'))
    expect(row.locator(".new-marker")).to_have_count(1)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.toxwatchMarker = 'not reloaded'")

    colleague = chromium.new_context(base_url=app.url, locale="en-GB")
    try:
        other = colleague.new_page()
        sign_in(other, "nurse.colleague")
        other.goto(f"/staff/alerts/{alert.pk}/")
        expect(other.locator("h1")).to_contain_text("GI")
    finally:
        colleague.close()
    # The first opening is pushed: the open queue re-reads itself and the marker goes.
    expect(row.locator(".new-marker")).to_have_count(0, timeout=5_000)
    assert page.evaluate("window.toxwatchMarker") == "not reloaded"
