"""Plain language on every staff page (issue 15, item 3): on the demo clinic's pages, what a
member of staff reads has no rule id, no source tag outside the "why this fired" disclosure and
no field name in snake_case; the disclosure explains every tag in the reference's own words."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from alerts.models import Alert
from diary import catalogue, catalogue_text
from diary.grading import TERMS
from diary.grading.ctcae import RULES
from diary.models import Patient
from tests.helpers import staff_client

pytestmark = pytest.mark.django_db

RULE_ID = re.compile(r"\b[a-z]+\.(?:red|amber)\.[a-z0-9_]+")
SOURCE_TAG = re.compile(r"\[(?:V|S|D|NV)\b[^\]]*\]")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
HIDDEN = {"script", "style", "template", "details", "head"}


class VisibleText(HTMLParser):
    """The text a reader sees at first: outside <details> (the disclosure), scripts and head."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


# A field name with its underscores made spaces and capitalised, as the pages did ("Tki doses
# taken"), where the catalogue's label says something else ("Tablet doses taken").
# CTCAE's own criteria may use the same words ("Oral intake decreased ..."): those are not ours.
CTCAE_WORDS = " ".join(c.text for rules in RULES.values() for c in rules.criteria)
NAIVE = {
    key.replace("_", " ").capitalize(): label
    for key, label in catalogue_text.STAFF_LABELS.items()
    if "_" in key
    and key.replace("_", " ").lower() != label.lower()
    and key.replace("_", " ").capitalize() not in CTCAE_WORDS
}


def problems(html: str) -> list[str]:
    words = visible(html)
    found = []
    for name, pattern in (("rule id", RULE_ID), ("tag", SOURCE_TAG), ("field", SNAKE_CASE)):
        found += [f"{name} {m.group(0)!r}" for m in pattern.finditer(words)]
    found += [f"field as words {naive!r}" for naive in NAIVE if re.search(rf"\b{naive}\b", words)]
    return found


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())
    users = get_user_model().objects
    nurse, oncologist = users.get(username="nurse"), users.get(username="oncologist")
    # An escalation with its hand-off, so the page shows one.
    alert = Alert.objects.filter(clinic__code="DEMO", status="open").order_by("pk").first()
    assert alert is not None
    staff_client(nurse).post(
        f"/staff/alerts/{alert.pk}/escalate/",
        {"escalate-to": str(oncologist.pk), "escalate-note": "Please review today"},
    )
    return {"nurse": nurse, "datamanager": users.get(username="datamanager")}


def test_no_staff_page_shows_a_rule_id_a_bare_tag_or_a_field_name(demo):
    nurse = staff_client(demo["nurse"])
    urls = ["/staff/", "/staff/?status=all", "/staff/programme/"]
    urls += [f"/staff/alerts/{pk}/" for pk in Alert.objects.values_list("pk", flat=True)]
    urls += [
        f"/staff/patients/{s}/"
        for s in Patient.objects.filter(clinic__code="DEMO").values_list("subject_id", flat=True)
    ]
    found = {}
    for url in urls:
        response = nurse.get(url)
        assert response.status_code == 200, url
        if bad := problems(response.content.decode()):
            found[url] = sorted(set(bad))
    exports = staff_client(demo["datamanager"]).get("/staff/exports/")
    assert exports.status_code == 200
    if bad := problems(exports.content.decode()):
        found["/staff/exports/"] = sorted(set(bad))
    assert not found, found
    assert len(urls) > 20  # the demo's alerts and patients were all looked at


def test_the_alert_page_explains_why_it_fired_and_every_tag(demo):
    alert = Alert.objects.filter(clinic__code="DEMO", evidence__isnull=False).first()
    assert alert is not None
    html = staff_client(demo["nurse"]).get(f"/staff/alerts/{alert.pk}/").content.decode()
    disclosure = re.search(r"<details class=\"why-fired\">.*?</details>", html, re.S)
    assert disclosure, "no 'Why this fired' disclosure"
    inside = disclosure.group(0)
    assert "Why this fired" in inside
    assert all(code in inside for code in alert.evidence.values_list("code", flat=True))
    # The reference's own legend (../shared/clinical/reference.md, top).
    for tag, meaning in (
        ("[V]", "verified"),
        ("[S]", "secondary"),
        ("[D]", "design choice"),
        ("[NV]", "not verified"),
    ):
        assert re.search(rf"{re.escape(tag)}</(?:dt|strong|code)>.*?{meaning}", inside, re.S | re.I)


def test_every_field_of_the_vocabulary_has_a_staff_label():
    names = {name for spec in TERMS.values() for name in spec.fields}
    names |= set(catalogue_text.MEDICATION_LABELS)
    missing = sorted(names - set(catalogue_text.STAFF_LABELS))
    assert not missing
    assert catalogue.staff_label("tki_doses_taken") == "Tablet doses taken"
    assert catalogue.staff_label("qlq_c30") == "EORTC QLQ-C30"
    assert not SNAKE_CASE.search(" ".join(catalogue_text.STAFF_LABELS.values()))
