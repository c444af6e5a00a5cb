"""The export request form of the dashboard (the API validates the same way)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone

from clinicians.exports import services, vocabulary
from clinicians.exports.models import ExportFormat

# <input type=date> takes and sends ISO dates only (YYYY-MM-DD), whatever the language: a
# value in the locale's format (en-gb: 01/12/2026) is dropped by the browser, which then shows
# an empty field and refuses to send the form.
ISO_DATE = "%Y-%m-%d"


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format", choices=ExportFormat.choices, widget=forms.RadioSelect, initial="csv"
    )
    date_from = forms.DateField(
        label="First day",
        input_formats=[ISO_DATE],
        widget=forms.DateInput(format=ISO_DATE, attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label="Last day (included)",
        input_formats=[ISO_DATE],
        widget=forms.DateInput(format=ISO_DATE, attrs={"type": "date"}),
    )
    instruments = forms.MultipleChoiceField(
        label="Sources",
        choices=vocabulary.instrument_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Patient-reported and clinician-confirmed data stay separate in every format.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("date_to", today)
            self.initial.setdefault("date_from", today.replace(day=1))
            self.initial.setdefault(
                "instruments", [code for code, _ in vocabulary.instrument_choices()]
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if {"format", "date_from", "date_to", "instruments"} <= set(data):
            errors = services.validate_request(
                date_from=data["date_from"],
                date_to=data["date_to"],
                format=data["format"],
                instruments=data["instruments"],
                today=timezone.localdate(),
            )
            for field, messages in errors.items():
                for message in messages:
                    self.add_error(field, message)
        elif data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The last day is before the first day.")
        return data

    def error_summary(self) -> list[str]:
        """Every reason the request was refused, each with the field it concerns, for the box
        at the top of the form (a field's own message may be out of sight)."""
        lines = [str(error) for error in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            label = self.fields[name].label if name in self.fields else name
            lines.extend(f"{label}: {error}" for error in errors)
        return lines
