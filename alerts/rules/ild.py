"""§5.2 ILD suspicion: each predicate directly above its rule row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from alerts.rules.base import (
    FEVER_C,
    SEVERITY,
    SOB_EXERTION,
    SOB_TEXT,
    TDXD_ONLY,
    Report,
    Snapshot,
    _baseline_composite,
    _celsius_text,
    _composite,
    _consecutive_daily,
    _exact,
    _floor_grade,
    _latest,
    _number,
    _rank,
    _show,
    _tdxd_first_year,
    _temperature_c,
    _when,
)
from alerts.rules.book import RuleBook

# Thresholds the dashboard also draws (clinicians/timeline.py reads them from here).
# [V] CTCAE hypoxia example threshold, below 88% (88 itself is not): at rest G3, on exertion G2.
HYPOXIA_SPO2_BELOW = 88
TDXD_SPO2_REST_RED_AT_OR_BELOW = 92  # [D] no published threshold (§5.2 RED 3)
TDXD_SPO2_REST_DROP_RED = 4  # [D] fall of >=4 points from the resting baseline (§5.2 RED 3)

RISK_FACTOR_TEXT = {  # T-DXd ILD risk factors, reference §3.1 [V]
    "age_under_65": "age <65",
    "baseline_spo2_under_95": "baseline SpO2 <95%",
    "renal_impairment": "moderate/severe renal impairment",
    "lung_comorbidity": "lung comorbidity",
    "prior_ild": "prior ILD/pneumonitis",
    "enrolled_in_japan": "enrolled in Japan",
    "diagnosis_over_4_years": ">4 years since diagnosis",
}


# --- what is compared: the respiratory answers against the baseline ---------------------------


@dataclass(frozen=True, slots=True)
class _Measure:
    """A respiratory answer compared with the patient's baseline (§5.2)."""

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


def _cough_baseline(snapshot: Snapshot) -> int:
    # No recorded baseline counts as "no cough" [D].
    value = snapshot.baseline.cough_severity
    return SEVERITY.index(value) if value in SEVERITY else 0


def _composite_measure(key: str, label: str) -> _Measure:
    return _Measure(
        label=f"PRO-CTCAE {label} composite",
        read=lambda report: _composite(report, key),
        show=str,
        baseline=lambda snapshot: _baseline_composite(snapshot, key),
    )


DYSPNEA = _Measure("", _sob, lambda rank: SOB_TEXT[SOB_EXERTION[rank]], _sob_baseline)
COUGH = _Measure("cough", _cough, lambda rank: SEVERITY[rank], _cough_baseline)
SOB_COMPOSITE = _composite_measure("shortness_of_breath", "shortness-of-breath")
COUGH_COMPOSITE = _composite_measure("cough", "cough")
WHEEZING_COMPOSITE = _composite_measure("wheezing", "wheezing")
RESPIRATORY = (DYSPNEA, COUGH, SOB_COMPOSITE, COUGH_COMPOSITE, WHEEZING_COMPOSITE)


def _change(snapshot: Snapshot, measure: _Measure) -> str | None:
    """New or worsening: worse than the baseline captured before cycle 1, never merely worse
    than the previous report, so a stable chronic symptom in the baseline raises nothing (§5.2
    [D]). The previous report is named for the nurse."""
    now = measure.read(snapshot.current)
    if now is None:
        return None
    base = measure.baseline(snapshot)
    if now <= base:
        return None
    previous = _latest(snapshot.history, measure.read)
    compared = [f"baseline: {measure.show(base)}"]
    if previous is not None:
        compared.append(f"previous report: {measure.show(previous[1])}")
    shown = f"{measure.label} {measure.show(now)}".strip()
    return f"{shown} ({'; '.join(compared)})"


def _respiratory_changes(snapshot: Snapshot) -> list[str]:
    return [text for measure in RESPIRATORY if (text := _change(snapshot, measure)) is not None]


def _drop(snapshot: Snapshot, name: str, baseline: int | None) -> Fraction | None:
    spo2 = _number(snapshot.current, "hypoxia", name)
    base = _exact(baseline)
    return None if spo2 is None or base is None else base - spo2


def _persisting(
    snapshot: Snapshot, read: Callable[[Report], int | None], threshold: int, what: str
) -> str | None:
    """§5.2 AMBER 2: at `threshold` or worse now and on the previous daily report; in months
    1-12 of T-DXd a single report is enough (§5.2 Window: weight alerts more heavily) [D]. The
    caller sets `threshold` above the baseline ("new" is judged against it, §5.2)."""
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


