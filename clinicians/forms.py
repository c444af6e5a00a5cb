"""Forms of the staff dashboard: sign-in, the TOTP step, queue filters and alert actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q

from alerts.models import Kind, Level, Status
from alerts.rules import MAX_EXPECTED_DAYS
from clinicians.access import Can, Staff
from diary.models import Drug, StaffRole


class StaffLoginForm(AuthenticationForm):
    """Username and password of a staff account (``is_staff``); patients use the app."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter the username and password of a staff account. "
        "Both are case-sensitive.",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("Enter the digits shown in your authenticator app.")
        return token


# --- the queue --------------------------------------------------------------------------------

STATUS_ACTIVE = "active"
STATUS_ALL = "all"
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


class QueueFilterForm(forms.Form):
    """The queue's filters; every field is optional and an unknown value is a form error."""

    level = forms.ChoiceField(choices=[("", "Any level"), *Level.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Kind.choices], required=False)
    status = forms.ChoiceField(
        choices=[
            (STATUS_ACTIVE, "Needing action (open, acknowledged, escalated)"),
            *Status.choices,
            (STATUS_ALL, "All"),
        ],
        required=False,
    )
    drug = forms.ChoiceField(choices=[("", "Any drug"), *Drug.choices], required=False)
    assignee = forms.ChoiceField(required=False, label="Assigned to")
    escalated_to_me = forms.BooleanField(required=False, label="Escalated to me")
    # Each section (RED, AMBER) has its own pages (issue 15, D78).
    red_page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    amber_page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        colleagues = [(str(u.pk), u.get_username()) for u in staff.colleagues()]
        set_choices(
            self,
            "assignee",
            [
                ("", "Anyone"),
                (ASSIGNEE_ME, "Me"),
                (ASSIGNEE_NONE, "Nobody"),
                *colleagues,
            ],
        )
        if not staff.is_oncologist:
            del self.fields["escalated_to_me"]

    def filter(self, alerts: Any) -> Any:
        """The alerts matching the (valid) filters."""
        data = self.cleaned_data
        status = data.get("status") or STATUS_ACTIVE
        if status == STATUS_ACTIVE:
            alerts = alerts.active()
        elif status != STATUS_ALL:
            alerts = alerts.filter(status=status)
        for name in ("level", "kind"):
            if data.get(name):
                alerts = alerts.filter(**{name: data[name]})
        if data.get("drug"):
            alerts = alerts.on_drug(data["drug"])
        assignee = data.get("assignee")
        if assignee == ASSIGNEE_ME:
            alerts = alerts.filter(assigned_to=self.staff.user)
        elif assignee == ASSIGNEE_NONE:
            alerts = alerts.filter(assigned_to__isnull=True)
        elif assignee:
            alerts = alerts.filter(assigned_to_id=int(assignee))
        if data.get("escalated_to_me"):
            # Escalations go to the on-call oncologist: to the one named, else to all of them.
            alerts = alerts.filter(status=Status.ESCALATED).filter(
                Q(assigned_to=self.staff.user) | Q(assigned_to__isnull=True)
            )
        return alerts


# --- alert actions ----------------------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to", required=False)

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(u.pk): u for u in staff.colleagues(Can.TRIAGE)}
        set_choices(
            self,
            "assignee",
            [
                ("", "Nobody (unassign)"),
                *((pk, _label(u)) for pk, u in self.users.items()),
            ],
        )

    def assignee_user(self) -> Any:
        return self.users.get(self.cleaned_data["assignee"])


