"""Markup every staff page shares: landmarks, a skip link, labelled controls, the vendored htmx,
and the blocks and attributes other parts of the dashboard build on."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.helpers import enroll, make_alert, make_clinic, make_staff, report, staff_client

pytestmark = pytest.mark.django_db


class Controls(HTMLParser):
    """Collects form controls, labels and landmarks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.in_label = 0
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "label":
            self.in_label += 1
            if found.get("for"):
                self.labels.add(str(found["for"]))
        if tag in {"input", "select", "textarea"} and found.get("type") not in {
            "hidden",
            "submit",
        }:
            self.controls.append({**found, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def parse(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


@pytest.fixture
def pages():
    clinic = make_clinic("AAA")
    nurse = make_staff(clinic)
    patient, _ = enroll(clinic, "zongertinib", subject_id="AAA-001")
    report(patient, {"diarrhea": {"stools_over_baseline": 5}})
    alert = patient.alerts.get()
    make_alert(enroll(clinic, subject_id="AAA-002")[0])
    client = staff_client(nurse)
    return {
        url: client.get(url).content.decode()
        for url in ("/staff/", f"/staff/alerts/{alert.pk}/", "/staff/account/two-factor/")
    }


def test_every_form_control_has_a_label(pages):
    for url, html in pages.items():
        page = parse(html)
        assert page.controls, url
        for control in page.controls:
            assert control["wrapped"] or control.get("id") in page.labels, (url, control)


def test_every_page_has_a_language_main_landmark_and_a_skip_link(pages):
    for url, html in pages.items():
        tags = parse(html).tags
        assert ("html", {"lang": "en-GB"}) in tags, url
        assert any(tag == "main" and attrs.get("id") == "main" for tag, attrs in tags), url
        assert 'href="#main"' in html, url
        assert any(tag == "nav" and attrs.get("aria-label") == "Main" for tag, attrs in tags)


def test_the_sign_in_page_labels_its_fields():
    from django.test import Client

    page = parse(Client().get("/staff/login/").content.decode())
    assert {c.get("id") for c in page.controls} <= page.labels


def test_the_base_template_loads_the_vendored_htmx_and_the_stylesheet(pages):
    html = pages["/staff/"]
    assert '<script src="/static/clinicians/vendor/htmx-2.0.11.min.js" defer>' in html
    assert '<link rel="stylesheet" href="/static/clinicians/dashboard.css">' in html
    assert finders.find("clinicians/vendor/htmx-2.0.11.min.js")
    assert finders.find("clinicians/dashboard.css")


def test_the_stylesheet_has_print_and_narrow_screen_rules():
    css = Path(str(finders.find("clinicians/dashboard.css"))).read_text(encoding="utf-8")
    assert "@media print" in css
    assert "@media (max-width: 900px)" in css
    assert ":focus-visible" in css
