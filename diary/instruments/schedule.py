"""When questionnaires are due: occasions, visit windows and their states (pure Python).

A schedule asks one instrument every ``cadence_days``:
- anchored on the start date: on ``starts_on`` and every ``cadence_days`` after it;
- anchored on T-DXd infusions: on each recorded infusion day (cycle day 1) and every
  ``cadence_days`` after the last one, so the next occasion is the expected next infusion and a
  delayed infusion moves the series when it is recorded. Before the first infusion is recorded
  the start date projects the series; a recorded infusion replaces the projected occasion of its
  cycle (projections closer than one cadence before an infusion are dropped) [D].
An occasion may be answered from ``window_before_days`` before its due day to
``window_after_days`` after it. Days are the patient's local calendar days: callers pass dates
in the patient's time zone, and ``window_bounds`` turns them into instants with zoneinfo, so a
window keeps its local midnights across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Anchor = Literal["start", "infusion"]
State = Literal["upcoming", "due", "overdue", "missed"]


@dataclass(frozen=True, slots=True)
class Cadence:
    cadence_days: int
    starts_on: date
    anchor: Anchor = "start"
    window_before_days: int = 0
    window_after_days: int = 3
    infusions: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.cadence_days < 1:
            raise ValueError("cadence_days must be at least 1")
        if self.window_before_days < 0 or self.window_after_days < 0:
            raise ValueError("windows cannot be negative")


@dataclass(frozen=True, slots=True)
class Occasion:
    due_on: date
    opens_on: date
    closes_on: date  # the last local day on which it may be answered

    def state(self, today: date) -> State:
        if today < self.opens_on:
            return "upcoming"
        if today <= self.due_on:
            return "due"
        if today <= self.closes_on:
            return "overdue"
        return "missed"

    def contains(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


def _every(first: date, step: int, until: date) -> Iterator[date]:
    day = first
    while day <= until:
        yield day
        day += timedelta(days=step)


def due_dates(cadence: Cadence, until: date) -> list[date]:
    """Every due day of the schedule up to ``until`` (inclusive), in order."""
    step = cadence.cadence_days
    infusions = sorted(set(cadence.infusions))
    if cadence.anchor != "infusion" or not infusions:
        return list(_every(cadence.starts_on, step, until))
    first, last = infusions[0], infusions[-1]
    before_first = _every(cadence.starts_on, step, min(until, first - timedelta(days=step)))
    after_last = _every(last + timedelta(days=step), step, until)
    return sorted({*before_first, *(d for d in infusions if d <= until), *after_last})


def occasion(cadence: Cadence, due_on: date) -> Occasion:
    return Occasion(
        due_on=due_on,
        opens_on=due_on - timedelta(days=cadence.window_before_days),
        closes_on=due_on + timedelta(days=cadence.window_after_days),
    )


def occasion_on(cadence: Cadence, day: date) -> Occasion | None:
    """The occasion whose window holds ``day``: the latest one opened by then, if still open."""
    opened = due_dates(cadence, day + timedelta(days=cadence.window_before_days))
    if not opened:
        return None
    latest = occasion(cadence, opened[-1])
    return latest if latest.contains(day) else None


def occasions(cadence: Cadence, start: date, end: date) -> list[Occasion]:
    """The occasions due from ``start`` to ``end`` (inclusive), for completion tracking."""
    return [occasion(cadence, day) for day in due_dates(cadence, end) if day >= start]


def window_bounds(item: Occasion, tz_name: str) -> tuple[datetime, datetime]:
    """The window as instants: local midnight of its first day to local midnight after its last."""
    tz = ZoneInfo(tz_name)
    opens_at = datetime.combine(item.opens_on, time(0), tzinfo=tz)
    closes_at = datetime.combine(item.closes_on + timedelta(days=1), time(0), tzinfo=tz)
    return opens_at, closes_at


def local_day(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(ZoneInfo(tz_name)).date()


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A default schedule created at enrolment."""

    instrument: str
    cadence_days: int
    anchor: Anchor
    window_before_days: int
    window_after_days: int


def default_schedules(
    drug_key: str | None, *, brain_metastases: bool, proctcae_instrument: str
) -> tuple[ScheduleSpec, ...]:
    """What a newly enrolled patient is asked, and when [D: needs clinical sign-off].

    - QLQ-C30 with QLQ-LC13: every 21 days on T-DXd, anchored on its infusions (q3w, §3.1) and
      answerable from 3 days before the infusion to 3 days after; every 28 days from the start
      for the oral TKIs and other drugs (a common trial cadence for continuous oral therapy);
    - the drug's PRO-CTCAE item set weekly (recall "the last 7 days", §2.1), answerable up to 3
      days late, plus the CNS set for patients with brain metastases (§5.5);
    - the overall quality-of-life rating and the ECOG self-report weekly, with the PRO-CTCAE.
    """
    if drug_key == "trastuzumab_deruxtecan":
        eortc: tuple[int, Anchor, int, int] = (21, "infusion", 3, 3)
    else:
        eortc = (28, "start", 3, 3)
    weekly: tuple[int, Anchor, int, int] = (7, "start", 0, 3)
    chosen = [
        ("qlq_c30", eortc),
        ("qlq_lc13", eortc),
        (proctcae_instrument, weekly),
        ("qol_rating", weekly),
        ("ecog_self", weekly),
    ]
    if brain_metastases:
        chosen.append(("proctcae_cns", weekly))
    return tuple(
        ScheduleSpec(code, cadence, anchor, before, after)
        for code, (cadence, anchor, before, after) in chosen
    )
