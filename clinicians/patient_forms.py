"""Forms of the patient list and of enrolment from the dashboard (issue 15, item 4)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db import models

from clinicians.forms import BaselinesForm, set_choices
from diary import drugs
from diary.models import RISK_FACTOR_FIELDS, Drug, Patient
from diary.services import Baseline
from identity.models import Contact

ALERTS_RED = "red"
ALERTS_AMBER = "amber"
ALERTS_NONE = "none"
DIARY_NONE = "none"
DIARY_SOME = "some"
DIARY_MOST = "most"
DIARY_WINDOW_DAYS = 7
DIARY_MOST_FROM = 5  # entries in the last 7 days that count as "most days"


class PatientFilterForm(forms.Form):
    """The patient list's search and filters; all optional, an unknown value is a form error."""

    q = forms.CharField(
        label="Name, hospital number or study number",
        required=False,
        max_length=100,
        help_text="Whole words of the name, or the exact hospital number.",
    )
    drug = forms.ChoiceField(choices=[("", "Any drug"), *Drug.choices], required=False)
    alerts = forms.ChoiceField(
        label="Alerts",
        choices=[
            ("", "Any"),
            (ALERTS_RED, "Open RED"),
            (ALERTS_AMBER, "Open AMBER (no RED)"),
            (ALERTS_NONE, "No open alert"),
        ],
        required=False,
    )
    diary = forms.ChoiceField(
        label=f"Diary, last {DIARY_WINDOW_DAYS} days",
        choices=[
            ("", "Any"),
            (DIARY_NONE, "No entry"),
            (DIARY_SOME, f"1 to {DIARY_MOST_FROM - 1} entries"),
            (DIARY_MOST, f"{DIARY_MOST_FROM} entries or more"),
        ],
        required=False,
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _risk_factor_choices() -> list[tuple[str, str]]:
    labels = []
    for name in RISK_FACTOR_FIELDS:
        field = Patient._meta.get_field(name)
        assert isinstance(field, models.Field)
        label = str(field.verbose_name)
        labels.append((name, label[:1].upper() + label[1:]))
    return labels


def _dose_choices() -> list[tuple[str, str]]:
    return [
        ("", "The drug's starting dose"),
        *(
            (level.code, f"{drug.name}: {level.label}")
            for drug in drugs.DRUGS.values()
            for level in drug.dose_levels
        ),
    ]


PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ().-]{2,39}$",
    "Write a phone number with digits, spaces and an optional leading +, e.g. +44 20 7946 0123.",
)


class ContactForm(forms.Form):
    """Who the patient is (stored encrypted in the identity app, never in the diary): changed
    by a nurse or oncologist (audited), and part of the enrolment form."""

    name = forms.CharField(label="Full name", max_length=200)
    hospital_number = forms.CharField(label="Hospital number", max_length=40)
    phone = forms.CharField(label="Phone", max_length=40, validators=[PHONE])
    other_phone = forms.CharField(
        label="Other phone", max_length=40, required=False, validators=[PHONE]
    )
    preferred_language = forms.CharField(
        label="Language to speak on the phone", max_length=60, required=False
    )
    emergency_name = forms.CharField(label="Emergency contact", max_length=200, required=False)
    emergency_phone = forms.CharField(
        label="Emergency contact's phone", max_length=40, required=False, validators=[PHONE]
    )

    def contact(self) -> Contact:
        return Contact(**{f.name: self.cleaned_data[f.name].strip() for f in fields(Contact)})


class EnrolForm(ContactForm, BaselinesForm):
    """A new patient: who they are (``ContactForm``), treatment, the baselines of reference §5.2
    (breathlessness and cough included) and risk factors (§3.1)."""

    # Treatment.
    drug = forms.ChoiceField(choices=Drug.choices)
    dose_level = forms.ChoiceField(label="Dose", required=False)
    started_on = forms.DateField(
        label="Treatment starts on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today.",
    )
    birth_date = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Age under 65 is a T-DXd ILD risk factor (reference §3.1).",
    )
    brain_metastases = forms.BooleanField(label="Brain metastases", required=False)
    risk_factors = forms.MultipleChoiceField(
        label="ILD risk factors (reference §3.1)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["reason"]
        set_choices(self, "dose_level", _dose_choices())
        set_choices(self, "risk_factors", _risk_factor_choices())
        # The baselines the ILD and GI rules compare with (§5.2): breathlessness and cough are
        # asked of everyone ("none" is an answer), so a chronic cough is never "new".
        for name in ("sob_exertion", "cough_severity", "stools_per_day"):
            self.fields[name].required = True
        self.fields["sob_exertion"].label = "Breathlessness before treatment"
        self.fields["cough_severity"].label = "Cough before treatment"
        self.fields["stools_per_day"].label = "Stools per day before treatment"
        # The model's plausible ranges, checked here too so that each error is on its field.
        for name in ("spo2_rest", "spo2_exertion", "stools_per_day"):
            column = Patient._meta.get_field(f"baseline_{name}")
            assert isinstance(column, models.Field)
            self.fields[name].validators.extend(column.validators)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        drug = data.get("drug")
        dose = data.get("dose_level")
        if drug and dose and dose not in drugs.DRUGS[drug].dose_codes:
            self.add_error("dose_level", "Choose a dose of the chosen drug.")
        # SpO2 is asked in the diary on T-DXd or with a home oximeter (the diary's terms,
        # drugs.report_terms): then it needs its baseline.
        asked = drugs.report_terms(
            drug, brain_metastases=False, home_oximeter=bool(data.get("home_oximeter"))
        )
        if drug and "hypoxia" in asked:
            for name in ("spo2_rest", "spo2_exertion"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Needed on T-DXd or with a home pulse oximeter.")
        return data

    def enrolment(self) -> dict[str, Any]:
        """The keyword arguments of ``diary.services.enroll_patient`` (besides the clinic)."""
        data = self.cleaned_data
        baselines = self.changes()
        return {
            "drug": data["drug"],
            "dose_level": data["dose_level"] or None,
            "started_on": data["started_on"],
            "birth_date": data["birth_date"],
            "baseline": Baseline(
                stools_per_day=baselines["stools_per_day"],
                spo2_rest=baselines["spo2_rest"],
                spo2_exertion=baselines["spo2_exertion"],
                sob_exertion=baselines["sob_exertion"],
                weight_kg=baselines["weight_kg"],
                cough_severity=baselines["cough_severity"],
                composites=baselines["composites"],
            ),
            "brain_metastases": data["brain_metastases"],
            "risk_factors": data["risk_factors"],
            "neuro_baseline": baselines["neuro"],
            "stoma": data["stoma"],
            "home_oximeter": data["home_oximeter"],
        }
