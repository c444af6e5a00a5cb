"""What every section module of the rules shares: the frozen interface (``Snapshot`` in,
``Fired`` and ``Evaluation`` out), the ``Rule`` row and the ``RuleBook`` that collects a section's
rows, the answer scales, and the helpers that read answers and time. Standard library and
diary.vocabulary only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from diary.vocabulary import (
    ILD,
    LEVEL_RANK,
    OTHER_DRUG,
    SEVABERTINIB,
    TDXD,
    ZONGERTINIB,
    Level,
)

# Drug sets the rule rows name (the drugs themselves are diary.vocabulary's).
TDXD_ONLY = frozenset({TDXD})
NOT_TDXD = frozenset({ZONGERTINIB, SEVABERTINIB, OTHER_DRUG})

FEVER_C = 38  # [V] CTCAE fever G1 lower bound, 38.0 °C (100.4 °F)

# How far back the rules look: the history alerts.pipeline passes with each report (a design
# choice, not a reference number; docs/alert-rules.md N1).
HISTORY_WINDOW = timedelta(days=14)

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

ILD_TEXT = "Possible ILD, needs assessment (imaging)"  # never "ILD grade X" (§5.2 Window) [V]
TDXD_WINDOW_TEXT = "months 1-12 of T-DXd: highest-risk window"  # 87% of first events [V §3.1]


# --- the interface ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Captured before cycle 1, changed only by a clinician (reference §5.2 [D])."""

    stools_per_day: int | None = None
    spo2_rest: int | None = None
    spo2_exertion: int | None = None
    sob_exertion: str | None = None  # none | moderate | minimal | rest
    weight_kg: float | None = None
    cough_severity: str | None = None  # none | mild | moderate | severe (§5.2)
    # PRO-CTCAE composite baselines by symptom key (e.g. "shortness_of_breath": 0): the first
    # response before cycle 1, or a clinician's entry (§5.2); may be empty.
    composites: Mapping[str, int] = field(default_factory=dict)
    # Clinician's neurological baseline (§5.5), by CNS term: the severity present ("mild"...) or
    # True for a yes/no term (one-sided weakness, vision change); a term left out was absent.
    neuro: Mapping[str, str | bool] = field(default_factory=dict)


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
class Observation:
    """A clinician-recorded graded value (lab, imaging): ``diary.ClinicianObservation``."""

    term: str
    grade: int
    observed_at: datetime  # aware


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
    # Clinician-recorded neutrophil counts and febrile neutropenia of the last 14 days (§5.3).
    observations: tuple[Observation, ...] = ()
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
    trigger: str = ""  # §5.1: the trigger it counts as (Rule.trigger); "" for derived rows
    measure: int | None = None  # higher is worse: alerts.rules.measures (§5.2 expected AMBER)


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
    # §5.1 counts triggers: each rule is one, except rules reading one answer at nested
    # thresholds, which share a name here and count once (e.g. composite >=2 and =3) [D].
    trigger: str = ""

    def applies_to(self, snapshot: Snapshot) -> bool:
        return self.applies(drug=snapshot.drug, brain_metastases=snapshot.brain_metastases)

    def applies(self, *, drug: str, brain_metastases: bool) -> bool:
        if self.drugs is not None and drug not in self.drugs:
            return False
        return brain_metastases or not self.brain_metastases_only

    def fire(self, snapshot: Snapshot) -> Fired | None:
        if not self.applies_to(snapshot):
            return None
        found = self.finding(snapshot)
        return None if found is None else self.fired(snapshot, found)

    def fired(self, snapshot: Snapshot, found: str, measure: int | None = None) -> Fired:
        """The row of this rule firing with ``found`` (what ``finding`` returned)."""
        if self.kind == ILD:
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
            trigger=self.trigger or self.code,
            measure=measure,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Followup:
    """A follow-up question to schedule (not an alert)."""

    code: str
    source: str
    condition: str
    due: Callable[[Snapshot], bool]


# --- reading answers (never raises on odd values: they simply do not match) ------------------


def _answer(report: Report, term: str, name: str) -> object:
    inputs = report.symptoms.get(term)
    # The dict test first: it is what the caller passes, and it is much cheaper than asking
    # the Mapping ABC (issue 17: the most called function of the rules).
    return inputs.get(name) if type(inputs) is dict or isinstance(inputs, Mapping) else None


def _yes(report: Report, term: str, name: str) -> bool:
    return _answer(report, term, name) is True


def _exact(value: object) -> Fraction | None:
    """A JSON number as an exact fraction (100.4 is 502/5, not 100.400000000000006)."""
    kind = type(value)
    if kind is float or kind is int:  # the answers as JSON gives them: no subclass to rule out
        return _fraction(value)  # type: ignore[arg-type]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return _fraction(value)


@functools.lru_cache(maxsize=4096)
def _fraction(value: int | float) -> Fraction | None:
    """`_exact` once per value (issue 17: parsing the decimal text of a float is the costly
    part). Fractions are immutable, and two numbers equal here (1 and 1.0, 0.0 and -0.0) have
    equal fractions, so sharing one is safe."""
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
    if adl == "self_care" or _yes(report, term, "hospitalized"):
        floor = 3
    elif adl == "instrumental":
        floor = 2
    else:
        return stored
    return floor if stored is None else max(stored, floor)


def _composite(report: Report, key: str) -> int | None:
    value = report.composites.get(key)
    return value if type(value) is int else None


def _baseline_composite(snapshot: Snapshot, key: str) -> int:
    value = snapshot.baseline.composites.get(key)
    return value if type(value) is int else 0  # no baseline composite counts as 0 [D]


def _loperamide(report: Report) -> Fraction | None:
    return _exact(report.loperamide_mg)


_FIVE_NINTHS = Fraction(5, 9)


def _temperature_c(report: Report) -> Fraction | None:
    """°C from `temp_c` and/or `temp_f` ((F - 32) x 5/9, exactly [V §1.3]); the higher counts
    when both are sent (as the grader does)."""
    celsius = _number(report, "fever", "temp_c")
    fahrenheit = _number(report, "fever", "temp_f")
    if fahrenheit is None:
        return celsius
    converted = (fahrenheit - 32) * _FIVE_NINTHS
    return converted if celsius is None else max(celsius, converted)


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


def _max_level(levels: Iterable[Level]) -> Level:
    return max(levels, key=LEVEL_RANK.__getitem__, default="green")
