"""The alert rule set of reference §5: plain data and pure functions, stdlib only.

No Django and no grading import (import-linter): the caller (``alerts.services``) builds a frozen
``Snapshot`` from the stored entry, its CTCAE grades as plain ints, the patient's baseline, drug,
risk factors and recent history. ``evaluate`` returns the rules that fired, the level per alert
kind after the §5.1 combination rule, and the follow-up questions to schedule.
``evaluate_missed_diary`` is the time-based §5.6 rule run by the periodic task.

Every threshold cites its tag in ../shared/clinical/reference.md: [V] verified, [S] secondary, [D]
design choice needing clinical sign-off. docs/alert-rules.md lists every rule code and every [D]
reading made here. Rule codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

Level = Literal["green", "amber", "red"]
LEVEL_RANK: Mapping[str, int] = {"green": 0, "amber": 1, "red": 2}

# Drug keys and classes as in diary/drugs.py (repeated: this module imports nothing of the app).
TDXD = "trastuzumab_deruxtecan"
ZONGERTINIB = "zongertinib"
SEVABERTINIB = "sevabertinib"
TKI_CLASS = "tki"
ADC_CLASS = "adc"

# Thresholds the dashboard also draws (clinicians/timeline.py reads them from here).
# [V] CTCAE hypoxia example threshold, below 88% (88 itself is not): at rest G3, on exertion G2.
HYPOXIA_SPO2_BELOW = 88
TDXD_SPO2_REST_RED_AT_OR_BELOW = 92  # [D] no published threshold (§5.2 RED 3)
TDXD_SPO2_REST_DROP_RED = 4  # [D] fall of >=4 points from the resting baseline (§5.2 RED 3)
FEVER_C = 38  # [V] CTCAE fever G1 lower bound, 38.0 °C (100.4 °F)

# Answer scales, least to most severe (reference §1.2, §5.5).
SOB_EXERTION = ("none", "moderate", "minimal", "rest")
SEVERITY = ("none", "mild", "moderate", "severe")
ORAL_INTAKE = ("normal", "decreased", "inadequate")

SOB_TEXT = {
    "none": "no breathlessness",
    "moderate": "breathless with moderate exertion",
    "minimal": "breathless with minimal exertion",
    "rest": "breathless at rest",
}
RISK_FACTOR_TEXT = {  # T-DXd ILD risk factors, reference §3.1 [V]
    "age_under_65": "age <65",
    "baseline_spo2_under_95": "baseline SpO2 <95%",
    "renal_impairment": "moderate/severe renal impairment",
    "lung_comorbidity": "lung comorbidity",
    "prior_ild": "prior ILD/pneumonitis",
    "enrolled_in_japan": "enrolled in Japan",
    "diagnosis_over_4_years": ">4 years since diagnosis",
}

# Kinds whose triggers are not symptoms: they never count towards §5.1 "two AMBERs" [D].
NOT_SYMPTOM_KINDS = frozenset({"adherence", "diary"})

ILD_TEXT = "Possible ILD, needs assessment (imaging)"  # never "ILD grade X" (§5.2 Window) [V]
TDXD_WINDOW_TEXT = "months 1-12 of T-DXd: highest-risk window"  # 87% of first events [V §3.1]


# --- the interface --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Captured before cycle 1, changed only by a clinician (reference §5.2 [D])."""

    stools_per_day: int | None = None
    spo2_rest: int | None = None
    spo2_exertion: int | None = None
    sob_exertion: str | None = None  # none | moderate | minimal | rest
    weight_kg: float | None = None
    # PRO-CTCAE composite baselines by symptom key (e.g. "shortness_of_breath": 0); may be empty.
    composites: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """One diary entry as the rules see it."""

    entry_id: str
    recorded_at: datetime  # aware
    # term -> inputs, exactly as stored (field names of reference §1.2, §5.5, §5.7)
    symptoms: Mapping[str, Mapping[str, object]]
    grades: Mapping[str, int | None]  # term -> CTCAE grade (None: insufficient / not graded)
    composites: Mapping[str, int] = field(default_factory=dict)  # PRO-CTCAE, by symptom key
    loperamide_mg: float | None = None  # mg in the last 24 h
    tki_doses_taken: int | None = None
    tki_doses_missed: int | None = None
    tki_dose_vomited: bool | None = None
    missed_dose_reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    drug: str  # trastuzumab_deruxtecan | zongertinib | sevabertinib | other
    drug_class: str  # adc | tki | other
    baseline: Baseline
    risk_factors: tuple[str, ...]  # Patient.ild_risk_factors()
    brain_metastases: bool
    treatment_started_on: date | None
    last_infusion_on: date | None  # T-DXd
    infusion_dates: tuple[date, ...] = ()
    under_ild_management: bool = False  # clinician flag (§5.2 suppression)
    current: Report
    # Earlier entries of the same patient, oldest first (evaluate re-sorts them and drops any
    # recorded after `current`, so a late entry is judged against what came before it).
    history: tuple[Report, ...] = ()


@dataclass(frozen=True, slots=True)
class Fired:
    code: str  # stable and persisted
    kind: str  # alert kind / queue
    level: Level  # "amber" | "red"
    symptom: str  # symptom family, for §5.1 "two AMBERs from different symptoms"
    reason: str  # nurse-facing, ends with the source tag
    source: str  # e.g. "§5.2 RED 2 [V]"
    # True when the rule is an ILD AMBER and the patient is under active ILD management: the
    # caller may fold it as a duplicate for 24 h (§5.2 suppression [D]). RED never is.
    suppressible: bool = False


@dataclass(frozen=True, slots=True)
class Evaluation:
    fired: tuple[Fired, ...]
    level: Level  # overall for this entry, after combination
    levels_by_kind: Mapping[str, Level]  # per alert kind, after combination
    escalated_by_combination: bool  # §5.1: two AMBERs of different symptoms made a kind RED
    followups: tuple[str, ...]  # codes of follow-up questions to schedule


