"""What the patient page shows, read in a fixed number of queries whatever the history.

The page covers a bounded window of whole local days (the last 12 weeks by default). Grades,
SpO2 and temperature are aggregated per day in SQL (the day's highest grade per term, lowest
SpO2, highest temperature), so the rows read grow with the window, never with the history.
A day is the patient's: an entry's UTC instant moved by the offset the phone recorded it with
(``metrics.local_day``, as the alert rules count days). An entry that a later one corrects is
left out. The chart itself is drawn by the pure ``clinicians.charts``.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, FloatField, Max, Min, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from alerts import rules
from alerts.models import ACTIVE_STATUSES, Alert
from clinicians import charts, triage
from clinicians.metrics import MAX_OFFSET, local_day
from diary.catalogue import staff_label
from diary.grading import TERMS
from diary.models import CourseStatus, DiaryEntry, EntryGrade, Patient, TreatmentCourse

DEFAULT_DAYS = 84  # 12 weeks
RANGE_CHOICES = ((14, "2 weeks"), (28, "4 weeks"), (84, "12 weeks"), (182, "26 weeks"))
RECENT_ENTRIES = 20
ALERTS_LISTED = 50
SHORT_DRUG_NAMES = {
    "trastuzumab_deruxtecan": "T-DXd",
    "zongertinib": "Zongertinib",
    "sevabertinib": "Sevabertinib",
    "other": "Treatment",
}


@dataclass(frozen=True)
class Window:
    """Whole local days of the patient, ``start`` to ``end`` inclusive."""

    start: date
    end: date
    tz: zoneinfo.ZoneInfo

    @classmethod
    def ending(cls, end: date, days: int, tz: zoneinfo.ZoneInfo) -> Window:
        return cls(start=end - timedelta(days=days - 1), end=end, tz=tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def coarse_bounds(self) -> tuple[datetime, datetime]:
        """UTC instants that hold every entry of the window whatever its phone's offset: the
        index-friendly filter that the exact local-day filter then narrows."""
        start = datetime.combine(self.start, time.min, tzinfo=self.tz)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)
        return start - MAX_OFFSET, end + MAX_OFFSET

    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time.min, tzinfo=self.tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def patient_zone(patient: Patient) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(patient.timezone)


# --- queries (one each) -----------------------------------------------------------------------


def window_entries(patient: Patient, window: Window) -> Any:
    """The patient's entries of the window, corrected ones left out, each with its ``day``
    (a QuerySet of DiaryEntry; typed Any because mypy's Django plugin cannot see ``day``)."""
    low, high = window.coarse_bounds()
    corrected = DiaryEntry.objects.filter(corrects=OuterRef("pk"))
    return (
        DiaryEntry.objects.filter(patient=patient, recorded_at__gte=low, recorded_at__lt=high)
        .filter(~Exists(corrected))
        .annotate(day=local_day())
        .filter(day__gte=window.start, day__lte=window.end)
    )


def daily_grades(patient: Patient, window: Window) -> dict[str, dict[date, int]]:
    """{term: {day: highest current grade}} for the terms graded in the window."""
    low, high = window.coarse_bounds()
    corrected = DiaryEntry.objects.filter(corrects=OuterRef("entry_id"))
    rows = (
        EntryGrade.objects.current()
        .filter(
            entry__patient=patient,
            entry__recorded_at__gte=low,
            entry__recorded_at__lt=high,
            grade__isnull=False,
        )
        .filter(~Exists(corrected))
        .annotate(day=local_day("entry__"))
        .filter(day__gte=window.start, day__lte=window.end)
        .values("term", "day")
        .annotate(top=Max("grade"))
        .order_by()
    )
    grades: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        grades[row["term"]][row["day"]] = row["top"]
    return dict(grades)


def _number(path: str) -> Cast:
    return Cast(KT(f"symptoms__{path}"), FloatField())


@dataclass(frozen=True)
class Measures:
    entries: int
    spo2_rest: float | None
    spo2_exertion: float | None
    temp_c: float | None


def daily_measures(patient: Patient, window: Window) -> dict[date, Measures]:
    """Per day: entries, lowest SpO2 at rest and after exertion, highest temperature in °C."""
    rows = (
        window_entries(patient, window)
        .values("day")
        .annotate(
            entries=Count("pk"),
            spo2_rest=Min(_number("hypoxia__spo2_rest")),
            spo2_exertion=Min(_number("hypoxia__spo2_exertion")),
            temp_c=Max(_number("fever__temp_c")),
            temp_f=Max(_number("fever__temp_f")),
        )
        .order_by()
    )
    measures = {}
    for row in rows:
        # °F is converted as the grader does, (F - 32) x 5/9 [V §1.3 fever]; the higher counts.
        celsius = [row["temp_c"]] if row["temp_c"] is not None else []
        if row["temp_f"] is not None:
            celsius.append((row["temp_f"] - 32) * 5 / 9)
        measures[row["day"]] = Measures(
            entries=row["entries"],
            spo2_rest=row["spo2_rest"],
            spo2_exertion=row["spo2_exertion"],
            temp_c=max(celsius, default=None),
        )
    return measures


def recent_entries(patient: Patient, window: Window) -> list[dict[str, Any]]:
    """The newest entries of the window (at most RECENT_ENTRIES), as rows for the table."""
    rows = (
        window_entries(patient, window)
        .order_by("-recorded_at")
        .values(
            "id",
            "recorded_at",
            "recorded_offset_minutes",
            "reporter",
            "symptoms",
            "grade_summary",
            "alert_level",
            "corrects_id",
        )[:RECENT_ENTRIES]
    )
    result = []
    for row in rows:
        offset = timezone.get_fixed_timezone(timedelta(minutes=row["recorded_offset_minutes"]))
        hypoxia = row["symptoms"].get("hypoxia") or {}
        fever = row["symptoms"].get("fever") or {}
        graded = sorted(
            ((term, grade) for term, grade in row["grade_summary"].items() if grade),
            key=lambda item: (-item[1], item[0]),
        )
        result.append(
            {
                "recorded_at": row["recorded_at"].astimezone(offset),
                "reporter": row["reporter"],
                "grades": [(term_label(term), grade) for term, grade in graded],
                "terms": len(row["grade_summary"]),
                "spo2_rest": hypoxia.get("spo2_rest"),
                "spo2_exertion": hypoxia.get("spo2_exertion"),
                "temp_c": _shown(fever.get("temp_c")),
                "temp_f": _shown(fever.get("temp_f")),
                "alert_level": row["alert_level"],
                "correction": row["corrects_id"] is not None,
            }
        )
    return result


def patient_alerts(patient: Patient, window: Window) -> list[Alert]:
    """Alerts opened in the window, and any still active, newest first (at most ALERTS_LISTED)."""
    start, end = window.bounds()
    return list(
        patient.alerts.filter(
            Q(opened_at__gte=start, opened_at__lt=end) | Q(status__in=ACTIVE_STATUSES)
        ).order_by("-opened_at", "-pk")[:ALERTS_LISTED]
    )


# --- from rows to the chart -------------------------------------------------------------------


def term_label(term: str) -> str:
    return staff_label(term)


def _dose_text(course: TreatmentCourse, code: str, *, short: bool = False) -> str:
    try:
        label = course.catalogue.dose_level(code).label
    except KeyError:
        return code
    label = label.split(" (")[0]  # "5.4 mg/kg every 3 weeks (starting dose)" -> without (...)
    return label.split(" every ")[0] if short else label


def treatment_markers(
    courses: Iterable[TreatmentCourse], tz: zoneinfo.ZoneInfo
) -> list[charts.Marker]:
    """Course starts, holds and stops, infusions, and dose changes between infusions.

    A hold has no date of its own in the data: it is placed on the day the course was last
    changed, and says so.
    """
    markers: list[charts.Marker] = []
    for course in sorted(courses, key=lambda c: (c.started_on, c.pk)):
        name = SHORT_DRUG_NAMES.get(course.drug, course.drug)
        markers.append(
            charts.Marker(
                course.started_on,
                f"{name} started, {_dose_text(course, course.dose_level)}",
                "course",
            )
        )
        previous: str | None = None
        for infusion in sorted(course.infusions.all(), key=lambda i: i.given_on):
            dose = _dose_text(course, infusion.dose_level, short=True)
            markers.append(charts.Marker(infusion.given_on, f"{name} infusion {dose}", "infusion"))
            if previous is not None and infusion.dose_level != previous:
                markers.append(charts.Marker(infusion.given_on, f"Dose changed to {dose}", "dose"))
            previous = infusion.dose_level
        if course.status == CourseStatus.HELD:
            changed = timezone.localdate(course.updated_at, timezone=tz)
            markers.append(charts.Marker(changed, f"{name} held (as of this change)", "course"))
        if course.stopped_on is not None:
            markers.append(charts.Marker(course.stopped_on, f"{name} stopped", "course"))
    return markers


def alert_markers(alerts: Sequence[Alert], tz: zoneinfo.ZoneInfo) -> list[charts.Marker]:
    return [
        charts.Marker(
            timezone.localdate(alert.opened_at, timezone=tz),
            alert.get_kind_display(),
            "red" if alert.level == "red" else "amber",
        )
        for alert in alerts
    ]


def spo2_lines(patient: Patient, drug: str | None) -> tuple[charts.RefLine, ...]:
    lines = []
    if patient.baseline_spo2_rest is not None:
        lines.append(
            charts.RefLine(
                patient.baseline_spo2_rest,
                f"The patient's baseline SpO2 at rest: {patient.baseline_spo2_rest}%",
                kind="baseline",
                short=f"Baseline {patient.baseline_spo2_rest}% (rest)",
            )
        )
    # Resting SpO2 <88%: the CTCAE hypoxia G3 example threshold, RED for any drug [V §5.2 RED 2].
    lines.append(
        charts.RefLine(
            rules.HYPOXIA_SPO2_BELOW,
            f"RED: resting SpO2 below {rules.HYPOXIA_SPO2_BELOW}% (CTCAE v5.0 hypoxia G3 example), "
            "any drug",
            band="below",
            short=f"RED <{rules.HYPOXIA_SPO2_BELOW}% rest",
            source="reference §5.2 RED 2 [V]",
        )
    )
    if drug == "trastuzumab_deruxtecan":
        # T-DXd: RED at <=92% or a fall of >=4 points from the resting baseline [D §5.2 RED 3].
        trigger = float(rules.TDXD_SPO2_REST_RED_AT_OR_BELOW)
        if patient.baseline_spo2_rest is not None:
            trigger = max(trigger, patient.baseline_spo2_rest - rules.TDXD_SPO2_REST_DROP_RED)
        lines.append(
            charts.RefLine(
                trigger,
                f"T-DXd RED: resting SpO2 {trigger:.0f}% or lower, that is "
                f"{rules.TDXD_SPO2_REST_RED_AT_OR_BELOW}% or lower or "
                f"{rules.TDXD_SPO2_REST_DROP_RED} points below the baseline",
                short=f"T-DXd RED ≤{trigger:.0f}%",
                source="reference §5.2 RED 3 [D]",
            )
        )
    return tuple(lines)


def _shown(value: Any) -> Any:
    """A stored reading for display: binary float noise from the phone (36.800000000000004)
    dropped, never rounded to fewer than 2 decimals (37.95 stays 37.95 beside the 38.0 line)."""
    return round(value, 2) if isinstance(value, float) else value


# Fever >=38.0 °C is RED for any drug (§5.3; CTCAE fever G1 lower bound [V]).
FEVER_LINE = charts.RefLine(
    float(rules.FEVER_C),
    "RED: temperature 38.0 °C or above (CTCAE v5.0 fever G1 lower bound)",
    band="above",
    short="RED ≥38.0 °C",
    source="reference §5.3 [V]",
)


@dataclass
class DayRow:
    """One row of the chart's data table."""

    day: date
    grades: list[tuple[str, int]] = field(default_factory=list)
    measures: Measures | None = None
    events: list[str] = field(default_factory=list)

    @property
    def cells(self) -> tuple[str, ...]:
        """The row's cells after the day, as text (formatted here: the table has a row per
        day, and this is much cheaper than template filters)."""
        m = self.measures
        return (
            ", ".join(f"{label} G{grade}" for label, grade in self.grades),
            f"{m.spo2_rest:.0f}%" if m and m.spo2_rest is not None else "",
            f"{m.spo2_exertion:.0f}%" if m and m.spo2_exertion is not None else "",
            f"{m.temp_c:.1f} °C" if m and m.temp_c is not None else "",
            str(m.entries) if m else "0",
            "; ".join(self.events),
        )


@dataclass
class PatientPage:
    patient: Patient
    window: Window
    today: date
    context: triage.Context
    timeline: charts.Timeline
    svg: SafeString
    quiet_terms: list[str]
    table: list[DayRow]
    entries: list[dict[str, Any]]
    alerts: list[Alert]

    @property
    def line_sources(self) -> list[tuple[str, str]]:
        """Each threshold drawn, with where it comes from (the chart's disclosure)."""
        return [
            (line.label, line.source)
            for panel in self.timeline.panels
            for line in panel.lines
            if line.source
        ]

    @property
    def treatment_day(self) -> int | None:
        """Day N of the current course (day 1 = the start), for oral drugs."""
        started = self.context.started_on
        return (self.today - started).days + 1 if started and started <= self.today else None


def patient_page(patient: Patient, window: Window, *, today: date) -> PatientPage:
    """Everything the patient page shows. Needs ``courses__infusions`` prefetched; then five
    queries (grades, measures, entries, alerts, the alert page's context), or six for a TKI
    (adherence)."""
    context = triage.patient_context(patient, kind="")
    grades = daily_grades(patient, window)
    measures = daily_measures(patient, window)
    entries = recent_entries(patient, window)
    alerts = patient_alerts(patient, window)
    tz = window.tz

    order = {term: n for n, term in enumerate(TERMS)}
    shown = sorted(
        (term for term, days in grades.items() if max(days.values()) > 0),
        key=lambda term: (-max(grades[term].values()), order.get(term, len(order)), term),
    )
    quiet = sorted((term for term in grades if term not in shown), key=lambda t: order.get(t, 0))
    lanes = tuple(
        charts.Lane(term_label(term), tuple(sorted(grades[term].items()))) for term in shown
    )
    measured = sorted(measures.items())
    panels = (
        charts.Panel(
            "SpO2, lowest of the day",
            "%",
            (
                charts.Series(
                    "At rest",
                    tuple((d, m.spo2_rest) for d, m in measured if m.spo2_rest is not None),
                ),
                charts.Series(
                    "After exertion",
                    tuple((d, m.spo2_exertion) for d, m in measured if m.spo2_exertion is not None),
                    dashed=True,
                ),
            ),
            spo2_lines(patient, context.drug),
            low=86,
            high=100,
        ),
        charts.Panel(
            "Temperature, highest of the day",
            "°C",
            (
                charts.Series(
                    "Temperature",
                    tuple((d, round(m.temp_c, 1)) for d, m in measured if m.temp_c is not None),
                ),
            ),
            (FEVER_LINE,),
            low=36,
            high=38.5,
        ),
    )
    treatment = [m for m in treatment_markers(patient.courses.all(), tz) if window.contains(m.day)]
    alerted = [m for m in alert_markers(alerts, tz) if window.contains(m.day)]
    timeline = charts.Timeline(
        title=(
            f"Timeline of {patient.subject_id}, {window.start:%-d %b %Y} to {window.end:%-d %b %Y}"
        ),
        description=(
            f"{len(lanes)} symptom term{'s' if len(lanes) != 1 else ''} with a grade of 1 or more"
            f"{': ' + ', '.join(lane.label for lane in lanes) if lanes else ''}; "
            f"{len(measured)} day(s) with entries; lowest SpO2 and highest temperature "
            f"per day against the baseline and the alert thresholds; {len(treatment)} treatment "
            f"event(s) and {len(alerted)} alert(s). The same values are in the table after the "
            "chart."
        ),
        start=window.start,
        end=window.end,
        grade_lanes=lanes,
        panels=panels,
        treatment=tuple(treatment),
        alerts=tuple(alerted),
        today=today,
    )
    table: dict[date, DayRow] = {}
    for term in shown:
        for day, grade in grades[term].items():
            if grade:
                table.setdefault(day, DayRow(day)).grades.append((term_label(term), grade))
    for day, measure in measured:
        table.setdefault(day, DayRow(day)).measures = measure
    for marker in (*treatment, *alerted):
        text = (
            f"{marker.kind.upper()}: {marker.label}"
            if marker.kind in ("red", "amber")
            else marker.label
        )
        table.setdefault(marker.day, DayRow(marker.day)).events.append(text)
    return PatientPage(
        patient=patient,
        window=window,
        today=today,
        context=context,
        timeline=timeline,
        # charts escapes every text it draws, so its SVG is safe to put in the page as it is.
        svg=mark_safe(charts.timeline_svg(timeline, uid="patient-timeline")),
        quiet_terms=[term_label(term) for term in quiet],
        table=[table[day] for day in sorted(table)],
        entries=entries,
        alerts=alerts,
    )
