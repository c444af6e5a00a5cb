"""Programme metrics for a clinic over a period: alert volume, response times against the targets,
diary completion and the alerts overdue now.

Everything is aggregated in the database, in a fixed number of queries whatever the volume
(``programme_metrics`` runs at most six). Percentiles use PostgreSQL's ``percentile_cont``; on
SQLite the same interpolation is registered per connection as ``toxwatch_percentile`` (see
``register_sqlite_functions``), so both backends answer the same question in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from alerts.models import UNANSWERED_STATUSES, Alert, Kind, Level
from diary.models import Clinic, DiaryEntry, Patient

# Targets (reference §5.1): the first response to an alert is due by its ``due_at``, set from the
# clinic's red_due_minutes (RED <=1 h [D]) and amber_due_hours (AMBER <=24 h, UKONS [V]); the
# action taken is documented within 72 h (PRO-TECT practice [V]), our target for resolving.
RESOLVE_TARGET = timedelta(hours=72)
OVERDUE_LIST_LIMIT = 50
# The widest UTC offsets in use (UTC-12 to UTC+14): an entry's local day can fall this far from
# its UTC instant, so the coarse, index-friendly time filter is widened by it.
MAX_OFFSET = timedelta(hours=14)


class Percentile(Aggregate):
    """The ``fraction`` quantile with linear interpolation (``percentile_cont``); NULLs ignored."""

    name = "Percentile"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    arity = 1

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile fraction is between 0 and 1.")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "toxwatch_percentile(%(expressions)s, %(fraction)s)%(filter)s"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """``percentile_cont``: interpolate between the two nearest ranks of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SqlitePercentile:
    """The SQLite aggregate behind ``Percentile``: collects the values, then interpolates."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile(self.values, self.fraction)


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: add ``toxwatch_percentile`` to SQLite connections."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("toxwatch_percentile", 2, _SqlitePercentile)


# --- the period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days, ``start`` to ``end`` inclusive, in the clinic's time zone."""

    start: date
    end: date
    tz: ZoneInfo

    @classmethod
    def last_days(cls, days: int, *, tz: ZoneInfo, today: date | None = None) -> Period:
        end = today or timezone.localdate(timezone=tz)
        return cls(start=end - timedelta(days=days - 1), end=end, tz=tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware instants: the first midnight, and the midnight after the last day."""
        return (
            datetime.combine(self.start, time.min, tzinfo=self.tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz),
        )


# --- alert volume -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    total: int
    by_level: dict[str, int]
    # (kind label, {level: count}, total), most alerts first
    by_kind: list[tuple[str, dict[str, int], int]]


def alerts_opened(clinic: Clinic, period: Period) -> QuerySet[Alert]:
    start, end = period.bounds()
    return Alert.objects.for_clinic(clinic).filter(opened_at__gte=start, opened_at__lt=end)


def alert_volume(clinic: Clinic, period: Period) -> Volume:
    """Alerts opened in the period by level and by kind, at their level now (a raised AMBER
    counts as RED)."""
    rows = alerts_opened(clinic, period).values("kind", "level").annotate(n=Count("pk")).order_by()
    by_level: dict[str, int] = dict.fromkeys((Level.RED, Level.AMBER), 0)
    kinds: dict[str, dict[str, int]] = {}
    for row in rows:
        by_level[row["level"]] = by_level.get(row["level"], 0) + row["n"]
        kinds.setdefault(row["kind"], {})[row["level"]] = row["n"]
    labels = dict(Kind.choices)
    by_kind = sorted(
        ((labels.get(kind, kind), counts, sum(counts.values())) for kind, counts in kinds.items()),
        key=lambda item: (-item[2], item[0]),
    )
    return Volume(total=sum(by_level.values()), by_level=by_level, by_kind=by_kind)


# --- response times ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Times:
    """Response times of the alerts of one level opened in the period.

    ``met`` and ``missed`` count the alerts already decided: answered by the target, or answered
    late or not at all with the target passed. Alerts still inside their time are neither.
    """

    count: int
    median: timedelta | None
    p90: timedelta | None
    met: int
    missed: int

    @property
    def share_met(self) -> float | None:
        decided = self.met + self.missed
        return self.met / decided if decided else None

    @property
    def percent_met(self) -> int | None:
        share = self.share_met
        return round(share * 100) if share is not None else None


def target_text(target: timedelta) -> str:
    """'60 min', '24 h': a target as the clinic set it."""
    minutes = int(target.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 or minutes % 60 else f"{minutes // 60} h"


@dataclass(frozen=True)
class LevelResponse:
    level: str
    alerts: int
    acknowledge_target: timedelta
    acknowledge: Times
    resolve: Times

    @property
    def target_text(self) -> str:
        return target_text(self.acknowledge_target)


def response_times(clinic: Clinic, period: Period, *, now: datetime) -> list[LevelResponse]:
    """Time to first response (acknowledged, or resolved without acknowledging) against the
    alert's due time, and time to resolve against 72 h, per level: one grouped query."""
    first = Coalesce("acknowledged_at", "resolved_at")
    to_first = ExpressionWrapper(first - F("opened_at"), output_field=DurationField())
    to_resolve = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    resolve_by = ExpressionWrapper(
        F("opened_at") + Value(RESOLVE_TARGET), output_field=DateTimeField()
    )
    rows = (
        alerts_opened(clinic, period)
        .alias(first_at=first, resolve_by=resolve_by)
        .values("level")
        .annotate(
            alerts=Count("pk"),
            answered=Count("pk", filter=Q(first_at__isnull=False)),
            answered_met=Count("pk", filter=Q(first_at__lte=F("due_at"))),
            answered_missed=Count(
                "pk",
                filter=Q(first_at__gt=F("due_at")) | Q(first_at__isnull=True, due_at__lt=now),
            ),
            answer_median=Percentile(to_first, 0.5),
            answer_p90=Percentile(to_first, 0.9),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            resolved_met=Count("pk", filter=Q(resolved_at__lte=F("resolve_by"))),
            resolved_missed=Count(
                "pk",
                filter=Q(resolved_at__gt=F("resolve_by"))
                | Q(resolved_at__isnull=True, resolve_by__lt=now),
            ),
            resolve_median=Percentile(to_resolve, 0.5),
            resolve_p90=Percentile(to_resolve, 0.9),
        )
        .order_by()
    )
    found: dict[str, dict[str, Any]] = {row["level"]: dict(row) for row in rows}
    targets = {
        Level.RED: timedelta(minutes=clinic.red_due_minutes),
        Level.AMBER: timedelta(hours=clinic.amber_due_hours),
    }
    result = []
    for level in (Level.RED, Level.AMBER):
        row = found.get(level, {})
        result.append(
            LevelResponse(
                level=level,
                alerts=row.get("alerts", 0),
                acknowledge_target=targets[level],
                acknowledge=Times(
                    count=row.get("answered", 0),
                    median=row.get("answer_median"),
                    p90=row.get("answer_p90"),
                    met=row.get("answered_met", 0),
                    missed=row.get("answered_missed", 0),
                ),
                resolve=Times(
                    count=row.get("resolved", 0),
                    median=row.get("resolve_median"),
                    p90=row.get("resolve_p90"),
                    met=row.get("resolved_met", 0),
                    missed=row.get("resolved_missed", 0),
                ),
            )
        )
    return result


# --- diary completion -------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    subject_id: str
    expected_days: int
    days_with_entry: int

    @property
    def share(self) -> float:
        return min(self.days_with_entry / self.expected_days, 1.0)

    @property
    def percent(self) -> int:
        return round(self.share * 100)


class Minutes(Func):
    """A whole number of minutes as a duration (an interval on PostgreSQL; on SQLite, where
    Django keeps durations as microseconds, the number of microseconds)."""

    arity = 1
    output_field = DurationField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "make_interval(mins => %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "(%(expressions)s * 60000000)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def local_day(prefix: str = "") -> TruncDate:
    """An entry's day on the patient's phone: its UTC instant moved by the offset it was recorded
    with (the same local time the alert rules use for "daily" and "consecutive days")."""
    shifted = ExpressionWrapper(
        F(f"{prefix}recorded_at") + Minutes(F(f"{prefix}recorded_offset_minutes")),
        output_field=DateTimeField(),
    )
    return TruncDate(shifted, tzinfo=UTC)


def diary_completion(clinic: Clinic, period: Period, *, today: date) -> list[Completion]:
    """Per patient enrolled in the period: days with at least one entry out of the days enrolled
    in it (up to today), lowest first. Two queries."""
    last = min(period.end, today)
    patients = list(
        Patient.objects.filter(clinic=clinic, enrolled_on__lte=last)
        .order_by("subject_id")
        .values_list("pk", "subject_id", "enrolled_on")
    )
    start, end = period.bounds()
    counted = dict(
        DiaryEntry.objects.filter(
            patient__clinic=clinic,
            recorded_at__gte=start - MAX_OFFSET,
            recorded_at__lt=end + MAX_OFFSET,
        )
        .alias(day=local_day())
        .filter(day__gte=period.start, day__lte=last)
        .values("patient_id")
        .annotate(days=Count("day", distinct=True))
        .order_by()
        .values_list("patient_id", "days")
    )
    rows = []
    for pk, subject_id, enrolled_on in patients:
        expected = (last - max(period.start, enrolled_on)).days + 1
        if expected > 0:
            rows.append(Completion(subject_id, expected, counted.get(pk, 0)))
    rows.sort(key=lambda row: (row.share, row.subject_id))
    return rows


# --- overdue now ------------------------------------------------------------------------------


def overdue_alerts(clinic: Clinic, *, now: datetime) -> QuerySet[Alert]:
    """Alerts nobody has acknowledged (open or escalated) past their due time, oldest due first:
    the queue's "overdue" (``AlertQuerySet.level_counts``)."""
    return (
        Alert.objects.for_clinic(clinic)
        .filter(status__in=UNANSWERED_STATUSES, due_at__lt=now)
        .select_related("patient")
        .order_by("due_at", "pk")
    )


# --- everything for the programme page --------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    clinic: Clinic
    period: Period
    now: datetime
    volume: Volume
    responses: list[LevelResponse]
    completion: list[Completion]
    overdue: list[tuple[Alert, timedelta]]  # the most overdue, with how late each is
    overdue_count: int
    resolve_target: timedelta = RESOLVE_TARGET

    @property
    def resolve_target_text(self) -> str:
        return target_text(self.resolve_target)


def programme_metrics(clinic: Clinic, period: Period, *, now: datetime | None = None) -> Programme:
    """The programme view's figures: at most six queries, whatever the number of alerts and
    entries."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=period.tz)
    overdue = overdue_alerts(clinic, now=now)
    listed = list(overdue[:OVERDUE_LIST_LIMIT])
    return Programme(
        clinic=clinic,
        period=period,
        now=now,
        volume=alert_volume(clinic, period),
        responses=response_times(clinic, period, now=now),
        completion=diary_completion(clinic, period, today=today),
        overdue=[(alert, now - alert.due_at) for alert in listed],
        overdue_count=len(listed) if len(listed) < OVERDUE_LIST_LIMIT else overdue.count(),
    )
