"""The patient page and the programme view: thin doors that scope through ``clinicians.access``,
read a period from a form, and render what ``clinicians.timeline`` and ``clinicians.metrics``
compute. A period that does not validate is a form error (400) over the default period."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinicians import charts, metrics, timeline
from clinicians.access import Can, Staff, staff_view
from clinicians.forms import BaselinesForm
from diary import questionnaires, services

OLDEST_DAY = date(2000, 1, 1)
PROGRAMME_CHOICES = ((7, "7 days"), (28, "28 days"), (91, "13 weeks"), (182, "26 weeks"))
PROGRAMME_DEFAULT_DAYS = 28


class PeriodForm(forms.Form):
    """A period of whole days ending on a day (today by default). Both fields are optional."""

    days = forms.TypedChoiceField(label="Period", coerce=int, required=False)
    end = forms.DateField(
        label="Ending on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today.",
    )

    def __init__(self, data: Any, *, today: date, choices: Any, default_days: int) -> None:
        # The selector shows the period in force, the default one included.
        data = data.copy()
        data.setdefault("days", str(default_days))
        super().__init__(data)
        self.today = today
        self.default_days = default_days
        field = self.fields["days"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = list(choices)
        field.initial = default_days

    def clean_end(self) -> date | None:
        end: date | None = self.cleaned_data.get("end")
        if end is not None and end > self.today:
            raise forms.ValidationError("Choose today or an earlier day.")
        if end is not None and end < OLDEST_DAY:
            raise forms.ValidationError("Choose a day from 2000 onwards.")
        return end

    def period(self) -> tuple[date, int]:
        """The end day and the number of days; the defaults when the form is not valid."""
        if not self.is_valid():
            return self.today, self.default_days
        return (
            self.cleaned_data.get("end") or self.today,
            self.cleaned_data.get("days") or self.default_days,
        )


def _fragment_or_page(
    request: HttpRequest, page: str, fragment: str, context: dict[str, Any], status: int
) -> HttpResponse:
    # htmx (the period selector) swaps the period's part of the page and pushes the URL itself;
    # going back in history asks for the whole page again.
    htmx = getattr(request, "htmx", None)
    template = fragment if htmx and not htmx.history_restore_request else page
    return render(request, template, context, status=status)


@staff_view(Can.VIEW)
def patient(
    request: HttpRequest, subject_id: str, baselines_form: BaselinesForm | None = None
) -> HttpResponse:
    """One patient over a period: the timeline, the chart's data table, recent entries, alerts,
    and the baselines (with their edit form for nurses and oncologists)."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    found = staff.patient(subject_id)
    prefetch_related_objects([found], "courses__infusions")
    tz = timeline.patient_zone(found)
    today = timezone.localdate(timezone=tz)
    form = PeriodForm(
        request.GET,
        today=today,
        choices=timeline.RANGE_CHOICES,
        default_days=timeline.DEFAULT_DAYS,
    )
    end, days = form.period()
    page = timeline.patient_page(found, timeline.Window.ending(end, days, tz), today=today)
    context = {"page": page, "table_rows": table_rows(page.table), "form": form, "nav": "queue"}
    if staff.can(Can.TRIAGE):
        context["baselines_form"] = baselines_form or BaselinesForm(
            initial=BaselinesForm.initial_for(services.baselines_of(found))
        )
    # The audit trail of the baselines is read from the staff API (GET .../baselines/): listing
    # it here would cost the page a query more than its pinned 12 (docs/performance.md).
    status = 400 if form.errors or (baselines_form and baselines_form.errors) else 200
    return _fragment_or_page(
        request, "clinicians/patient.html", "clinicians/_patient_period.html", context, status
    )


def table_rows(rows: list[timeline.DayRow]) -> SafeString:
    """The rows of the chart's data table: one per day, so built here, every text escaped,
    rather than by template loops, which cost several times more on a long period."""
    html = []
    for row in rows:
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row.cells)
        label = f"{row.day:%a} {row.day.day} {row.day:%b}"
        html.append(
            f'<tr><th scope="row"><time datetime="{row.day.isoformat()}">{label}</time></th>'
            f"{cells}</tr>"
        )
    return mark_safe("\n".join(html))


def _minutes(value: timedelta | None) -> float:
    return value.total_seconds() / 60 if value is not None else 0.0


