"""The dashboard on a tablet (768 px wide), in Chromium against the real server (issue 15): the
patient page shows every value whole, and a data manager's first export request succeeds (the
form's dates were in a format the browser's date field rejected, so it silently did nothing)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary import services
from diary.models import StaffRole
from tests.browser.server import AppServer
from tests.browser.test_triage import sign_in
from tests.helpers import enroll, make_clinic, make_staff, record_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}

# What a nurse on a tablet cannot read without hunting for a sideways scroll: content wider than
# its box, anything past the main column, a page that scrolls sideways. Charts and tables are
# left out: they scroll sideways on purpose, with their own visible scrollbar.
CLIPPED = """() => {
  const clipped = [];
  for (const el of document.querySelectorAll('main *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || el.closest('svg, .chart-figure, table')) continue;
    const hides = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (hides && el.scrollWidth > el.clientWidth + 1) clipped.push(el.outerHTML.slice(0, 120));
  }
  // Nothing reaches past the main column, except a chart or a table, which scroll sideways
  // on purpose (a section that scrolls because its facts do not fit hides them: the papercut).
  const edge = document.querySelector('main').getBoundingClientRect().right;
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('svg, .chart-figure, table')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > edge + 1) clipped.push('past: ' + el.outerHTML.slice(0, 120));
    // Content wider than its own box spills over its neighbours or past the screen's edge.
    if (el.clientWidth && el.scrollWidth > el.clientWidth + 1)
      clipped.push('spills: ' + el.outerHTML.slice(0, 120));
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) clipped.push('the page scrolls sideways');
  const main = document.querySelector('main').getBoundingClientRect();
  if (main.right > window.innerWidth + 1) clipped.push('main is wider than the screen');
  return clipped;
}"""


def test_the_patient_page_shows_every_value_whole_at_768_px(
    app: AppServer, chromium: Any, artifacts: Any
) -> None:
    clinic = make_clinic("TAB")
    make_staff(clinic, StaffRole.NURSE, username="nurse.tablet")
    patient, _ = enroll(
        clinic,
        "trastuzumab_deruxtecan",
        baseline=services.Baseline(
            stools_per_day=1, spo2_rest=97, spo2_exertion=95, weight_kg=Decimal("71.5")
        ),
    )
    now = timezone.now()
    for days in range(14, 0, -1):
        record_entry(
            patient,
            now - timedelta(days=days, hours=2),
            {
                "hypoxia": {"spo2_rest": 96, "spo2_exertion": 93},
                "fever": {"temp_c": 37.2},
                "diarrhea": {"stools_over_baseline": days % 3},
                "fatigue": {"limits_self_care": False, "relieved_by_rest": True},
            },
        )
    context = chromium.new_context(base_url=app.url, viewport=TABLET, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "nurse.tablet")
        page.goto(f"/staff/patients/{patient.subject_id}/")
        expect(page.locator("h1")).to_contain_text(patient.subject_id)
        assert page.evaluate(CLIPPED) == []
        page.screenshot(path=str(artifacts / "patient-768.png"), full_page=True)
    finally:
        context.close()


def test_a_data_managers_first_export_request_at_768_px_succeeds(
    app: AppServer, chromium: Any, artifacts: Any
) -> None:
    clinic = make_clinic("TAX")
    make_staff(clinic, StaffRole.DATA_MANAGER, username="data.tablet")
    context = chromium.new_context(base_url=app.url, viewport=TABLET, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "data.tablet")
        page.get_by_role("link", name="Exports").click()
        expect(page).to_have_url(re.compile(r"/staff/exports/$"))
        assert page.evaluate(CLIPPED) == []
        # The form as it comes: the pre-filled dates are taken by the browser's date fields.
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.get_by_label("First day").input_value())
        page.get_by_role("button", name=re.compile("Request", re.I)).click()
        expect(page.locator(".messages")).to_contain_text("Export requested")
        expect(page.locator("#exports tbody tr")).to_have_count(1)
        page.screenshot(path=str(artifacts / "exports-768.png"), full_page=True)
    finally:
        context.close()
