"""The diary catalogue (``GET /api/v1/catalogue/``): what an app needs to build the diary screens.

Built from the grading vocabulary (``diary.grading.TERMS``: every self-reportable term of
reference §1.2, §1.3, §5.5 and §5.7, with its fields, kinds, choices, ranges and units), so it
can neither miss nor invent a term or a field; the terms to ask this patient today, in order,
come from ``report_terms_for`` (``diary.drugs.report_terms`` plus due follow-ups, as ``/me``);
the "call now" answers are ``diary.call_now``; the texts are translated with Django's gettext.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from diary import call_now, catalogue_text, drugs
from diary.grading import TERMS
from diary.grading.terms import FieldSpec, TermSpec
from diary.models import Patient

# The languages everything a patient reads is in (issue 16). Stored on Patient.language.
LANGUAGES: tuple[str, ...] = ("en", "es", "zh-hans")
DEFAULT_LANGUAGE = "en"
# Translations other than the English source wait for a clinician's review of the clinical
# wording (reference §5.8 [D]); a clinic's reviewer changes this once signed off.
TRANSLATION_STATUS = {
    "en": "source",
    "es": "awaiting_clinical_review",
    "zh-hans": "awaiting_clinical_review",
}


def supported_language(tag: str | None) -> str | None:
    """``es-MX`` -> ``es``, ``zh-CN``/``zh-Hans`` -> ``zh-hans``; None when not supported."""
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag in LANGUAGES:
        return tag
    if tag.startswith("zh"):
        traditional = any(part in tag for part in ("hant", "-tw", "-hk", "-mo"))
        return None if traditional else "zh-hans"
    base = tag.split("-")[0]
    return base if base in LANGUAGES else None


def language_from(*, query: str | None, patient: Patient | None) -> str:
    """``?lang=`` when supported, else the patient's stored language, else English."""
    chosen = supported_language(query)
    if chosen:
        return chosen
    if patient is not None and patient.language in LANGUAGES:
        return patient.language
    return DEFAULT_LANGUAGE


def report_terms_for(patient: Patient) -> list[str]:
    """The terms to ask this patient today, in order: ``drugs.report_terms`` for the drug,
    brain metastases and the weekly liver check, then the terms of due follow-ups."""
    course = patient.current_course()
    today = timezone.localdate()
    liver_check = False
    if course is not None and course.drug in drugs.LIVER_CHECK_DRUGS:
        last = patient.entries.filter(symptoms__has_key="liver_symptoms").aggregate(
            last=Max("recorded_at")
        )["last"]
        liver_check = drugs.liver_check_due(
            course.drug,
            days_on_treatment=(today - course.started_on).days,
            days_since_last_answer=(timezone.now() - last).days if last else None,
        )
    terms = drugs.report_terms(
        course.drug if course else None,
        brain_metastases=patient.brain_metastases,
        liver_check=liver_check,
        home_oximeter=patient.home_oximeter,
    )
    terms += [t for f in patient.followups.due() for t in f.terms if t not in terms]
    return terms


def _choice_label(field: str, value: str) -> str:
    label = catalogue_text.FIELD_CHOICE_LABELS.get((field, value))
    label = label or catalogue_text.CHOICE_LABELS.get(value)
    return str(label) if label is not None else value.replace("_", " ").capitalize()


def _field(term: str, name: str, spec: FieldSpec, primary: Iterable[str]) -> dict[str, Any]:
    help_text = catalogue_text.FIELD_HELP.get((term, name))
    return {
        "name": name,
        "kind": spec.kind,
        "label": gettext(spec.label),
        "help": str(help_text) if help_text else "",
        "primary": name in primary,
        "choices": [{"value": c, "label": _choice_label(name, c)} for c in spec.choices],
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "unit": spec.unit,
        "step": 1 if spec.kind == "int" else (0.1 if spec.kind == "number" else None),
        "lower_is_worse": spec.lower_is_worse,
    }


def _term(spec: TermSpec) -> dict[str, Any]:
    title = catalogue_text.TERM_TITLES.get(spec.name)
    # Primary fields first (the grader needs one of them), then the rest in vocabulary order.
    names = list(spec.primary_fields) + [n for n in spec.fields if n not in spec.primary_fields]
    return {
        "term": spec.name,
        "label": str(title) if title else gettext(spec.label),
        "ctcae_term": spec.label,
        "meddra_code": spec.meddra_code,
        "alert_only": spec.alert_only,
        "primary_fields": list(spec.primary_fields),
        "fields": [_field(spec.name, n, spec.fields[n], spec.primary_fields) for n in names],
    }


TKI_MEDICATIONS = ("tki_doses_taken", "tki_doses_missed", "tki_dose_vomited", "missed_dose_reason")


