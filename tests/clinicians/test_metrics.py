"""Programme metrics (clinicians/metrics.py) against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F, Value

from alerts.models import Alert, Kind, Level, Status
from clinicians import metrics
from clinicians.metrics import Percentile, Period
from diary.models import Patient
from tests.helpers import enroll, make_clinic, record_entry

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 10, 15, 10, 0, tzinfo=UTC)  # noon in Paris
PERIOD = Period(start=date(2026, 10, 1), end=date(2026, 10, 15), tz=PARIS)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7], 0.9, 7),
        ([10, 30, 50, 90], 0.5, 40),
        ([90, 10, 50, 30], 0.9, 78),  # rank 2.7: 50 + 0.7 x 40
        ([1, 2, 3, 4, 5], 0.5, 3),
        ([1, 2], 0.0, 1),
        ([1, 2], 1.0, 2),
    ],
)
def test_percentile_interpolates_like_percentile_cont(values, fraction, expected):
    assert metrics.percentile(values, fraction) == (
        pytest.approx(expected) if expected is not None else None
    )


def test_a_percentile_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Percentile(F("id"), 1.5)


def alert(patient, *, opened, level=Level.RED, kind=Kind.ILD, **fields):
    clinic = patient.clinic
    due = (
        timedelta(minutes=clinic.red_due_minutes)
        if level == Level.RED
        else timedelta(hours=clinic.amber_due_hours)
    )
    fields.setdefault("due_at", opened + due)
    if fields.get("resolved_at"):
        fields.setdefault("status", Status.RESOLVED)
    elif fields.get("acknowledged_at"):
        fields.setdefault("status", Status.ACKNOWLEDGED)
    # One active alert per patient and kind: give every test alert a kind of its own if needed.
    return Alert.objects.create(
        patient=patient, kind=kind, level=level, reason="test", opened_at=opened, **fields
    )


@pytest.fixture
def clinic():
    return make_clinic("MET", timezone="Europe/Paris", red_due_minutes=60, amber_due_hours=24)


@pytest.fixture
def patient(clinic):
    return enroll(clinic, "trastuzumab_deruxtecan")[0]


def test_percentile_in_sql_matches_the_python_interpolation(patient):
    opened = NOW - 5 * HOUR
    for minutes in (10, 30, 50, 90):
        alert(
            patient,
            opened=opened,
            acknowledged_at=opened + minutes * MIN,
            resolved_at=opened + 2 * HOUR,
        )
    result = Alert.objects.aggregate(
        median=Percentile(F("acknowledged_at") - F("opened_at"), 0.5),
        p90=Percentile(F("acknowledged_at") - F("opened_at"), 0.9),
        none=Percentile(F("acknowledged_at") - F("opened_at"), 0.5, filter=Value(False)),
    )
    assert result["median"] == 40 * MIN
    assert result["p90"] == 78 * MIN
    assert result["none"] is None


def test_volume_counts_alerts_opened_in_the_period_by_level_and_kind(clinic, patient):
    other_clinic_patient = enroll(make_clinic("OTH"))[0]
    first_midnight = datetime(2026, 10, 1, 0, 0, tzinfo=PARIS)
    alert(patient, opened=first_midnight, kind=Kind.ILD, resolved_at=first_midnight + HOUR)
    alert(patient, opened=NOW - HOUR, kind=Kind.FEVER)
    alert(patient, opened=NOW - 2 * HOUR, kind=Kind.GI, level=Level.AMBER)
    alert(patient, opened=NOW - 3 * HOUR, kind=Kind.ILD, level=Level.AMBER)
    # Outside: a minute before the period (in Paris), and another clinic's.
    alert(patient, opened=first_midnight - MIN, kind=Kind.CNS, resolved_at=first_midnight)
    alert(other_clinic_patient, opened=NOW - HOUR, kind=Kind.FEVER)

    volume = metrics.alert_volume(clinic, PERIOD)

    assert volume.total == 4
    assert volume.by_level == {"red": 2, "amber": 2}
    assert volume.by_kind == [
        ("Possible ILD / pneumonitis", {"red": 1, "amber": 1}, 2),
        ("Fever", {"red": 1}, 1),
        ("GI: diarrhea, vomiting, dehydration", {"amber": 1}, 1),
    ]


def test_response_times_against_the_due_time_and_72_hours(clinic, patient):
    kinds = iter(Kind.values)
    day = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    # RED, target 60 min: acknowledged after 10, 30 and 50 min (met) and 90 min (missed).
    for minutes, resolved_after in ((10, HOUR), (30, 80 * HOUR), (50, None), (90, 2 * HOUR)):
        alert(
            patient,
            opened=day,
            kind=next(kinds),
            acknowledged_at=day + minutes * MIN,
            resolved_at=day + resolved_after if resolved_after else None,
        )
    # RED resolved without acknowledging first, after 20 min: its first response (met).
    alert(patient, opened=day, kind=next(kinds), resolved_at=day + 20 * MIN)
    # RED nobody answered, long past due and past 72 h: missed twice, in no median.
    alert(patient, opened=day, kind=next(kinds))
    # RED opened 10 min ago: not due yet, neither met nor missed.
    alert(patient, opened=NOW - 10 * MIN, kind=next(kinds))
    # AMBER, target 24 h: acknowledged after 2 h (met) and 30 h (missed).
    alert(patient, opened=day, kind=next(kinds), level=Level.AMBER, acknowledged_at=day + 2 * HOUR)
    alert(patient, opened=day, kind=next(kinds), level=Level.AMBER, acknowledged_at=day + 30 * HOUR)

    red, amber = metrics.response_times(clinic, PERIOD, now=NOW)

    assert (red.level, red.alerts, red.acknowledge_target) == ("red", 7, 60 * MIN)
    # First responses: 10, 20, 30, 50, 90 min.
    assert red.acknowledge.count == 5
    assert red.acknowledge.median == 30 * MIN
    assert red.acknowledge.p90 == 74 * MIN  # rank 3.6: 50 + 0.6 x 40
    assert (red.acknowledge.met, red.acknowledge.missed) == (4, 2)
    assert red.acknowledge.share_met == pytest.approx(4 / 6)
    # Resolved after 20 min, 1 h, 2 h and 80 h; two unresolved for over 72 h.
    assert red.resolve.count == 4
    assert red.resolve.median == 90 * MIN
    assert (red.resolve.met, red.resolve.missed) == (3, 3)

    assert (amber.alerts, amber.acknowledge_target) == (2, 24 * HOUR)
    assert amber.acknowledge.median == 16 * HOUR
    assert (amber.acknowledge.met, amber.acknowledge.missed) == (1, 1)
    assert amber.resolve.count == 0
    assert amber.resolve.median is None
    assert (amber.resolve.met, amber.resolve.missed) == (0, 2)


def test_response_times_of_a_quiet_period_are_empty(clinic):
    red, amber = metrics.response_times(clinic, PERIOD, now=NOW)
    assert red.alerts == amber.alerts == 0
    assert red.acknowledge.median is None
    assert red.acknowledge.share_met is None


def test_diary_completion_counts_local_days_with_an_entry_over_days_enrolled(clinic, patient):
    tokyo = ZoneInfo("Asia/Tokyo")
    newcomer = enroll(clinic)[0]
    Patient.objects.filter(pk=patient.pk).update(enrolled_on=date(2026, 9, 1))
    Patient.objects.filter(pk=newcomer.pk).update(enrolled_on=date(2026, 10, 13))
    latecomer = enroll(clinic)[0]  # enrolled after the period: not listed
    Patient.objects.filter(pk=latecomer.pk).update(enrolled_on=date(2026, 10, 16))
    # Two entries on 2 October (one day), one on 3 October recorded at 01:30 in Tokyo, which is
    # still 2 October in UTC, and one on 30 September (before the period).
    record_entry(patient, datetime(2026, 10, 2, 9, 0, tzinfo=PARIS))
    record_entry(patient, datetime(2026, 10, 2, 21, 0, tzinfo=PARIS))
    record_entry(patient, datetime(2026, 10, 3, 1, 30, tzinfo=tokyo))
    record_entry(patient, datetime(2026, 9, 30, 12, 0, tzinfo=PARIS))
    record_entry(newcomer, datetime(2026, 10, 14, 23, 30, tzinfo=PARIS))

    rows = metrics.diary_completion(clinic, PERIOD, today=date(2026, 10, 15))

    by_subject = {row.subject_id: row for row in rows}
    assert set(by_subject) == {patient.subject_id, newcomer.subject_id}
    assert by_subject[patient.subject_id].expected_days == 15
    assert by_subject[patient.subject_id].days_with_entry == 2
    assert by_subject[newcomer.subject_id].expected_days == 3
    assert by_subject[newcomer.subject_id].days_with_entry == 1
    assert [row.subject_id for row in rows] == [patient.subject_id, newcomer.subject_id]
    assert rows[0].share == pytest.approx(2 / 15)


def test_diary_completion_stops_at_today(clinic, patient):
    Patient.objects.filter(pk=patient.pk).update(enrolled_on=date(2026, 9, 1))
    (row,) = metrics.diary_completion(clinic, PERIOD, today=date(2026, 10, 10))
    assert row.expected_days == 10


def test_overdue_lists_open_and_escalated_alerts_past_due(clinic, patient):
    other = enroll(make_clinic("OTH"))[0]
    late = alert(patient, opened=NOW - 2 * HOUR, kind=Kind.ILD)
    escalated = alert(
        patient,
        opened=NOW - 3 * HOUR,
        kind=Kind.FEVER,
        status=Status.ESCALATED,
        escalated_at=NOW - 2 * HOUR,
    )
    alert(patient, opened=NOW - 2 * HOUR, kind=Kind.GI, acknowledged_at=NOW - HOUR)
    alert(patient, opened=NOW - 2 * HOUR, kind=Kind.CNS, resolved_at=NOW - HOUR)
    alert(patient, opened=NOW - 10 * MIN, kind=Kind.CARDIAC)
    alert(other, opened=NOW - 2 * HOUR, kind=Kind.ILD)

    assert list(metrics.overdue_alerts(clinic, now=NOW)) == [escalated, late]


def test_programme_metrics_take_the_same_queries_whatever_the_volume(
    clinic, patient, django_assert_num_queries
):
    def count_queries() -> metrics.Programme:
        with django_assert_num_queries(5):
            return metrics.programme_metrics(clinic, PERIOD, now=NOW)

    small = count_queries()
    kinds = list(Kind.values)
    for n in range(30):
        someone = enroll(clinic)[0]
        record_entry(someone, datetime(2026, 10, 2 + n % 10, 9, 0, tzinfo=PARIS))
        alert(someone, opened=NOW - (n + 2) * HOUR, kind=kinds[n % len(kinds)])
    Patient.objects.filter(clinic=clinic).update(enrolled_on=date(2026, 9, 1))
    large = count_queries()
    assert small.volume.total == 0
    assert large.volume.total == 30
    assert large.overdue_count == 30
    assert len(large.completion) == 31


def test_more_overdue_alerts_than_listed_are_counted(clinic, django_assert_num_queries):
    for n in range(metrics.OVERDUE_LIST_LIMIT + 2):
        alert(enroll(clinic)[0], opened=NOW - (n + 2) * HOUR)
    with django_assert_num_queries(6):
        programme = metrics.programme_metrics(clinic, PERIOD, now=NOW)
    assert len(programme.overdue) == metrics.OVERDUE_LIST_LIMIT
    assert programme.overdue_count == metrics.OVERDUE_LIST_LIMIT + 2


@pytest.mark.parametrize(
    ("target", "text"),
    [(60 * MIN, "60 min"), (90 * MIN, "90 min"), (24 * HOUR, "24 h"), (150 * MIN, "150 min")],
)
def test_targets_read_as_the_clinic_set_them(target, text):
    assert metrics.target_text(target) == text


def test_last_days_ends_today_in_the_clinic_zone():
    period = Period.last_days(28, tz=PARIS, today=date(2026, 10, 15))
    assert (period.start, period.end, period.days) == (date(2026, 9, 18), date(2026, 10, 15), 28)
    start, end = period.bounds()
    assert start == datetime(2026, 9, 18, tzinfo=PARIS)
    assert end - start == timedelta(days=28)


def test_a_period_over_the_clock_change_keeps_whole_local_days():
    start, end = Period(start=date(2026, 10, 20), end=date(2026, 10, 26), tz=PARIS).bounds()
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(
        days=7, hours=1
    )  # Paris leaves summer time on 25 October