def programme_charts(programme: metrics.Programme) -> dict[str, SafeString]:
    """The programme view's bar charts (the tables beside them hold the same figures); charts
    escapes every text it draws, so the SVG goes into the page as it is."""
    volume = programme.volume
    red, amber = programme.responses
    charts_by_name = {
        "volume": charts.bars_svg(
            [
                charts.Bar(
                    "RED", volume.by_level.get("red", 0), colour=charts.LEVEL_COLOURS["red"]
                ),
                charts.Bar(
                    "AMBER", volume.by_level.get("amber", 0), colour=charts.LEVEL_COLOURS["amber"]
                ),
            ],
            title="Alerts opened by level",
            description=(
                f"{volume.by_level.get('red', 0)} RED and {volume.by_level.get('amber', 0)} "
                "AMBER alerts opened in the period."
            ),
            uid="chart-volume",
        ),
    }
    for name, times, unit, scale in (
        ("red_ack", red, "min", 1.0),
        ("amber_ack", amber, "h", 60.0),
    ):
        ack = times.acknowledge
        target = _minutes(times.acknowledge_target) / scale
        bars = [
            charts.Bar(label, _minutes(value) / scale, text=f"{_minutes(value) / scale:.0f} {unit}")
            for label, value in (("Median", ack.median), ("90th percentile", ack.p90))
            if value is not None
        ]
        charts_by_name[name] = charts.bars_svg(
            bars,
            title=f"Time to first response, {times.level.upper()} alerts",
            description=(
                f"Median and 90th percentile time from opening to the first response for "
                f"{times.level.upper()} alerts, against the target of {target:.0f} {unit}."
            ),
            uid=f"chart-{name}",
            target=target,
            target_label=f"Target {target:.0f} {unit}",
        )
    lowest = programme.completion[:15]
    charts_by_name["completion"] = charts.bars_svg(
        [charts.Bar(row.subject_id, row.share * 100, text=f"{row.share:.0%}") for row in lowest],
        title="Lowest diary completion",
        description=(
            "Share of enrolled days with at least one diary entry, for the "
            f"{len(lowest)} patient(s) with the lowest completion in the period."
        ),
        uid="chart-completion",
        maximum=100,
    )
    return {name: mark_safe(svg) for name, svg in charts_by_name.items()}


@staff_view(Can.PROGRAMME)
def programme(request: HttpRequest) -> HttpResponse:
    """The clinic's figures over a period: alert volume, response times against the targets,
    diary completion by patient, and the alerts overdue now."""
    staff: Staff = request.staff  # type: ignore[attr-defined]
    clinic = staff.clinic
    tz = zoneinfo.ZoneInfo(clinic.timezone)
    today = timezone.localdate(timezone=tz)
    form = PeriodForm(
        request.GET, today=today, choices=PROGRAMME_CHOICES, default_days=PROGRAMME_DEFAULT_DAYS
    )
    end, days = form.period()
    period = metrics.Period(start=end - timedelta(days=days - 1), end=end, tz=tz)
    figures = metrics.programme_metrics(clinic, period)
    context = {
        "programme": figures,
        "questionnaires": questionnaires.clinic_completion(
            clinic_id=clinic.pk, start=period.start, end=period.end
        ),
        "charts": programme_charts(figures),
        "form": form,
        "nav": "programme",
    }
    status = 400 if form.errors else 200
    return _fragment_or_page(
        request, "clinicians/programme.html", "clinicians/_programme_period.html", context, status
    )


@staff_view(Can.TRIAGE)
def patient_baselines(request: HttpRequest, subject_id: str) -> HttpResponse:
    """Change the patient's baselines (POST; nurses and oncologists), audited by the service."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    staff: Staff = request.staff  # type: ignore[attr-defined]
    found = staff.patient(subject_id)
    form = BaselinesForm(request.POST)
    if form.is_valid():
        try:
            services.update_baselines(
                patient=found,
                changes=form.changes(),
                user=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                target = name if name in form.fields else None
                for message in messages:
                    form.add_error(target, message)
        else:
            return redirect("clinicians:patient", subject_id=found.subject_id)
    return patient.__wrapped__(request, subject_id, baselines_form=form)  # type: ignore[attr-defined,no-any-return]