def medication_fields() -> list[dict[str, Any]]:
    """The entry's `medications`, described from the serializer that validates them, so the
    two cannot drift apart (kinds, ranges and lengths are its own)."""
    from rest_framework import serializers

    from diary.serializers import MedicationsSerializer

    fields = []
    for name, field in MedicationsSerializer().fields.items():
        spec: dict[str, Any] = {
            "name": name,
            "label": str(catalogue_text.MEDICATION_LABELS[name]),
            "help": str(catalogue_text.MEDICATION_HELP.get(name, "")),
            "primary": False,
            "choices": [],
            "minimum": None,
            "maximum": None,
            "unit": "",
            "step": None,
            "max_length": None,
            "lower_is_worse": False,
        }
        if isinstance(field, serializers.BooleanField):
            spec["kind"] = "bool"
        elif isinstance(field, serializers.IntegerField):
            spec.update(kind="int", step=1)
        elif isinstance(field, serializers.DecimalField):
            spec.update(kind="number", step=10 ** -(field.decimal_places or 0))
        else:
            spec.update(kind="text", max_length=getattr(field, "max_length", None))
        if spec["kind"] in {"int", "number"}:
            low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
            spec["minimum"] = float(low) if low is not None else None
            spec["maximum"] = float(high) if high is not None else None
        if name in MEDICATION_UNITS:
            spec["unit"] = MEDICATION_UNITS[name]
        fields.append(spec)
    return fields


def medications_to_ask(drug_class: str | None) -> list[str]:
    """Loperamide for everyone (the app asks it when diarrhoea is reported: §5.6 counts its
    daily total); the TKI doses for patients on an oral TKI (§5.6 adherence) [D]."""
    names = ["loperamide_mg"]
    if drug_class == "tki":
        names += list(TKI_MEDICATIONS)
    return names


def self_reported_terms() -> list[TermSpec]:
    return [spec for spec in TERMS.values() if spec.self_reportable]


def build(*, language: str, patient: Patient | None) -> dict[str, Any]:
    """The catalogue in ``language`` (one of LANGUAGES) for this patient (None: no 'today')."""
    course = patient.current_course() if patient is not None else None
    drug = course.drug if course is not None else None
    brain = patient.brain_metastases if patient is not None else False
    with translation.override(language):
        phone = patient.clinic.phone_24h if patient is not None else ""
        return {
            "language": language,
            "languages": list(LANGUAGES),
            "translation_status": TRANSLATION_STATUS[language],
            "terms": [_term(spec) for spec in self_reported_terms()],
            "ask_today": report_terms_for(patient) if patient is not None else [],
            "medications": {
                "label": str(catalogue_text.MEDICATIONS_TITLE),
                "fields": medication_fields(),
                "ask": medications_to_ask(course.drug_class if course is not None else None),
            },
            "call_now": [
                row.as_dict()
                for row in call_now.CALL_NOW
                if patient is None or row.applies_to(drug=drug, brain_metastases=brain)
            ],
            "contacts": {
                "clinic_phone_24h": phone,
                "emergency_number": settings.TOXWATCH_EMERGENCY_NUMBER,
            },
            "messages": {
                "levels": {k: str(v) for k, v in catalogue_text.LEVEL_MESSAGES.items()},
                "every_red": str(catalogue_text.EVERY_RED),
                "always": str(catalogue_text.ALWAYS),
                "red_by_kind": {k: str(v) for k, v in catalogue_text.RED_BY_KIND.items()},
                "status": TRANSLATION_STATUS[language],
                "source": "reference §5.8 [D: wording needs clinical sign-off]",
            },
        }


def etag(data: dict[str, Any]) -> str:
    body = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# --- the staff dashboard's words (issue 15, item 3) ------------------------------------------
# The care team reads the same vocabulary as the app, in short labels: a field, a term, a
# PRO-CTCAE symptom, an instrument and an answer are never shown by their code (D79).


def staff_label(name: str) -> str:
    """A field, term, PRO-CTCAE symptom or instrument as the care team reads it."""
    if name in catalogue_text.STAFF_LABELS:
        return catalogue_text.STAFF_LABELS[name]
    if name in TERMS:
        return TERMS[name].label
    from diary.grading.proctcae import PROCTCAE_SYMPTOMS

    if name in PROCTCAE_SYMPTOMS:
        return PROCTCAE_SYMPTOMS[name].label
    from diary import instruments

    if name in instruments.CURRENT:
        return instruments.CURRENT[name].title
    return name.replace("_", " ").capitalize()


def staff_answer(field: str, value: object) -> str:
    """An answer as the care team reads it: yes/no, a choice in words, a number as given."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        label = catalogue_text.STAFF_CHOICE_LABELS.get((field, value))
        return label if label is not None else value.replace("_", " ")
    return str(value)


# The units of medication fields (not asked by a grading term, so not in ``_field_units``).
MEDICATION_UNITS = {"loperamide_mg": "mg"}


@functools.cache
def _field_units() -> dict[str, str]:
    """Each field's unit, where every term that asks it gives the same one."""
    units: dict[str, set[str]] = {}
    for spec in TERMS.values():
        for name, field_spec in spec.fields.items():
            units.setdefault(name, set()).add(field_spec.unit)
    return {name: found.pop() for name, found in units.items() if len(found) == 1}


def reported_value(field: str, value: object) -> str:
    """An answer with the unit of its field, wherever it is asked: ``91%``, ``38.4 °C``."""
    text = staff_answer(field, value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return text
    unit = _field_units().get(field) or MEDICATION_UNITS.get(field, "")
    unit = catalogue_text.STAFF_UNITS.get(unit, unit)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


# A code in running text (a rule's condition): a field or term name in snake_case.
_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def plain_text(text: str) -> str:
    """Running text with any field, term or symptom name replaced by its label, lower case."""
    return _CODE.sub(lambda m: staff_label(m.group(0)).lower(), str(text))
