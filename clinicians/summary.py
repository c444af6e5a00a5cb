"""What a queue row says the patient reported, in plain words, built from the alert's evidence
(issue 15, item 2; D78): "SpO2 at rest 91% (baseline 97%); Cough: mild (baseline none)".

The words are the catalogue's (``diary.catalogue.staff_label``), the values the patient's own
answers and baselines; no threshold is restated here, so nothing can disagree with the rules.
The evidence of a whole page of alerts is read in one query (``summaries``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from alerts.models import Alert, AlertEvidence
from alerts.rules.proctcae import PROCTCAE
from clinicians.triage import in_words
from diary.catalogue import reported_value, staff_answer, staff_label
from diary.grading import TERMS
from diary.models import Patient

# At most this many findings per row; more reads "and N more" (the alert page has them all).
MAX_PHRASES = 4

# The terms a rule's symptom family reads, where the names differ: only the order of a row's
# findings depends on it (the alert's own symptoms first), never what fired.
FAMILY_TERMS: Mapping[str, tuple[str, ...]] = {
    "spo2": ("hypoxia",),
    "respiratory": ("dyspnea", "cough", "hypoxia", "fever", "chills"),
    "liver": ("liver_symptoms",),
    "mucositis": ("mucositis_oral", "oral_pain"),
    "itch": ("pruritus",),
    "vision": ("vision_change",),
}

# Answers compared with the patient's baseline (``Patient.baseline()``) on the row.
BASELINES = ("spo2_rest", "spo2_exertion", "sob_exertion", "cough_severity")


def _notable(term: str, field: str, value: object) -> bool:
    """An answer worth a word: a reading, or anything beyond the least severe answer."""
    spec = TERMS[term].fields.get(field) if term in TERMS else None
    if value is None or value == "":
        return False
    if spec is None:
        return bool(value)
    if spec.kind == "bool":
        return bool(value) != spec.lower_is_worse
    if spec.kind == "choice":
        return bool(spec.choices) and value != spec.choices[0]
    if spec.lower_is_worse:  # a reading (SpO2, weight): always worth showing
        return True
    return isinstance(value, int | float) and value > 0


def _phrase(term: str, field: str, value: object, patient: Patient) -> str:
    spec = TERMS[term].fields.get(field) if term in TERMS else None
    label = staff_label(field)
    if spec is not None and spec.kind == "bool":
        # "Blood in stool"; a yes/no whose "no" is the worse says so ("Relieved by rest: no").
        plain_yes = value is True and not spec.lower_is_worse
        text = label if plain_yes else f"{label}: {staff_answer(field, value)}"
    elif spec is not None and spec.kind in ("int", "number"):
        text = f"{label} {reported_value(field, value)}"
    else:
        text = f"{label}: {staff_answer(field, value)}"
    base = patient.baseline().get(field) if field in BASELINES else None
    if base is not None:
        text += f" (baseline {reported_value(field, base)})"
    return text


def _related(term: str, families: set[str]) -> bool:
    return any(term == f or term in FAMILY_TERMS.get(f, ()) for f in families)


def summary(alert: Alert, evidence: Iterable[AlertEvidence]) -> str:
    """The row's words: the answers of the alert's triggering reports (newest first, the
    alert's own symptoms first), a questionnaire's raised composites, and for a time-based
    rule its finding."""
    items = list(evidence)
    families = {e.symptom for e in items}
    found: dict[tuple[str, str], tuple[bool, str]] = {}
    seen_entries: set[Any] = set()
    seen_responses: set[Any] = set()
    for item in items:  # newest first: the newest answer to a question wins
        if item.entry_id is not None and item.entry is not None:
            if item.entry_id in seen_entries:
                continue
            seen_entries.add(item.entry_id)
            for term, inputs in (item.entry.symptoms or {}).items():
                for field, value in (inputs or {}).items():
                    if (term, field) not in found and _notable(term, field, value):
                        phrase = _phrase(term, field, value, alert.patient)
                        found[(term, field)] = (_related(term, families), phrase)
        elif item.response_id is not None and item.response is not None:
            if item.response_id in seen_responses:
                continue
            seen_responses.add(item.response_id)
            for symptom, score in sorted((item.response.scores or {}).items()):
                if isinstance(score, int) and score > 0 and ("proctcae", symptom) not in found:
                    phrase = f"{staff_label(symptom)}: PRO-CTCAE {score} of 3"
                    # A composite rule's symptom is its family (PROCTCAE), not the item's key.
                    family = PROCTCAE.get(symptom, ("", symptom))[1]
                    found[("proctcae", symptom)] = (_related(family, families), phrase)
        else:
            found.setdefault(("rule", item.code), (True, in_words(item.finding)))
    phrases = [p for related, p in found.values() if related]
    phrases += [p for related, p in found.values() if not related]
    if not phrases:
        return ""
    shown = phrases[:MAX_PHRASES]
    more = len(phrases) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def summaries(alerts: Iterable[Alert]) -> dict[int, str]:
    """The words of each alert of a page, reading their evidence in one query."""
    alerts = list(alerts)
    by_alert: dict[int, list[AlertEvidence]] = {alert.pk: [] for alert in alerts}
    rows = (
        AlertEvidence.objects.filter(alert_id__in=list(by_alert))
        .select_related("entry", "response")
        .only(
            "alert_id",
            "code",
            "symptom",
            "reason",
            "source",
            "created_at",
            "entry__symptoms",
            "response__scores",
        )
        .order_by("-created_at", "-pk")
    )
    for row in rows:
        by_alert[row.alert_id].append(row)
    return {alert.pk: summary(alert, by_alert[alert.pk]) for alert in alerts}
