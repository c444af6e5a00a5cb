"""Adverse-event episodes from graded reports: a pure function, no Django.

Rule [D] (docs/decisions.md, exports): per subject and CTCAE term, in time order, a graded
report of grade >= 1 opens an episode when none is open; later reports of grade >= 1 belong to
it (its grade is the worst of them); the first later report of grade 0 ends it, at that
report's time. Reports that do not grade the term (not asked, insufficient answers) neither
extend nor end an episode. An episode still open after the last report has no end (ongoing).
Patient-reported and clinician-confirmed reports are never mixed: each source is run alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Report:
    subject: str
    term: str
    at: datetime
    grade: int
    ref: str = ""  # what the report is (an entry or observation id), carried to ``refs``


@dataclass(frozen=True, slots=True)
class Episode:
    subject: str
    term: str
    start: datetime
    end: datetime | None  # None: not resolved by the last report (ongoing)
    worst_grade: int
    first_grade: int
    reports: int  # the reports of grade >= 1 that make it up
    refs: tuple[str, ...] = ()  # the ``ref`` of those reports, and of the report ending it


def episodes(reports: Iterable[Report]) -> Iterator[Episode]:
    """The episodes of ``reports``, which must be sorted by (subject, term, at).

    Streams: holds one open episode at a time, so memory does not grow with the input.
    """
    key: tuple[str, str] | None = None
    start: Report | None = None
    worst = count = 0
    refs: list[str] = []
    for report in reports:
        if (report.subject, report.term) != key:
            if start is not None:
                yield Episode(
                    start.subject, start.term, start.at, None, worst, start.grade, count, (*refs,)
                )
            key, start, worst, count = (report.subject, report.term), None, 0, 0
        if report.grade >= 1:
            if start is None:
                start, worst, count, refs = report, report.grade, 0, []
            worst = max(worst, report.grade)
            count += 1
            refs.append(report.ref)
        elif start is not None:
            refs.append(report.ref)
            yield Episode(
                start.subject, start.term, start.at, report.at, worst, start.grade, count, (*refs,)
            )
            start = None
    if start is not None:
        yield Episode(
            start.subject, start.term, start.at, None, worst, start.grade, count, (*refs,)
        )