# --- the rules, in the order they are evaluated ----------------------------------------------


ILD = RuleBook()


@ILD.rule(
    code="ild.red.dyspnea_at_rest_or_self_care",
    kind="ild",
    level="red",
    symptom="dyspnea",
    source="§5.2 RED 1 [V CTCAE; D action]",
    condition="Dyspnea at rest or limiting self-care ADL (CTCAE dyspnea G3), any drug",
)
def _dyspnea_g3(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    if _sob(report) == SOB_EXERTION.index("rest"):
        return "breathless at rest (CTCAE dyspnea G3)"
    grade = _floor_grade(report, "dyspnea")
    if grade is not None and grade >= 3:
        return f"dyspnea limiting self-care ADL (CTCAE dyspnea G{grade})"
    return None


@ILD.rule(
    code="ild.red.spo2_rest_below_88",
    trigger="ild.resting_spo2",
    kind="ild",
    level="red",
    symptom="spo2",
    source="§5.2 RED 2 [V]",
    condition="Resting SpO2 < 88%, any drug",
)
def _spo2_rest_below_88(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_rest")
    if spo2 is not None and spo2 < HYPOXIA_SPO2_BELOW:  # [V] CTCAE hypoxia G3 example
        return f"resting SpO2 {_show(spo2)}% < 88% (CTCAE hypoxia G3 example threshold)"
    return None


@ILD.rule(
    code="ild.red.tdxd_spo2_rest_92_or_below",
    trigger="ild.resting_spo2",
    kind="ild",
    level="red",
    symptom="spo2",
    source="§5.2 RED 3 [D]",
    condition="T-DXd: resting SpO2 <= 92%",
    drugs=TDXD_ONLY,
)
def _tdxd_spo2_rest_92(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_rest")
    if spo2 is not None and spo2 <= TDXD_SPO2_REST_RED_AT_OR_BELOW:  # [D] §5.2 RED 3
        return f"resting SpO2 {_show(spo2)}% <= 92% on T-DXd"
    return None


@ILD.rule(
    code="ild.red.tdxd_spo2_rest_drop_4",
    trigger="ild.resting_spo2",
    kind="ild",
    level="red",
    symptom="spo2",
    source="§5.2 RED 3 [D]",
    condition="T-DXd: resting SpO2 >= 4 points below the baseline",
    drugs=TDXD_ONLY,
)
def _tdxd_spo2_rest_drop_4(snapshot: Snapshot) -> str | None:
    drop = _drop(snapshot, "spo2_rest", snapshot.baseline.spo2_rest)
    if drop is not None and drop >= TDXD_SPO2_REST_DROP_RED:  # [D] §5.2 RED 3
        return (
            f"resting SpO2 {_show(drop)} points below the baseline "
            f"{snapshot.baseline.spo2_rest}% (fall >= 4) on T-DXd"
        )
    return None


@ILD.rule(
    code="ild.red.tdxd_respiratory_symptom_with_fever",
    kind="ild",
    level="red",
    symptom="respiratory",
    source="§5.2 RED 4 [V label; D]",
    condition="T-DXd: new/worsening dyspnea, cough (or their composites) with fever >= 38.0 °C",
    drugs=TDXD_ONLY,
)
def _tdxd_respiratory_with_fever(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    changes = _respiratory_changes(snapshot)
    if temperature is None or temperature < FEVER_C or not changes:  # fever [V]
        return None
    return (
        f"new or worsening: {'; '.join(changes)}, with temperature {_celsius_text(temperature)} "
        "on T-DXd (cough, dyspnea and fever are the label's presenting signs)"
    )


@ILD.rule(
    code="ild.red.tdxd_respiratory_symptom_with_risk_factor",
    kind="ild",
    level="red",
    symptom="respiratory",
    source="§5.2 RED 5 [V factors; D]",
    condition="T-DXd with any §3.1 risk factor: any new/worsening respiratory symptom",
    drugs=TDXD_ONLY,
)
def _tdxd_respiratory_with_risk_factor(snapshot: Snapshot) -> str | None:
    # Any recorded §3.1 risk factor counts, enrolment in Japan included (§3.1 lists it; the
    # RED 5 parenthesis omits it) [D].
    changes = _respiratory_changes(snapshot)
    if not snapshot.risk_factors or not changes:
        return None
    factors = ", ".join(RISK_FACTOR_TEXT.get(f, f) for f in snapshot.risk_factors)
    return f"new or worsening: {'; '.join(changes)}, on T-DXd with ILD risk factor(s): {factors}"


@ILD.rule(
    code="ild.amber.dyspnea_new_or_worse",
    kind="ild",
    level="amber",
    symptom="dyspnea",
    source="§5.2 AMBER 1 [D]",
    condition="sob_exertion worse than the baseline (new, or one step worse)",
    suppressible=True,
)
def _dyspnea_new_or_worse(snapshot: Snapshot) -> str | None:
    change = _change(snapshot, DYSPNEA)
    return None if change is None else f"new or worse: {change}"


@ILD.rule(
    code="ild.amber.sob_composite_up_1",
    trigger="proctcae.shortness_of_breath",  # the same composite as §5.4's rows: one trigger
    kind="ild",
    level="amber",
    symptom="dyspnea",
    source="§5.2 AMBER 1 [D]",
    condition="PRO-CTCAE shortness-of-breath composite up >= 1 vs baseline",
    suppressible=True,
)
def _sob_composite_up(snapshot: Snapshot) -> str | None:
    change = _change(snapshot, SOB_COMPOSITE)
    return None if change is None else f"increase of {change}"


@ILD.rule(
    code="ild.amber.new_cough",
    kind="ild",
    level="amber",
    symptom="cough",
    source="§5.2 AMBER 2 [D]",
    condition="Cough worse than baseline on two consecutive daily reports (T-DXd 1-12: one)",
    suppressible=True,
)
def _new_cough(snapshot: Snapshot) -> str | None:
    # The vocabulary cannot tell a dry cough from a productive one: any cough worse than the
    # baseline counts [D].
    severity = _cough(snapshot.current)
    base = _cough_baseline(snapshot)
    what = f"cough ({SEVERITY[severity]}; baseline {SEVERITY[base]})" if severity else "cough"
    return _persisting(snapshot, _cough, base + 1, what)


@ILD.rule(
    code="ild.amber.cough_composite_2",
    trigger="proctcae.cough",  # the same composite as §5.4's rows: one trigger
    kind="ild",
    level="amber",
    symptom="cough",
    source="§5.2 AMBER 2 [D]",
    condition="Cough composite >= 2 above baseline on 2 consecutive daily reports (T-DXd: 1)",
    suppressible=True,
)
def _cough_composite_2(snapshot: Snapshot) -> str | None:
    value = _composite(snapshot.current, "cough")
    base = _baseline_composite(snapshot, "cough")
    return _persisting(
        snapshot,
        lambda r: _composite(r, "cough"),
        max(2, base + 1),
        f"cough composite {value} (baseline {base})",
    )


@ILD.rule(
    code="ild.amber.spo2_exertion_below_88",
    trigger="ild.exertional_spo2",
    kind="ild",
    level="amber",
    symptom="spo2",
    source="§5.2 AMBER 3 [V]",
    condition="Exertional SpO2 < 88% (CTCAE hypoxia G2)",
    suppressible=True,
)
def _spo2_exertion_below_88(snapshot: Snapshot) -> str | None:
    spo2 = _number(snapshot.current, "hypoxia", "spo2_exertion")
    if spo2 is not None and spo2 < HYPOXIA_SPO2_BELOW:  # [V] CTCAE hypoxia G2 example
        return f"exertional SpO2 {_show(spo2)}% < 88% (CTCAE hypoxia G2 example threshold)"
    return None


@ILD.rule(
    code="ild.amber.spo2_exertion_drop_4",
    trigger="ild.exertional_spo2",
    kind="ild",
    level="amber",
    symptom="spo2",
    source="§5.2 AMBER 3 [D]",
    condition="Exertional SpO2 >= 4 points below the baseline",
    suppressible=True,
)
def _spo2_exertion_drop_4(snapshot: Snapshot) -> str | None:
    drop = _drop(snapshot, "spo2_exertion", snapshot.baseline.spo2_exertion)
    if drop is not None and drop >= 4:  # [D] exertional fall >=4 points (§5.2 AMBER 3)
        return (
            f"exertional SpO2 {_show(drop)} points below the baseline "
            f"{snapshot.baseline.spo2_exertion}% (fall >= 4)"
        )
    return None


ILD_RULES = ILD.rules
