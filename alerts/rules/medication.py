"""§5.6 medication and adherence: missed TKI doses, loperamide, and the time-based missed-diary
rule run by the periodic task. Each predicate directly above its rule row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from alerts.rules.base import (
    Fired,
    Report,
    Snapshot,
    _loperamide,
    _show,
    _when,
    _within_infusion_window,
)
from alerts.rules.book import RuleBook
from diary.vocabulary import ADC, DIARY, TKI


def _missed(report: Report) -> int:
    value = report.tki_doses_missed
    return value if type(value) is int and value > 0 else 0


MEDICATION = RuleBook()


@MEDICATION.rule(
    code="adherence.amber.missed_tki_doses_2_in_7_days",
    kind="adherence",
    level="amber",
    symptom="adherence",
    source="§5.6 [D]",
    condition="TKI: >= 2 missed doses in the 7 days up to a report that records one",
)
def _missed_doses(snapshot: Snapshot) -> str | None:
    """2 or more missed TKI doses in 7 days [D]; a vomited dose counts as taken [V labels].
    Fires on a report that itself records a missed dose, so a later report without one does
    not repeat it."""
    if snapshot.drug_class != TKI or _missed(snapshot.current) == 0:
        return None
    since = snapshot.current.recorded_at - timedelta(days=7)
    window = [r for r in (*snapshot.history, snapshot.current) if r.recorded_at >= since]
    total = sum(_missed(r) for r in window)
    if total < 2:
        return None
    reasons = [f'"{r.missed_dose_reason.strip()}"' for r in window if r.missed_dose_reason.strip()]
    vomited = sum(1 for r in window if r.tki_dose_vomited is True)
    given = "; ".join(reasons) or "none given"
    text = f"{total} missed TKI doses in 7 days; patient's reason: {given}"
    if vomited:
        text += f"; {vomited} report(s) of a vomited dose (counted as taken, not repeated)"
    return text


@MEDICATION.rule(
    code="loperamide.amber.over_16_mg_24h",
    kind="loperamide",
    level="amber",
    # Loperamide use measures the diarrhea: not a second symptom for §5.1 [D].
    symptom="diarrhea",
    source="§5.6 [S Benson]",
    condition="Loperamide > 16 mg in 24 h",
)
def _loperamide_over_16(snapshot: Snapshot) -> str | None:
    dose = _loperamide(snapshot.current)
    if dose is not None and dose > 16:  # Benson maximum daily dose [S]
        return f"loperamide {_show(dose)} mg in 24 h (> 16 mg maximum)"
    return None


MEDICATION_RULES = MEDICATION.rules


# --- §5.6 missed diary (time-based, run by the periodic task) --------------------------------


MISSED_DIARY_KIND = DIARY

MISSED_DIARY_CODE = "diary.amber.no_entry_3_days"

MISSED_DIARY_AFTER_INFUSION_CODE = "diary.amber.no_entry_2_days_after_infusion"

MISSED_DIARY_SOURCE = "§5.6 [D]"


def evaluate_missed_diary(
    *,
    drug_class: str,
    treatment_active: bool,
    last_entry_at: datetime | None,
    now: datetime,
    infusion_dates: tuple[date, ...],
    today: date,
) -> Fired | None:
    """No diary for 3 days while treatment is active; 2 days on a T-DXd infusion day and the 5
    days after it (§5.6 [D]). Pass the enrolment time as `last_entry_at` when there is no entry
    yet; None (nothing known) is treated as overdue."""
    if not treatment_active:
        return None
    after_infusion = drug_class == ADC and _within_infusion_window(today, infusion_dates)
    days = 2 if after_infusion else 3
    if last_entry_at is not None and now - last_entry_at < timedelta(days=days):
        return None
    code = MISSED_DIARY_AFTER_INFUSION_CODE if after_infusion else MISSED_DIARY_CODE
    since = "no diary entry yet" if last_entry_at is None else f"last entry {_when(last_entry_at)}"
    window = " during the 5 days after a T-DXd infusion" if after_infusion else ""
    return Fired(
        code=code,
        kind=MISSED_DIARY_KIND,
        level="amber",
        symptom="diary",
        reason=f"No diary for {days} days{window} ({since}) - {MISSED_DIARY_SOURCE}",
        source=MISSED_DIARY_SOURCE,
    )