class CallForm(forms.Form):
    summary = forms.CharField(
        label="What was said", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reached = forms.TypedChoiceField(
        label="Reached the patient?",
        choices=[("yes", "Yes, spoke to the patient or carer"), ("no", "No answer")],
        coerce=lambda value: value == "yes",
        initial="yes",
        widget=forms.RadioSelect,
    )


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    to = forms.ChoiceField(label="Escalate to", required=False)
    note = forms.CharField(
        label="Why (for the oncologist)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.oncologists = {
            str(u.pk): u
            for u in staff.colleagues(Can.TRIAGE)
            if u.staff_member.role == StaffRole.ONCOLOGIST
        }
        set_choices(
            self,
            "to",
            [
                ("", "The on-call oncologist (pager)"),
                *((pk, _label(u)) for pk, u in self.oncologists.items()),
            ],
        )

    def oncologist(self) -> Any:
        return self.oncologists.get(self.cleaned_data["to"])


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Choose an outcome")])
    note = forms.CharField(
        label="Note", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from alerts.models import Outcome

        super().__init__(*args, **kwargs)
        set_choices(self, "outcome", [("", "Choose an outcome"), *Outcome.choices])


class ExpectedAmberForm(forms.Form):
    """Mark the alert's AMBER triggers expected (reference §5.2 [D]): 1 to 7 days, a reason."""

    days = forms.IntegerField(
        label="Expected for how many days",
        min_value=1,
        max_value=MAX_EXPECTED_DAYS,
        initial=MAX_EXPECTED_DAYS,
        help_text=f"1 to {MAX_EXPECTED_DAYS} days. Further reports of the same AMBER triggers, no "
        "worse, are then added to this alert without notifying; a different or worse trigger "
        "and any RED still alert. Resolving the alert ends the marking.",
    )
    reason = forms.CharField(
        label="Why they are expected",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _label(user: Any) -> str:
    member = getattr(user, "staff_member", None)
    role = member.get_role_display().lower() if member else "staff"
    name = user.get_full_name() or user.get_username()
    return f"{name} ({role})"


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class BaselinesForm(forms.Form):
    """A patient's baselines as nurses and oncologists change them (reference §5.2, §5.5;
    diary.services.update_baselines audits every change)."""

    stools_per_day = forms.IntegerField(label="Stools per day", required=False, min_value=0)
    spo2_rest = forms.IntegerField(label="SpO2 at rest (%)", required=False)
    spo2_exertion = forms.IntegerField(label="SpO2 after exertion (%)", required=False)
    sob_exertion = forms.ChoiceField(label="Breathlessness", required=False)
    cough_severity = forms.ChoiceField(label="Cough", required=False)
    weight_kg = forms.DecimalField(
        label="Weight (kg)", required=False, max_digits=5, decimal_places=1
    )
    composites = forms.CharField(
        label="PRO-CTCAE composites",
        required=False,
        help_text="symptom=grade (0-3), separated by commas, e.g. cough=1, fatigue=2.",
    )
    stoma = forms.BooleanField(label="Stoma (diarrhea asked as ostomy output)", required=False)
    home_oximeter = forms.BooleanField(label="Home pulse oximeter", required=False)
    reason = forms.CharField(label="Why (kept in the audit trail)", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from diary.models import (
            NEURO_LEVELS,
            NEURO_SEVERITY_TERMS,
            NEURO_YES_NO_TERMS,
            CoughSeverity,
            SobExertion,
        )

        super().__init__(*args, **kwargs)
        set_choices(self, "sob_exertion", [("", "Not recorded"), *SobExertion.choices])
        set_choices(self, "cough_severity", [("", "Not recorded"), *CoughSeverity.choices])
        for term in NEURO_SEVERITY_TERMS:
            self.fields[f"neuro_{term}"] = forms.ChoiceField(
                label=f"{term.replace('_', ' ').capitalize()} at baseline",
                required=False,
                choices=[("", "None"), *((level, level) for level in NEURO_LEVELS)],
            )
        for term in NEURO_YES_NO_TERMS:
            self.fields[f"neuro_{term}"] = forms.BooleanField(
                label=f"{term.replace('_', ' ').capitalize()} at baseline", required=False
            )
        self.neuro_terms = (*NEURO_SEVERITY_TERMS, *NEURO_YES_NO_TERMS)

    @classmethod
    def initial_for(cls, baselines: dict[str, Any]) -> dict[str, Any]:
        initial = {k: v for k, v in baselines.items() if k not in ("neuro", "composites")}
        initial["composites"] = ", ".join(f"{k}={v}" for k, v in baselines["composites"].items())
        initial.update({f"neuro_{term}": v for term, v in baselines["neuro"].items()})
        return initial

    def clean_composites(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in self.cleaned_data["composites"].split(","))):
            key, _, grade = part.partition("=")
            try:
                out[key.strip()] = int(grade)
            except ValueError:
                raise forms.ValidationError(f"{part!r} is not symptom=grade.") from None
        return out

    def changes(self) -> dict[str, Any]:
        """The service's changes: every baseline, as the form now holds it."""
        data = dict(self.cleaned_data)
        neuro = {}
        for term in self.neuro_terms:
            value = data.pop(f"neuro_{term}")
            if value:
                neuro[term] = value
        data.pop("reason", None)
        data["neuro"] = neuro
        for name in ("sob_exertion", "cough_severity"):
            data[name] = data[name] or None
        return data