Finding = Callable[[Snapshot], str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One alert rule, readable beside the reference.

    ``finding`` is the predicate and the reason builder in one: it returns the nurse-facing
    finding when the rule fires and None when it does not, so the two cannot disagree. It
    expects the snapshot as ``evaluate`` passes it (history sorted, nothing after `current`).
    """

    code: str
    kind: str
    level: Literal["amber", "red"]
    symptom: str
    source: str
    condition: str  # one line for docs/alert-rules.md
    finding: Finding
    drugs: frozenset[str] | None = None  # None: any drug
    brain_metastases_only: bool = False
    suppressible: bool = False  # §5.2: duplicate ILD AMBERs under ILD management

    def applies_to(self, snapshot: Snapshot) -> bool:
        if self.drugs is not None and snapshot.drug not in self.drugs:
            return False
        return snapshot.brain_metastases or not self.brain_metastases_only

    def fire(self, snapshot: Snapshot) -> Fired | None:
        if not self.applies_to(snapshot):
            return None
        found = self.finding(snapshot)
        if found is None:
            return None
        if self.kind == "ild":
            window = f" ({TDXD_WINDOW_TEXT})" if _tdxd_first_year(snapshot) else ""
            found = f"{ILD_TEXT}: {found}{window}"
        return Fired(
            code=self.code,
            kind=self.kind,
            level=self.level,
            symptom=self.symptom,
            reason=f"{_sentence(found)} - {self.source}",
            source=self.source,
            suppressible=self.suppressible and snapshot.under_ild_management,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Followup:
    """A follow-up question to schedule (not an alert)."""

    code: str
    source: str
    condition: str
    due: Callable[[Snapshot], bool]


# --- reading answers (never raises on odd values: they simply do not match) ----------------


def _answer(report: Report, term: str, name: str) -> object:
    inputs = report.symptoms.get(term)
    return inputs.get(name) if isinstance(inputs, Mapping) else None


def _yes(report: Report, term: str, name: str) -> bool:
    return _answer(report, term, name) is True


def _exact(value: object) -> Fraction | None:
    """A JSON number as an exact fraction (100.4 is 502/5, not 100.400000000000006)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        return Fraction(str(value)) if math.isfinite(value) else None
    return Fraction(value)


def _number(report: Report, term: str, name: str) -> Fraction | None:
    return _exact(_answer(report, term, name))


def _rank(report: Report, term: str, name: str, scale: Sequence[str]) -> int | None:
    value = _answer(report, term, name)
    return scale.index(value) if isinstance(value, str) and value in scale else None


def _grade(report: Report, term: str) -> int | None:
    value = report.grades.get(term)
    return value if type(value) is int else None


def _floor_grade(report: Report, term: str) -> int | None:
    """The stored grade; when there is none (primary answer missing), the ADL and hospital
    answers still set a floor: iADL -> G2, self-care ADL or hospitalised -> G3 (CTCAE general
    criteria [V]; applying them without the primary answer is [D])."""
    stored = _grade(report, term)
    adl = _answer(report, term, "adl")
    floor = None
    if adl == "self_care" or _yes(report, term, "hospitalized"):
        floor = 3
    elif adl == "instrumental":
        floor = 2
    return max((g for g in (stored, floor) if g is not None), default=None)


def _composite(report: Report, key: str) -> int | None:
    value = report.composites.get(key)
    return value if type(value) is int else None


def _loperamide(report: Report) -> Fraction | None:
    return _exact(report.loperamide_mg)


def _temperature_c(report: Report) -> Fraction | None:
    """°C from `temp_c` and/or `temp_f` ((F - 32) x 5/9, exactly [V §1.3]); the higher counts
    when both are sent (as the grader does)."""
    readings: list[Fraction] = []
    celsius = _number(report, "fever", "temp_c")
    fahrenheit = _number(report, "fever", "temp_f")
    if celsius is not None:
        readings.append(celsius)
    if fahrenheit is not None:
        readings.append((fahrenheit - 32) * Fraction(5, 9))
    return max(readings, default=None)


def _vomited(report: Report) -> bool:
    episodes = _number(report, "vomiting", "vomiting_episodes_24h")
    grade = _grade(report, "vomiting")
    return (episodes is not None and episodes >= 1) or (grade is not None and grade >= 1)


def _show(value: Fraction) -> str:
    return f"{float(value):g}"


def _celsius_text(value: Fraction) -> str:
    """38.0 °C, 37.95 °C, 37.94 °C (from 100.3 °F): never rounded up across a threshold."""
    shown = f"{float(value):.2f}"
    return f"{shown[:-1] if shown.endswith('0') else shown} °C"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# --- time and history ------------------------------------------------------------------------


def _day(report: Report, snapshot: Snapshot) -> date:
    """The report's calendar day in the current report's UTC offset [D]."""
    return report.recorded_at.astimezone(snapshot.current.recorded_at.tzinfo).date()


def _earliest[T](
    reports: Iterable[Report], read: Callable[[Report], T | None]
) -> tuple[Report, T] | None:
    """The first report that answered (`read` gives a value), with its answer."""
    for report in reports:
        value = read(report)
        if value is not None:
            return report, value
    return None


def _latest[T](
    reports: Sequence[Report], read: Callable[[Report], T | None]
) -> tuple[Report, T] | None:
    """The most recent report (of a list oldest first) that answered, with its answer."""
    return _earliest(reversed(reports), read)


def _consecutive_daily(snapshot: Snapshot, report: Report) -> bool:
    """Two consecutive daily reports [D]: the earlier one is of the same or the previous day."""
    return 0 <= (_day(snapshot.current, snapshot) - _day(report, snapshot)).days <= 1


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _tdxd_first_year(snapshot: Snapshot) -> bool:
    """Months 1-12 of T-DXd (§5.2 Window [V data; D policy]); an unknown start counts as inside."""
    if snapshot.drug != TDXD:
        return False
    start = snapshot.treatment_started_on
    return start is None or _day(snapshot.current, snapshot) < _add_year(start)


def _infusion_days(snapshot: Snapshot) -> set[date]:
    days = set(snapshot.infusion_dates)
    if snapshot.last_infusion_on is not None:
        days.add(snapshot.last_infusion_on)
    return days


def _within_infusion_window(day: date, infusions: Iterable[date]) -> bool:
    """The infusion day and the 5 days after it (§5.3 T-DXd days 1-5; §5.6 diary) [D]."""
    return any(0 <= (day - given).days <= 5 for given in infusions)


# --- §5.2 ILD suspicion ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Measure:
    """A respiratory answer compared with the baseline and the previous report (§5.2)."""

    label: str
    read: Callable[[Report], int | None]
    show: Callable[[int], str]
    baseline: Callable[[Snapshot], int]


def _sob(report: Report) -> int | None:
    return _rank(report, "dyspnea", "sob_exertion", SOB_EXERTION)


def _sob_baseline(snapshot: Snapshot) -> int:
    # No recorded baseline counts as "no breathlessness" [D].
    value = snapshot.baseline.sob_exertion
    return SOB_EXERTION.index(value) if value in SOB_EXERTION else 0


def _cough(report: Report) -> int | None:
    return _rank(report, "cough", "cough_severity", SEVERITY)


def _baseline_composite(snapshot: Snapshot, key: str) -> int:
    value = snapshot.baseline.composites.get(key)
    return value if type(value) is int else 0  # no baseline composite counts as 0 [D]


def _composite_measure(key: str, label: str) -> _Measure:
    return _Measure(
        label=f"PRO-CTCAE {label} composite",
        read=lambda report: _composite(report, key),
        show=str,
        baseline=lambda snapshot: _baseline_composite(snapshot, key),
    )


DYSPNEA = _Measure("", _sob, lambda rank: SOB_TEXT[SOB_EXERTION[rank]], _sob_baseline)
# The Baseline has no cough field: cough is compared with "none" at baseline [D].
COUGH = _Measure("cough", _cough, lambda rank: SEVERITY[rank], lambda snapshot: 0)
SOB_COMPOSITE = _composite_measure("shortness_of_breath", "shortness-of-breath")
COUGH_COMPOSITE = _composite_measure("cough", "cough")
WHEEZING_COMPOSITE = _composite_measure("wheezing", "wheezing")
RESPIRATORY = (DYSPNEA, COUGH, SOB_COMPOSITE, COUGH_COMPOSITE, WHEEZING_COMPOSITE)


def _change(snapshot: Snapshot, measure: _Measure) -> str | None:
    """New or worsening [D]: worse than the baseline, or worse than the previous report that
    answered the same question."""
    now = measure.read(snapshot.current)
    if now is None:
        return None
    base = measure.baseline(snapshot)
    previous = _latest(snapshot.history, measure.read)
    worse_than_previous = previous is not None and now > previous[1]
    if now <= base and not worse_than_previous:
        return None
    compared = [f"baseline: {measure.show(base)}"]
    if previous is not None:
        compared.append(f"previous report: {measure.show(previous[1])}")
    shown = f"{measure.label} {measure.show(now)}".strip()
    return f"{shown} ({'; '.join(compared)})"


def _respiratory_changes(snapshot: Snapshot) -> list[str]:
    return [text for measure in RESPIRATORY if (text := _change(snapshot, measure)) is not None]


def _dyspnea_g3(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    if _sob(report) == SOB_EXERTION.index("rest"):
        return "breathless at rest (CTCAE dyspnea G3)"
    grade = _floor_grade(report, "dyspnea")
    if grade is not None and grade >= 3:
        return f"dyspnea limiting self-care ADL (CTCAE dyspnea G{grade})"
    return None


def _spo2_rest_below_88(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_rest")
    if spo2 is not None and spo2 < HYPOXIA_SPO2_BELOW:  # [V] CTCAE hypoxia G3 example
        return f"resting SpO2 {_show(spo2)}% < 88% (CTCAE hypoxia G3 example threshold)"
    return None


def _tdxd_spo2_rest_92(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_rest")
    if spo2 is not None and spo2 <= TDXD_SPO2_REST_RED_AT_OR_BELOW:  # [D] §5.2 RED 3
        return f"resting SpO2 {_show(spo2)}% <= 92% on T-DXd"
    return None


def _drop(snapshot: Snapshot, name: str, baseline: int | None) -> Fraction | None:
    spo2 = _number(snapshot.current, "hypoxia", name)
    base = _exact(baseline)
    return None if spo2 is None or base is None else base - spo2


def _tdxd_spo2_rest_drop_4(snapshot: Snapshot) -> str | None:
    drop = _drop(snapshot, "spo2_rest", snapshot.baseline.spo2_rest)
    if drop is not None and drop >= TDXD_SPO2_REST_DROP_RED:  # [D] §5.2 RED 3
        return (
            f"resting SpO2 {_show(drop)} points below the baseline "
            f"{snapshot.baseline.spo2_rest}% (fall >= 4) on T-DXd"
        )
    return None


def _tdxd_respiratory_with_fever(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    changes = _respiratory_changes(snapshot)
    if temperature is None or temperature < FEVER_C or not changes:  # fever [V]
        return None
    return (
        f"new or worsening: {'; '.join(changes)}, with temperature {_celsius_text(temperature)} "
        "on T-DXd (cough, dyspnea and fever are the label's presenting signs)"
    )


def _tdxd_respiratory_with_risk_factor(snapshot: Snapshot) -> str | None:
    # Any recorded §3.1 risk factor counts, enrolment in Japan included (§3.1 lists it; the
    # RED 5 parenthesis omits it) [D].
    changes = _respiratory_changes(snapshot)
    if not snapshot.risk_factors or not changes:
        return None
    factors = ", ".join(RISK_FACTOR_TEXT.get(f, f) for f in snapshot.risk_factors)
    return f"new or worsening: {'; '.join(changes)}, on T-DXd with ILD risk factor(s): {factors}"


def _dyspnea_new_or_worse(snapshot: Snapshot) -> str | None:
    change = _change(snapshot, DYSPNEA)
    return None if change is None else f"new or worse: {change}"


def _sob_composite_up(snapshot: Snapshot) -> str | None:
    change = _change(snapshot, SOB_COMPOSITE)
    return None if change is None else f"increase of {change}"


def _persisting(
    snapshot: Snapshot, read: Callable[[Report], int | None], threshold: int, what: str
) -> str | None:
    """§5.2 AMBER 2: present now and on the previous daily report; in months 1-12 of T-DXd a
    single report is enough (§5.2 Window: weight alerts more heavily) [D]."""
    now = read(snapshot.current)
    if now is None or now < threshold:
        return None
    if _tdxd_first_year(snapshot):
        return f"{what} on this report (a single report is enough in months 1-12 of T-DXd)"
    previous = _latest(snapshot.history, read)
    if previous is None or previous[1] < threshold or not _consecutive_daily(snapshot, previous[0]):
        return None
    return (
        f"{what}, persisting on two consecutive daily reports "
        f"(also {_when(previous[0].recorded_at)})"
    )


def _new_cough(snapshot: Snapshot) -> str | None:
    # The vocabulary cannot tell a dry cough from a productive one: any cough counts [D].
    severity = _cough(snapshot.current)
    what = f"cough ({SEVERITY[severity]})" if severity is not None else "cough"
    return _persisting(snapshot, _cough, 1, what)


def _cough_composite_2(snapshot: Snapshot) -> str | None:
    value = _composite(snapshot.current, "cough")
    return _persisting(snapshot, lambda r: _composite(r, "cough"), 2, f"cough composite {value}")


def _spo2_exertion_below_88(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_exertion")
    if spo2 is not None and spo2 < HYPOXIA_SPO2_BELOW:  # [V] CTCAE hypoxia G2 example
        return f"exertional SpO2 {_show(spo2)}% < 88% (CTCAE hypoxia G2 example threshold)"
    return None


def _spo2_exertion_drop_4(snapshot: Snapshot) -> str | None:
    drop = _drop(snapshot, "spo2_exertion", snapshot.baseline.spo2_exertion)
    if drop is not None and drop >= 4:  # [D] exertional fall >=4 points (§5.2 AMBER 3)
        return (
            f"exertional SpO2 {_show(drop)} points below the baseline "
            f"{snapshot.baseline.spo2_exertion}% (fall >= 4)"
        )
    return None


# --- §5.3 GI: diarrhea, vomiting, nausea, dehydration ----------------------------------------


def _diarrhea(report: Report) -> int | None:
    return _floor_grade(report, "diarrhea")


def _diarrhea_g2(snapshot: Snapshot) -> str | None:
    if _diarrhea(snapshot.current) == 2:  # [V] 4-6 stools/day over baseline or iADL
        return "diarrhea CTCAE G2 (patient-reported, provisional)"
    return None


def _diarrhea_g3(snapshot: Snapshot) -> str | None:
    grade = _diarrhea(snapshot.current)
    if grade is not None and grade >= 3:  # [V] >=7/day, self-care ADL or hospitalisation
        return f"diarrhea CTCAE G{grade} (patient-reported, provisional)"
    return None


def _on_loperamide_since(snapshot: Snapshot, min_grade: int) -> datetime | None:
    """When loperamide was first recorded in the present run of diarrhea of at least
    `min_grade` [D]: the run goes back from the current report while diarrhea stays at that
    grade or worse (reports without a diarrhea grade are skipped, a lower grade ends it)."""
    grade = _diarrhea(snapshot.current)
    if grade is None or grade < min_grade:
        return None
    since = None
    for report in reversed((*snapshot.history, snapshot.current)):
        grade = _diarrhea(report)
        if grade is None:
            continue
        if grade < min_grade:
            break
        dose = _loperamide(report)
        if dose is not None and dose > 0:
            since = report.recorded_at
    return since


def _diarrhea_persisting(snapshot: Snapshot, min_grade: int, hours: int) -> str | None:
    since = _on_loperamide_since(snapshot, min_grade)
    if since is None:
        return None
    lasted = snapshot.current.recorded_at - since
    if lasted <= timedelta(hours=hours):  # persisting *more than* the window
        return None
    return (
        f"diarrhea G{min_grade} or worse persisting {lasted.total_seconds() / 3600:.0f} h "
        f"(> {hours} h) despite loperamide (first recorded {_when(since)})"
    )


def _diarrhea_g1_persisting(snapshot: Snapshot) -> str | None:
    return _diarrhea_persisting(snapshot, 1, 48)  # >48 h on loperamide [S Benson]


def _diarrhea_g2_persisting(snapshot: Snapshot) -> str | None:
    return _diarrhea_persisting(snapshot, 2, 24)  # >24 h [D]


def _diarrhea_composite_2(snapshot: Snapshot) -> str | None:
    # "Frequently" (composite 2) or worse on this and the previous report that answered it [D].
    now = _composite(snapshot.current, "diarrhea")
    if now is None or now < 2:
        return None
    previous = _latest(snapshot.history, lambda r: _composite(r, "diarrhea"))
    if previous is None or previous[1] < 2:
        return None
    return (
        f"PRO-CTCAE diarrhea composite {now} on two consecutive reports "
        f"(previous {previous[1]} at {_when(previous[0].recorded_at)})"
    )


def _known_neutropenia(snapshot: Snapshot) -> bool:
    # Clinician-entered lab grades in this or a recent report [D].
    for report in (*snapshot.history, snapshot.current):
        anc = _grade(report, "neutrophil_count_decreased")
        fn = _grade(report, "febrile_neutropenia")
        if (anc is not None and anc >= 1) or (fn is not None and fn >= 3):
            return True
    return False


def _complicated_features(snapshot: Snapshot) -> list[str]:
    """Benson's "complicated" features as reference §5.3 lists them [S]."""
    report = snapshot.current
    features = []
    temperature = _temperature_c(report)
    if temperature is not None and temperature >= FEVER_C:
        features.append(f"fever {_celsius_text(temperature)}")
    if _yes(report, "dehydration", "dizzy_on_standing"):
        features.append("dizzy on standing")
    if _yes(report, "dehydration", "dehydration_signs"):
        features.append("signs of dehydration")
    hours = _number(report, "dehydration", "unable_to_keep_fluids_hours")
    if hours is not None and hours > 0:
        features.append(f"unable to keep fluids down ({_show(hours)} h)")
    if _yes(report, "diarrhea", "blood_in_stool"):
        features.append("blood in stool")
    pain = _rank(report, "abdominal_pain", "pain_severity", SEVERITY)
    if pain is not None and pain >= SEVERITY.index("moderate"):
        features.append(f"{SEVERITY[pain]} abdominal pain/cramping")
    intake = _rank(report, "nausea", "oral_intake", ORAL_INTAKE)
    if _vomited(report) and intake is not None and intake >= ORAL_INTAKE.index("decreased"):
        features.append(f"vomiting with oral intake {ORAL_INTAKE[intake]}")
    if _known_neutropenia(snapshot):
        features.append("known neutropenia")
    return features


def _diarrhea_complicated(snapshot: Snapshot) -> str | None:
    grade = _diarrhea(snapshot.current)
    if grade is None or grade < 1:
        return None  # no diarrhea: its features (which read the history) need no look
    features = _complicated_features(snapshot)
    if not features:
        return None
    return f"diarrhea G{grade} with complicated feature(s): {', '.join(features)}"


def _vomiting_two_days(snapshot: Snapshot) -> str | None:
    if not _vomited(snapshot.current):
        return None
    today = _day(snapshot.current, snapshot)
    for report in snapshot.history:
        if _vomited(report) and (today - _day(report, snapshot)).days == 1:
            return f"vomiting on 2 consecutive days ({_day(report, snapshot)} and {today})"
    return None


def _nausea_intake_decreased(snapshot: Snapshot) -> str | None:
    grade = _grade(snapshot.current, "nausea")
    intake = _rank(snapshot.current, "nausea", "oral_intake", ORAL_INTAKE)
    # G2 is "oral intake decreased"; G3 (inadequate, tube feeding, hospital) is at least AMBER.
    if (grade is None or grade < 2) and (intake is None or intake < 1):
        return None
    shown = f"oral intake {ORAL_INTAKE[intake]}" if intake is not None else "nausea"
    graded = f" (CTCAE nausea G{grade})" if grade is not None else ""
    return f"nausea: {shown}{graded}"


def _unable_to_keep_fluids_24h(snapshot: Snapshot) -> str | None:
    hours = _number(snapshot.current, "dehydration", "unable_to_keep_fluids_hours")
    if hours is not None and hours >= 24:  # [D]
        return f"unable to keep fluids down for {_show(hours)} h (>= 24 h)"
    return None


def _vomiting_6_episodes(snapshot: Snapshot) -> str | None:
    episodes = _number(snapshot.current, "vomiting", "vomiting_episodes_24h")
    if episodes is not None and episodes >= 6:  # [D] echoes v4.03 G3; alert threshold only
        return f"{_show(episodes)} vomiting episodes in 24 h (>= 6)"
    return None


def _vomiting_iv_fluids_or_hospital(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    needs = [
        text
        for name, text in (
            ("iv_fluids", "IV fluids"),
            ("hospitalized", "hospital admission"),
            ("tube_feeding_or_tpn", "tube feeding/TPN"),
        )
        if _yes(report, "vomiting", name)
    ]
    grade = _grade(report, "vomiting")
    if not needs and (grade is None or grade < 2):  # CTCAE vomiting G2/G3 [V]
        return None
    graded = f" (CTCAE vomiting G{grade})" if grade is not None else ""
    return f"vomiting needing {', '.join(needs) or 'medical intervention'}{graded}"


def _dehydration(report: Report) -> list[str]:
    signs = [
        text
        for name, text in (
            ("dehydration_signs", "signs of dehydration"),
            ("dizzy_on_standing", "dizzy on standing"),
            ("iv_fluids", "IV fluids needed"),
            ("hospitalized", "hospitalised"),
        )
        if _yes(report, "dehydration", name)
    ]
    grade = _grade(report, "dehydration")
    if not signs and grade is not None and grade >= 1:
        signs.append(f"CTCAE dehydration G{grade}")
    return signs


def _dehydration_alone(snapshot: Snapshot) -> str | None:
    signs = _dehydration(snapshot.current)
    return f"dehydration: {', '.join(signs)}" if signs else None


def _dehydration_with_gi_loss(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    signs = _dehydration(report)
    grade = _diarrhea(report)
    diarrhea = grade is not None and grade >= 1
    losses = [text for ok, text in ((diarrhea, "diarrhea"), (_vomited(report), "vomiting")) if ok]
    if not signs or not losses:
        return None
    return f"dehydration ({', '.join(signs)}) with {' and '.join(losses)}"


# --- §5.3 fever ------------------------------------------------------------------------------


def _fever_38(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    if temperature is not None and temperature >= FEVER_C:  # CTCAE fever G1 lower bound [V]
        return f"temperature {_celsius_text(temperature)} (>= 38.0 °C)"
    return None


def _fever_above_38_3(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    if temperature is not None and temperature > Fraction("38.3"):  # FN single reading [V]
        return f"single temperature {_celsius_text(temperature)} (> 38.3 °C)"
    return None


def _fever_sustained(snapshot: Snapshot) -> str | None:
    hours = _number(snapshot.current, "fever", "hours_at_or_above_38")
    if hours is not None and hours > 1:  # FN: >=38.0 °C sustained more than 1 h [V]
        return f"temperature >= 38.0 °C for {_show(hours)} h (> 1 h)"
    return None


RAISED_C = Fraction("37.5")  # "any raised temperature" = the AMBER lower bound 37.5 °C [D]


def _chills_with_raised_temperature(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    temperature = _temperature_c(report)
    chills = _rank(report, "chills", "chills", SEVERITY)
    shaking = [
        text
        for ok, text in (
            (_yes(report, "fever", "rigors"), "rigors"),
            (chills is not None and chills >= 1, f"chills ({SEVERITY[chills or 0]})"),
        )
        if ok
    ]
    if temperature is None or temperature < RAISED_C or not shaking:
        return None
    return f"{' and '.join(shaking)} with temperature {_celsius_text(temperature)} (>= 37.5 °C)"


def _low_grade(report: Report) -> Fraction | None:
    """The temperature when it is 37.5-37.9 °C (37.5 <= t < 38.0) [D]."""
    temperature = _temperature_c(report)
    return temperature if temperature is not None and RAISED_C <= temperature < FEVER_C else None


def _low_grade_twice(snapshot: Snapshot) -> str | None:
    now = _low_grade(snapshot.current)
    if now is None:
        return None
    since = snapshot.current.recorded_at - timedelta(hours=24)  # "within 24 h": inclusive [D]
    for report in reversed(snapshot.history):
        earlier = _low_grade(report)
        if report.recorded_at >= since and earlier is not None:
            return (
                f"temperature {_celsius_text(now)}, and {_celsius_text(earlier)} at "
                f"{_when(report.recorded_at)}: 37.5-37.9 °C twice within 24 h"
            )
    return None


# --- §5.3 hepatotoxicity and LV dysfunction --------------------------------------------------

LIVER_FIELDS = (
    ("jaundice", "jaundice"),
    ("dark_urine", "dark urine"),
    ("right_upper_abdominal_pain", "right upper abdominal pain"),
)
HEART_FIELDS = (
    ("leg_swelling", "leg swelling"),
    ("breathless_lying_flat", "breathless lying flat"),
    ("palpitations", "palpitations"),
)


def _liver_symptom(snapshot: Snapshot) -> str | None:
    found = [text for name, text in LIVER_FIELDS if _yes(snapshot.current, "liver_symptoms", name)]
    return f"liver symptom(s): {', '.join(found)} (LFTs needed)" if found else None


def _jaundice(snapshot: Snapshot) -> str | None:
    return (
        "jaundice (LFTs needed)" if _yes(snapshot.current, "liver_symptoms", "jaundice") else None
    )


def _breathless_with_heart_symptom(snapshot: Snapshot) -> str | None:
    now = _sob(snapshot.current)
    base = _sob_baseline(snapshot)
    found = [text for name, text in HEART_FIELDS if _yes(snapshot.current, "heart_symptoms", name)]
    if now is None or now <= base or not found:
        return None
    return (
        f"new breathlessness ({SOB_TEXT[SOB_EXERTION[now]]}; baseline: "
        f"{SOB_TEXT[SOB_EXERTION[base]]}) with {', '.join(found)} (LVEF check per label schedule)"
    )


# --- §5.4 PRO-CTCAE composites ---------------------------------------------------------------

# symptom key (api.md) -> (alert kind, symptom family for §5.1) [D]
PROCTCAE: Mapping[str, tuple[str, str]] = {
    "decreased_appetite": ("gi", "anorexia"),
    "nausea": ("gi", "nausea"),
    "vomiting": ("gi", "vomiting"),
    "constipation": ("gi", "constipation"),
    "diarrhea": ("gi", "diarrhea"),
    "pain_in_abdomen": ("gi", "abdominal_pain"),
    "loss_of_bowel_control": ("gi", "bowel_control"),
    "shortness_of_breath": ("ild", "dyspnea"),
    "cough": ("ild", "cough"),
    "wheezing": ("ild", "wheezing"),
    "mouth_or_throat_sores": ("other", "mucositis"),
    "taste_changes": ("other", "taste"),
    "dry_skin": ("other", "dry_skin"),
    "acne": ("other", "acne"),
    "hair_loss": ("other", "hair_loss"),
    "itchy_skin": ("other", "itch"),
    "hand_foot_syndrome": ("other", "hand_foot"),
    "fatigue": ("other", "fatigue"),
    "chills": ("other", "chills"),
    "arm_or_leg_swelling": ("other", "swelling"),
    "pounding_or_racing_heartbeat": ("other", "heartbeat"),
    "nosebleeds": ("other", "nosebleeds"),
}


def _composite_new_or_worse(key: str) -> Finding:
    def finding(snapshot: Snapshot) -> str | None:
        now = _composite(snapshot.current, key)
        base = _baseline_composite(snapshot, key)
        if now is None or now < 2 or now - base < 1:
            return None
        return f"PRO-CTCAE {key.replace('_', ' ')} composite {now} (baseline {base})"

    return finding


def _composite_3(key: str) -> Finding:
    def finding(snapshot: Snapshot) -> str | None:
        if _composite(snapshot.current, key) == 3:
            return f"PRO-CTCAE {key.replace('_', ' ')} composite 3"
        return None

    return finding


# --- §5.5 CNS watch (brain metastases) --------------------------------------------------------


def _cns_rank(term: str, name: str) -> Callable[[Report], int | None]:
    return lambda report: _rank(report, term, name, SEVERITY)


def _flag(term: str, name: str) -> Callable[[Report], int | None]:
    def read(report: Report) -> int | None:
        value = _answer(report, term, name)
        return int(value) if isinstance(value, bool) else None

    return read


def _new(
    snapshot: Snapshot, read: Callable[[Report], int | None], threshold: int = 1
) -> tuple[int, int] | None:
    """New = at `threshold` or worse now and worse than at baseline, the baseline being the
    earliest report of the history that answered the question, else none [D]."""
    now = read(snapshot.current)
    if now is None or now < threshold:
        return None
    earliest = _earliest(snapshot.history, read)
    base = earliest[1] if earliest is not None else 0
    return (now, base) if now > base else None


def _seizure(snapshot: Snapshot) -> str | None:
    kind = _answer(snapshot.current, "seizure", "seizure_type")
    if isinstance(kind, str) and kind != "none":
        return f"seizure ({kind.replace('_', ' ')})"
    return None


def _new_graded(term: str, name: str, what: str) -> Finding:
    def finding(snapshot: Snapshot) -> str | None:
        new = _new(snapshot, _cns_rank(term, name))
        if new is None:
            return None
        return f"new {what} {SEVERITY[new[0]]} (earlier: {SEVERITY[new[1]]})"

    return finding


def _new_weakness(snapshot: Snapshot) -> str | None:
    sides = [
        side
        for side in ("left", "right")
        if _new(snapshot, _flag(f"muscle_weakness_{side}_sided", "one_sided_weakness"))
    ]
    return f"new {' and '.join(sides)}-sided weakness" if sides else None


def _headache(report: Report) -> int | None:
    return _rank(report, "headache", "pain_severity", SEVERITY)


def _headache_severe(snapshot: Snapshot) -> str | None:
    grade = _floor_grade(snapshot.current, "headache")
    if _headache(snapshot.current) == 3 or (grade is not None and grade >= 3):
        return "severe headache (raised intracranial pressure to be excluded today)"
    return None


def _headache_with_vomiting(snapshot: Snapshot) -> str | None:
    pain = _headache(snapshot.current)
    if pain is None or pain < 1:
        return None
    today = _day(snapshot.current, snapshot)
    same_day = [r for r in (*snapshot.history, snapshot.current) if _day(r, snapshot) == today]
    if not any(_vomited(r) for r in same_day):
        return None
    return f"headache ({SEVERITY[pain]}) with vomiting the same day (exclude raised ICP today)"


def _headache_worse(snapshot: Snapshot) -> str | None:
    pain = _headache(snapshot.current)
    if pain is None or pain < 1:
        return None
    previous = _latest(snapshot.history, _headache)
    before = previous[1] if previous is not None else 0  # no earlier answer counts as none [D]
    if pain == SEVERITY.index("moderate"):
        return f"moderate headache (previous report: {SEVERITY[before]})"
    if pain > before:
        return f"headache worse than the previous report ({SEVERITY[before]} -> {SEVERITY[pain]})"
    return None


def _new_dizziness(snapshot: Snapshot) -> str | None:
    new = _new(snapshot, _cns_rank("dizziness", "unsteadiness"), SEVERITY.index("moderate"))
    if new is None:
        return None
    return f"new dizziness/unsteadiness {SEVERITY[new[0]]} (earlier: {SEVERITY[new[1]]})"


def _vision_change(snapshot: Snapshot) -> str | None:
    if _yes(snapshot.current, "vision_change", "vision_change"):
        return "new blurred or double vision"
    return None


# --- §5.6 adherence and loperamide ------------------------------------------------------------


def _missed(report: Report) -> int:
    value = report.tki_doses_missed
    return value if type(value) is int and value > 0 else 0


def _missed_doses(snapshot: Snapshot) -> str | None:
    """2 or more missed TKI doses in 7 days [D]; a vomited dose counts as taken [V labels].
    Fires on a report that itself records a missed dose, so a later report without one does
    not repeat it."""
    if snapshot.drug_class != TKI_CLASS or _missed(snapshot.current) == 0:
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


def _loperamide_over_16(snapshot: Snapshot) -> str | None:
    dose = _loperamide(snapshot.current)
    if dose is not None and dose > 16:  # Benson maximum daily dose [S]
        return f"loperamide {_show(dose)} mg in 24 h (> 16 mg maximum)"
    return None


# --- the rules ------------------------------------------------------------------------------

TDXD_ONLY = frozenset({TDXD})
LIVER_CHECK_DRUGS = frozenset({ZONGERTINIB, SEVABERTINIB})  # as diary.drugs
HEART_CHECK_DRUGS = frozenset({TDXD, ZONGERTINIB})  # as diary.drugs
NOT_TDXD = frozenset({ZONGERTINIB, SEVABERTINIB, "other"})

ILD_RULES = (
    Rule(
        code="ild.red.dyspnea_at_rest_or_self_care",
        kind="ild",
        level="red",
        symptom="dyspnea",
        source="§5.2 RED 1 [V CTCAE; D action]",
        condition="Dyspnea at rest or limiting self-care ADL (CTCAE dyspnea G3), any drug",
        finding=_dyspnea_g3,
    ),
    Rule(
        code="ild.red.spo2_rest_below_88",
        kind="ild",
        level="red",
        symptom="spo2",
        source="§5.2 RED 2 [V]",
        condition="Resting SpO2 < 88%, any drug",
        finding=_spo2_rest_below_88,
    ),
    Rule(
        code="ild.red.tdxd_spo2_rest_92_or_below",
        kind="ild",
        level="red",
        symptom="spo2",
        source="§5.2 RED 3 [D]",
        condition="T-DXd: resting SpO2 <= 92%",
        finding=_tdxd_spo2_rest_92,
        drugs=TDXD_ONLY,
    ),
    Rule(
        code="ild.red.tdxd_spo2_rest_drop_4",
        kind="ild",
        level="red",
        symptom="spo2",
        source="§5.2 RED 3 [D]",
        condition="T-DXd: resting SpO2 >= 4 points below the baseline",
        finding=_tdxd_spo2_rest_drop_4,
        drugs=TDXD_ONLY,
    ),
    Rule(
        code="ild.red.tdxd_respiratory_symptom_with_fever",
        kind="ild",
        level="red",
        symptom="respiratory",
        source="§5.2 RED 4 [V label; D]",
        condition="T-DXd: new/worsening dyspnea, cough (or their composites) with fever >= 38.0 °C",
        finding=_tdxd_respiratory_with_fever,
        drugs=TDXD_ONLY,
    ),
    Rule(
        code="ild.red.tdxd_respiratory_symptom_with_risk_factor",
        kind="ild",
        level="red",
        symptom="respiratory",
        source="§5.2 RED 5 [V factors; D]",
        condition="T-DXd with any §3.1 risk factor: any new/worsening respiratory symptom",
        finding=_tdxd_respiratory_with_risk_factor,
        drugs=TDXD_ONLY,
    ),
    Rule(
        code="ild.amber.dyspnea_new_or_worse",
        kind="ild",
        level="amber",
        symptom="dyspnea",
        source="§5.2 AMBER 1 [D]",
        condition="sob_exertion worse than baseline or than the previous report",
        finding=_dyspnea_new_or_worse,
        suppressible=True,
    ),
    Rule(
        code="ild.amber.sob_composite_up_1",
        kind="ild",
        level="amber",
        symptom="dyspnea",
        source="§5.2 AMBER 1 [D]",
        condition="PRO-CTCAE shortness-of-breath composite up >= 1 vs baseline (or previous)",
        finding=_sob_composite_up,
        suppressible=True,
    ),
    Rule(
        code="ild.amber.new_cough",
        kind="ild",
        level="amber",
        symptom="cough",
        source="§5.2 AMBER 2 [D]",
        condition="Cough on two consecutive daily reports (T-DXd months 1-12: one report)",
        finding=_new_cough,
        suppressible=True,
    ),
    Rule(
        code="ild.amber.cough_composite_2",
        kind="ild",
        level="amber",
        symptom="cough",
        source="§5.2 AMBER 2 [D]",
        condition="Cough composite >= 2 on two consecutive daily reports (T-DXd 1-12: one)",
        finding=_cough_composite_2,
        suppressible=True,
    ),
    Rule(
        code="ild.amber.spo2_exertion_below_88",
        kind="ild",
        level="amber",
        symptom="spo2",
        source="§5.2 AMBER 3 [V]",
        condition="Exertional SpO2 < 88% (CTCAE hypoxia G2)",
        finding=_spo2_exertion_below_88,
        suppressible=True,
    ),
    Rule(
        code="ild.amber.spo2_exertion_drop_4",
        kind="ild",
        level="amber",
        symptom="spo2",
        source="§5.2 AMBER 3 [D]",
        condition="Exertional SpO2 >= 4 points below the baseline",
        finding=_spo2_exertion_drop_4,
        suppressible=True,
    ),
)

# Diarrhea thresholds are identical for every drug: sevabertinib is at least as sensitive as
# zongertinib (§3.3, §5.3 [D]).
GI_RULES = (
    Rule(
        code="gi.amber.diarrhea_g2",
        kind="gi",
        level="amber",
        symptom="diarrhea",
        source="§5.3 diarrhea AMBER [V CTCAE]",
        condition="Diarrhea G2 (4-6 stools/day over baseline or limits instrumental ADL)",
        finding=_diarrhea_g2,
    ),
    Rule(
        code="gi.amber.diarrhea_g1_persisting_48h_on_loperamide",
        kind="gi",
        level="amber",
        symptom="diarrhea",
        source="§5.3 diarrhea AMBER [S Benson]",
        condition="Diarrhea >= G1 persisting > 48 h since loperamide was first recorded",
        finding=_diarrhea_g1_persisting,
    ),
    Rule(
        code="gi.amber.diarrhea_composite_2_consecutive",
        kind="gi",
        level="amber",
        symptom="diarrhea",
        source="§5.3 diarrhea AMBER [D]",
        condition="PRO-CTCAE diarrhea composite >= 2 on two consecutive reports",
        finding=_diarrhea_composite_2,
    ),
    Rule(
        code="gi.red.diarrhea_g3",
        kind="gi",
        level="red",
        symptom="diarrhea",
        source="§5.3 diarrhea RED [V CTCAE]",
        condition="Diarrhea G3+ (>= 7/day over baseline, self-care ADL or hospitalisation)",
        finding=_diarrhea_g3,
    ),
    Rule(
        code="gi.red.diarrhea_complicated",
        kind="gi",
        level="red",
        symptom="diarrhea",
        source="§5.3 diarrhea RED [S Benson]",
        condition="Diarrhea any grade with a complicated feature (fever, dehydration, ...)",
        finding=_diarrhea_complicated,
    ),
    Rule(
        code="gi.red.diarrhea_g2_persisting_24h_on_loperamide",
        kind="gi",
        level="red",
        symptom="diarrhea",
        source="§5.3 diarrhea RED [D]",
        condition="Diarrhea >= G2 persisting > 24 h since loperamide was first recorded",
        finding=_diarrhea_g2_persisting,
    ),
    Rule(
        code="gi.amber.vomiting_two_consecutive_days",
        kind="gi",
        level="amber",
        symptom="vomiting",
        source="§5.3 vomiting AMBER [D]",
        condition=">= 1 vomiting episode today and on the previous calendar day",
        finding=_vomiting_two_days,
    ),
    Rule(
        code="gi.amber.nausea_intake_decreased",
        kind="gi",
        level="amber",
        symptom="nausea",
        source="§5.3 nausea AMBER [V CTCAE; D]",
        condition="Nausea with oral intake decreased or worse (CTCAE nausea >= G2)",
        finding=_nausea_intake_decreased,
    ),
    Rule(
        code="gi.red.unable_to_keep_fluids_24h",
        kind="gi",
        level="red",
        symptom="vomiting",
        source="§5.3 vomiting RED [D]",
        condition="Unable to keep fluids down for >= 24 h",
        finding=_unable_to_keep_fluids_24h,
    ),
    Rule(
        code="gi.red.vomiting_6_episodes_24h",
        kind="gi",
        level="red",
        symptom="vomiting",
        source="§5.3 vomiting RED [D]",
        condition=">= 6 vomiting episodes in 24 h",
        finding=_vomiting_6_episodes,
    ),
    Rule(
        code="gi.red.vomiting_iv_fluids_or_hospital",
        kind="gi",
        level="red",
        symptom="vomiting",
        source="§5.3 vomiting RED [V CTCAE]",
        condition="Vomiting needing IV fluids, hospital or tube feeding (CTCAE vomiting G2/G3)",
        finding=_vomiting_iv_fluids_or_hospital,
    ),
    Rule(
        code="gi.amber.dehydration",
        kind="gi",
        level="amber",
        symptom="dehydration",
        source="§5.3 dehydration AMBER [D]",
        condition="Dehydration signs (or dizzy on standing, IV fluids, admission) alone",
        finding=_dehydration_alone,
    ),
    Rule(
        code="gi.red.dehydration_with_diarrhea_or_vomiting",
        kind="gi",
        level="red",
        symptom="dehydration",
        source="§5.3 dehydration/vomiting RED [D]",
        condition="Dehydration with diarrhea or vomiting (also: vomiting with dehydration)",
        finding=_dehydration_with_gi_loss,
    ),
)

FEVER_RULES = (
    Rule(
        code="fever.red.temp_38_0_or_above",
        kind="fever",
        level="red",
        symptom="fever",
        source="§5.3 fever RED [V CTCAE]",
        condition="Temperature >= 38.0 °C (100.4 °F), any drug",
        finding=_fever_38,
    ),
    Rule(
        code="fever.red.temp_above_38_3",
        kind="fever",
        level="red",
        symptom="fever",
        source="§5.3 fever RED [V CTCAE FN]",
        condition="Single temperature > 38.3 °C",
        finding=_fever_above_38_3,
    ),
    Rule(
        code="fever.red.sustained_38_over_1h",
        kind="fever",
        level="red",
        symptom="fever",
        source="§5.3 fever RED [V CTCAE FN]",
        condition="Temperature >= 38.0 °C for more than 1 h (hours_at_or_above_38 > 1)",
        finding=_fever_sustained,
    ),
    Rule(
        code="fever.red.chills_with_raised_temperature",
        kind="fever",
        level="red",
        symptom="fever",
        source="§5.3 fever RED [D]",
        condition="Chills (mild+) or rigors with temperature >= 37.5 °C",
        finding=_chills_with_raised_temperature,
    ),
    Rule(
        code="fever.amber.temp_37_5_to_37_9_twice_24h",
        kind="fever",
        level="amber",
        symptom="fever",
        source="§5.3 fever AMBER [D]",
        condition="37.5-37.9 °C now and in another report within the last 24 h",
        finding=_low_grade_twice,
    ),
)

ORGAN_RULES = (
    Rule(
        code="hepatic.amber.liver_symptom",
        kind="hepatic",
        level="amber",
        symptom="liver",
        source="§5.3 hepatotoxicity [D]",
        condition="Zongertinib/sevabertinib: jaundice, dark urine or right upper abdominal pain",
        finding=_liver_symptom,
        drugs=LIVER_CHECK_DRUGS,
    ),
    Rule(
        code="hepatic.red.jaundice",
        kind="hepatic",
        level="red",
        symptom="liver",
        source="§5.3 hepatotoxicity [D]",
        condition="Zongertinib/sevabertinib: jaundice",
        finding=_jaundice,
        drugs=LIVER_CHECK_DRUGS,
    ),
    Rule(
        code="cardiac.amber.breathless_with_heart_symptom",
        kind="cardiac",
        level="amber",
        # The breathlessness is the shared symptom: with the ILD dyspnea AMBER it is one
        # symptom for §5.1, so the LV rule stays AMBER as the reference says [D].
        symptom="dyspnea",
        source="§5.3 LV dysfunction [D]",
        condition="T-DXd/zongertinib: dyspnea worse than baseline with leg swelling, "
        "orthopnoea or palpitations",
        finding=_breathless_with_heart_symptom,
        drugs=HEART_CHECK_DRUGS,
    ),
)


def _composite_rules() -> tuple[Rule, ...]:
    rules = []
    for key, (kind, symptom) in PROCTCAE.items():
        words = key.replace("_", " ")
        rules.append(
            Rule(
                code=f"proctcae.amber.{key}_2_new_or_worse",
                kind=kind,
                level="amber",
                symptom=symptom,
                source="§5.4 [D]",
                condition=f"PRO-CTCAE {words} composite >= 2 and above its baseline",
                finding=_composite_new_or_worse(key),
                suppressible=kind == "ild",
            )
        )
        rules.append(
            Rule(
                code=f"proctcae.amber.{key}_3",
                kind=kind,
                level="amber",
                symptom=symptom,
                source="§5.4 [D]",
                condition=f"PRO-CTCAE {words} composite 3"
                + (" (not T-DXd: RED there)" if key == "shortness_of_breath" else ""),
                finding=_composite_3(key),
                drugs=NOT_TDXD if key == "shortness_of_breath" else None,
                suppressible=kind == "ild",
            )
        )
    rules.append(
        Rule(
            code="proctcae.red.tdxd_shortness_of_breath_3",
            kind="ild",
            level="red",
            symptom="dyspnea",
            source="§5.4 [D]",
            condition="T-DXd: PRO-CTCAE shortness-of-breath composite 3",
            finding=_composite_3("shortness_of_breath"),
            drugs=TDXD_ONLY,
        )
    )
    return tuple(rules)


COMPOSITE_RULES = _composite_rules()

CNS_RULES = tuple(
    dataclasses.replace(rule, brain_metastases_only=True)
    for rule in (
        Rule(
            code="cns.red.seizure",
            kind="cns",
            level="red",
            symptom="seizure",
            source="§5.5 RED [D]",
            condition="Any seizure (seizure_type other than none)",
            finding=_seizure,
        ),
        Rule(
            code="cns.red.new_confusion",
            kind="cns",
            level="red",
            symptom="confusion",
            source="§5.5 RED [D]",
            condition="Disorientation mild+ and worse than at baseline (earliest report)",
            finding=_new_graded("confusion", "disorientation", "disorientation"),
        ),
        Rule(
            code="cns.red.new_one_sided_weakness",
            kind="cns",
            level="red",
            symptom="weakness",
            source="§5.5 RED [D]",
            condition="One-sided weakness not present at baseline (earliest report)",
            finding=_new_weakness,
        ),
        Rule(
            code="cns.red.new_speech_difficulty",
            kind="cns",
            level="red",
            symptom="speech",
            source="§5.5 RED [D]",
            condition="Speech difficulty mild+ and worse than at baseline (earliest report)",
            finding=_new_graded("dysphasia", "speech_difficulty", "speech difficulty"),
        ),
        Rule(
            code="cns.red.headache_severe",
            kind="cns",
            level="red",
            symptom="headache",
            source="§5.5 RED [D]",
            condition="Headache severe (or limiting self-care ADL)",
            finding=_headache_severe,
        ),
        Rule(
            code="cns.red.headache_with_vomiting_same_day",
            kind="cns",
            level="red",
            symptom="headache",
            source="§5.5 RED [D]",
            condition="Headache mild+ with vomiting in any report of the same day",
            finding=_headache_with_vomiting,
        ),
        Rule(
            code="cns.amber.headache_moderate_or_worse",
            kind="cns",
            level="amber",
            symptom="headache",
            source="§5.5 AMBER [D]",
            condition="Headache moderate, or one step worse than the previous report",
            finding=_headache_worse,
        ),
        Rule(
            code="cns.amber.new_dizziness",
            kind="cns",
            level="amber",
            symptom="dizziness",
            source="§5.5 AMBER [D]",
            condition="Unsteadiness moderate+ and worse than at baseline (earliest report)",
            finding=_new_dizziness,
        ),
        Rule(
            code="cns.amber.vision_change",
            kind="cns",
            level="amber",
            symptom="vision",
            source="§5.5 AMBER [D]",
            condition="New blurred or double vision (vision_change true)",
            finding=_vision_change,
        ),
    )
)

MEDICATION_RULES = (
    Rule(
        code="adherence.amber.missed_tki_doses_2_in_7_days",
        kind="adherence",
        level="amber",
        symptom="adherence",
        source="§5.6 [D]",
        condition="TKI: >= 2 missed doses in the 7 days up to a report that records one",
        finding=_missed_doses,
    ),
    Rule(
        code="loperamide.amber.over_16_mg_24h",
        kind="loperamide",
        level="amber",
        # Loperamide use measures the diarrhea: not a second symptom for §5.1 [D].
        symptom="diarrhea",
        source="§5.6 [S Benson]",
        condition="Loperamide > 16 mg in 24 h",
        finding=_loperamide_over_16,
    ),
)

RULES: tuple[Rule, ...] = (
    *ILD_RULES,
    *GI_RULES,
    *FEVER_RULES,
    *ORGAN_RULES,
    *COMPOSITE_RULES,
    *CNS_RULES,
    *MEDICATION_RULES,
)


# --- follow-up questions --------------------------------------------------------------------


def _respiratory_recheck_due(snapshot: Snapshot) -> bool:
    # §5.2 AMBER 4: fever 38.0-39.0 °C without (new or worsening) respiratory symptoms on T-DXd,
    # i.e. exactly when RED 4 does not already cover it [D].
    temperature = _temperature_c(snapshot.current)
    return (
        snapshot.drug == TDXD
        and temperature is not None
        and FEVER_C <= temperature <= 39
        and not _respiratory_changes(snapshot)
    )


def _diarrhea_recheck_due(snapshot: Snapshot) -> bool:
    # §5.3 GREEN "ask again in 24 h"; also for G2+ because the persistence rules and the §5.1
    # next-report rule need the next report [D].
    grade = _diarrhea(snapshot.current)
    return grade is not None and grade >= 1


def _tdxd_checkin_due(snapshot: Snapshot) -> bool:
    day = _day(snapshot.current, snapshot)
    return snapshot.drug == TDXD and _within_infusion_window(day, _infusion_days(snapshot))


FOLLOWUPS = (
    Followup(
        code="respiratory_recheck_24h",
        source="§5.2 AMBER 4 [D]",
        condition="T-DXd: fever 38.0-39.0 °C without new/worsening respiratory symptoms",
        due=_respiratory_recheck_due,
    ),
    Followup(
        code="diarrhea_recheck_24h",
        source="§5.3 diarrhea GREEN [D]",
        condition="Diarrhea G1 or worse",
        due=_diarrhea_recheck_due,
    ),
    Followup(
        code="tdxd_daily_checkin",
        source="§5.3 vomiting/nausea T-DXd [D]",
        condition="T-DXd: report on an infusion day or the 5 days after it",
        due=_tdxd_checkin_due,
    ),
)


# --- evaluation -----------------------------------------------------------------------------

COMBINED_CODE = "combined.red.two_ambers"
COMBINED_SOURCE = "§5.1 [V UKONS 2+ amber = red]"


def _normalised(snapshot: Snapshot) -> Snapshot:
    """History in recorded-time order, without the current entry or anything recorded after it
    (a late entry from an offline phone is judged by what came before it)."""
    current = snapshot.current
    times = [report.recorded_at for report in snapshot.history]
    if (
        times == sorted(times)
        and (not times or times[-1] <= current.recorded_at)
        and all(report.entry_id != current.entry_id for report in snapshot.history)
    ):
        # Already so, as alerts.services passes it: sorting it again per entry of a batch cost
        # more than some rules (docs/performance.md, "Ingest").
        return snapshot
    history = sorted(
        (
            report
            for report in snapshot.history
            if report.entry_id != current.entry_id and report.recorded_at <= current.recorded_at
        ),
        key=lambda report: report.recorded_at,
    )
    return dataclasses.replace(snapshot, history=tuple(history))


def _max_level(levels: Iterable[Level]) -> Level:
    return max(levels, key=LEVEL_RANK.__getitem__, default="green")


def evaluate(snapshot: Snapshot) -> Evaluation:
    """The rules that fire for `snapshot.current`, combined per §5.1."""
    snapshot = _normalised(snapshot)
    fired = [hit for rule in RULES if (hit := rule.fire(snapshot)) is not None]
    levels: dict[str, Level] = {}
    for hit in fired:
        levels[hit.kind] = _max_level((levels.get(hit.kind, "green"), hit.level))

    # §5.1: AMBER triggers of two or more different symptoms make RED. A RED trigger counts as
    # at least an AMBER, so a worse answer never lowers a kind's level [D]; adherence and
    # missed-diary triggers are not symptoms and do not count [D].
    triggers = [hit for hit in fired if hit.kind not in NOT_SYMPTOM_KINDS]
    symptoms = {hit.symptom for hit in triggers}
    raised: list[str] = []
    if len(symptoms) >= 2:
        listed = "; ".join(f"{hit.symptom}: {hit.code}" for hit in triggers)
        for kind in dict.fromkeys(hit.kind for hit in triggers):
            if levels[kind] != "amber":
                continue
            levels[kind] = "red"
            raised.append(kind)
            fired.append(
                Fired(
                    code=COMBINED_CODE,
                    kind=kind,
                    level="red",
                    symptom="combined",
                    reason=(
                        f"Triggers (AMBER or worse) of {len(symptoms)} different symptoms in one "
                        f"report ({listed}): escalated to RED - {COMBINED_SOURCE}"
                    ),
                    source=COMBINED_SOURCE,
                )
            )
    return Evaluation(
        fired=tuple(fired),
        level=_max_level(levels.values()),
        levels_by_kind=levels,
        escalated_by_combination=bool(raised),
        followups=tuple(f.code for f in FOLLOWUPS if f.due(snapshot)),
    )


# --- §5.6 missed diary (time-based, run by the periodic task) ---------------------------------

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
    after_infusion = drug_class == ADC_CLASS and _within_infusion_window(today, infusion_dates)
    days = 2 if after_infusion else 3
    if last_entry_at is not None and now - last_entry_at < timedelta(days=days):
        return None
    code = MISSED_DIARY_AFTER_INFUSION_CODE if after_infusion else MISSED_DIARY_CODE
    since = "no diary entry yet" if last_entry_at is None else f"last entry {_when(last_entry_at)}"
    window = " during the 5 days after a T-DXd infusion" if after_infusion else ""
    return Fired(
        code=code,
        kind="diary",
        level="amber",
        symptom="diary",
        reason=f"No diary for {days} days{window} ({since}) - {MISSED_DIARY_SOURCE}",
        source=MISSED_DIARY_SOURCE,
    )
