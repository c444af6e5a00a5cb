"""Scenario tests for the pure alert rules (the alerts/rules/ package, reference §5).

Pure and fast: no Django, no database. Run alone with
`.venv/bin/python -m pytest tests/alerts/test_rules.py -q -p no:django -p no:cacheprovider`.
Grades are computed with the real grading engine, as alerts.pipeline does.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import rules
from alerts.rules import (
    RULES,
    Baseline,
    Evaluation,
    Fired,
    Report,
    Snapshot,
    evaluate,
    evaluate_missed_diary,
)
from diary.grading import TERMS, FieldSpec, grade

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TDXD, ZONG, SEVA, OTHER = "trastuzumab_deruxtecan", "zongertinib", "sevabertinib", "other"
DRUG_CLASS = {TDXD: "adc", ZONG: "tki", SEVA: "tki", OTHER: "other"}


@pytest.fixture(autouse=True)
def _fast_and_isolated() -> Iterator[None]:
    """These tests need no Django: this no-op replaces tests/conftest.py's Django fixture so the
    module also runs with `-p no:django`."""
    yield


# --- builders -------------------------------------------------------------------------------

_ids = iter(range(10**9))


def report(
    symptoms: Mapping[str, Mapping[str, object]] | None = None,
    *,
    at: datetime = T0,
    grades: Mapping[str, int | None] | None = None,
    composites: Mapping[str, int] | None = None,
    entry_id: str | None = None,
    **medications: Any,
) -> Report:
    """A report whose grades come from the grading engine unless given."""
    symptoms = dict(symptoms or {})
    graded = {term: grade(term, inputs).grade for term, inputs in symptoms.items()}
    graded.update(grades or {})
    return Report(
        entry_id=entry_id or f"e{next(_ids)}",
        recorded_at=at,
        symptoms=symptoms,
        grades=graded,
        composites=dict(composites or {}),
        **medications,
    )


def snapshot(
    current: Report,
    *history: Report,
    drug: str = ZONG,
    baseline: Baseline | None = None,
    risk_factors: tuple[str, ...] = (),
    brain_metastases: bool = False,
    started: date | None = date(2026, 9, 1),
    infusions: tuple[date, ...] = (),
    under_ild_management: bool = False,
    observations: tuple[rules.Observation, ...] = (),
) -> Snapshot:
    return Snapshot(
        drug=drug,
        drug_class=DRUG_CLASS[drug],
        baseline=baseline or Baseline(),
        risk_factors=risk_factors,
        brain_metastases=brain_metastases,
        treatment_started_on=started,
        last_infusion_on=max(infusions, default=None),
        infusion_dates=infusions,
        under_ild_management=under_ild_management,
        observations=observations,
        current=current,
        history=history,
    )


def run(symptoms: Mapping[str, Mapping[str, object]] | None = None, **kwargs: Any) -> Evaluation:
    """Evaluate a single report (no history) with snapshot options."""
    report_options = {
        key: kwargs.pop(key)
        for key in list(kwargs)
        if key in ("grades", "composites", "loperamide_mg", "tki_doses_missed", "at")
    }
    return evaluate(snapshot(report(symptoms, **report_options), **kwargs))


def codes(evaluation: Evaluation) -> set[str]:
    return {f.code for f in evaluation.fired}


def hit(evaluation: Evaluation, code: str) -> Fired:
    return next(f for f in evaluation.fired if f.code == code)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def spo2(rest: int | None = None, exertion: int | None = None) -> dict[str, Any]:
    values = {"spo2_rest": rest, "spo2_exertion": exertion}
    return {"hypoxia": {k: v for k, v in values.items() if v is not None}}


def temp(celsius: float) -> dict[str, Any]:
    return {"fever": {"temp_c": celsius}}


def stools(n: int, **more: object) -> dict[str, Any]:
    return {"diarrhea": {"stools_over_baseline": n, **more}}


# --- §5.2 ILD: RED ---------------------------------------------------------------------------


@pytest.mark.parametrize("drug", [TDXD, ZONG, SEVA, OTHER])
def test_resting_spo2_87_is_red_on_every_drug_and_88_does_not_meet_below_88(drug: str) -> None:
    assert "ild.red.spo2_rest_below_88" in codes(run(spo2(rest=87), drug=drug))
    assert "ild.red.spo2_rest_below_88" not in codes(run(spo2(rest=88), drug=drug))


def test_resting_spo2_92_is_red_on_tdxd_and_93_is_not() -> None:
    assert codes(run(spo2(rest=92), drug=TDXD)) == {"ild.red.tdxd_spo2_rest_92_or_below"}
    assert run(spo2(rest=92), drug=TDXD).level == "red"
    assert run(spo2(rest=93), drug=TDXD).level == "green"


@pytest.mark.parametrize("drug", [ZONG, SEVA, OTHER])
def test_resting_spo2_92_is_not_an_alert_off_tdxd(drug: str) -> None:
    assert run(spo2(rest=92), drug=drug).level == "green"


def test_a_resting_fall_of_exactly_4_points_is_red_on_tdxd_and_3_is_not() -> None:
    baseline = Baseline(spo2_rest=99)
    assert codes(run(spo2(rest=95), drug=TDXD, baseline=baseline)) == {
        "ild.red.tdxd_spo2_rest_drop_4"
    }
    assert run(spo2(rest=96), drug=TDXD, baseline=baseline).level == "green"
    assert run(spo2(rest=95), drug=ZONG, baseline=baseline).level == "green"


@pytest.mark.parametrize("drug", [TDXD, ZONG, SEVA, OTHER])
def test_breathless_at_rest_is_red_on_every_drug(drug: str) -> None:
    evaluation = run({"dyspnea": {"sob_exertion": "rest"}}, drug=drug)
    assert "ild.red.dyspnea_at_rest_or_self_care" in codes(evaluation)
    assert evaluation.levels_by_kind["ild"] == "red"


def test_dyspnea_limiting_self_care_is_red_even_when_the_exertion_answer_is_missing() -> None:
    evaluation = run({"dyspnea": {"adl": "self_care"}})
    assert "ild.red.dyspnea_at_rest_or_self_care" in codes(evaluation)


def test_breathless_with_minimal_exertion_is_not_red_on_its_own() -> None:
    assert run({"dyspnea": {"sob_exertion": "minimal"}}).level == "amber"


def test_new_dyspnea_with_fever_38_is_red_on_tdxd_and_not_with_37_9() -> None:
    code = "ild.red.tdxd_respiratory_symptom_with_fever"
    breathless = {"dyspnea": {"sob_exertion": "moderate"}}
    assert code in codes(run({**breathless, **temp(38.0)}, drug=TDXD))
    assert code not in codes(run({**breathless, **temp(37.9)}, drug=TDXD))


def test_worsening_cough_with_fever_is_red_on_tdxd_but_not_by_that_rule_on_a_tki() -> None:
    code = "ild.red.tdxd_respiratory_symptom_with_fever"
    coughing = {"cough": {"cough_severity": "mild"}, **temp(38.5)}
    assert code in codes(run(coughing, drug=TDXD))
    assert code not in codes(run(coughing, drug=ZONG))


def test_unchanged_chronic_breathlessness_with_fever_is_not_ild_red4_but_schedules_a_recheck() -> (
    None
):
    evaluation = run(
        {"dyspnea": {"sob_exertion": "minimal"}, **temp(38.5)},
        drug=TDXD,
        baseline=Baseline(sob_exertion="minimal"),
    )
    assert "ild" not in evaluation.levels_by_kind
    assert evaluation.levels_by_kind["fever"] == "red"
    assert "respiratory_recheck_24h" in evaluation.followups


def test_a_new_respiratory_symptom_in_a_tdxd_patient_with_a_risk_factor_is_red() -> None:
    code = "ild.red.tdxd_respiratory_symptom_with_risk_factor"
    coughing = {"cough": {"cough_severity": "mild"}}
    evaluation = run(coughing, drug=TDXD, risk_factors=("age_under_65",))
    assert code in codes(evaluation)
    assert "age <65" in hit(evaluation, code).reason
    assert code not in codes(run(coughing, drug=TDXD))
    assert code not in codes(run(coughing, drug=ZONG, risk_factors=("age_under_65",)))


def test_enrolment_in_japan_counts_as_a_risk_factor_for_red5() -> None:
    evaluation = run(
        {"dyspnea": {"sob_exertion": "moderate"}}, drug=TDXD, risk_factors=("enrolled_in_japan",)
    )
    assert "ild.red.tdxd_respiratory_symptom_with_risk_factor" in codes(evaluation)


def test_a_symptom_no_worse_than_baseline_and_previous_report_is_not_new_for_red5() -> None:
    previous = report({"dyspnea": {"sob_exertion": "moderate"}}, at=T0 - days(1))
    current = report({"dyspnea": {"sob_exertion": "moderate"}})
    evaluation = evaluate(
        snapshot(
            current,
            previous,
            drug=TDXD,
            risk_factors=("prior_ild",),
            baseline=Baseline(sob_exertion="moderate"),
        )
    )
    assert evaluation.level == "green"


# --- §5.2 ILD: AMBER -------------------------------------------------------------------------


def test_a_one_step_worsening_of_exertion_vs_baseline_is_amber_and_no_change_is_not() -> None:
    baseline = Baseline(sob_exertion="moderate")
    worse = run({"dyspnea": {"sob_exertion": "minimal"}}, baseline=baseline)
    assert codes(worse) == {"ild.amber.dyspnea_new_or_worse"}
    assert worse.level == "amber"
    assert run({"dyspnea": {"sob_exertion": "moderate"}}, baseline=baseline).level == "green"


def test_new_dyspnea_without_a_recorded_baseline_is_amber_on_every_drug() -> None:
    for drug in (TDXD, ZONG, SEVA, OTHER):
        evaluation = run({"dyspnea": {"sob_exertion": "moderate"}}, drug=drug)
        assert "ild.amber.dyspnea_new_or_worse" in codes(evaluation)


def test_dyspnea_worse_than_the_previous_report_but_at_its_baseline_raises_nothing() -> None:
    # §5.2: "new or worsening" always means worse than the baseline, never merely worse than
    # the previous report.
    previous = report({"dyspnea": {"sob_exertion": "moderate"}}, at=T0 - days(1))
    current = report({"dyspnea": {"sob_exertion": "minimal"}})
    evaluation = evaluate(snapshot(current, previous, baseline=Baseline(sob_exertion="minimal")))
    assert evaluation.level == "green"


def test_dyspnea_worse_than_its_baseline_names_the_previous_report_for_the_nurse() -> None:
    previous = report({"dyspnea": {"sob_exertion": "moderate"}}, at=T0 - days(1))
    current = report({"dyspnea": {"sob_exertion": "minimal"}})
    evaluation = evaluate(snapshot(current, previous, baseline=Baseline(sob_exertion="moderate")))
    fired = hit(evaluation, "ild.amber.dyspnea_new_or_worse")
    assert "previous report: breathless with moderate exertion" in fired.reason


@pytest.mark.parametrize("drug", [TDXD, ZONG])
def test_a_stable_chronic_cough_in_the_baseline_raises_nothing(drug: str) -> None:
    baseline = Baseline(cough_severity="mild")
    yesterday = report({"cough": {"cough_severity": "mild"}}, at=T0 - hours(25))
    today = report({"cough": {"cough_severity": "mild"}})
    evaluation = evaluate(
        snapshot(today, yesterday, drug=drug, baseline=baseline, risk_factors=("prior_ild",))
    )
    assert evaluation.level == "green"


def test_a_cough_worse_than_its_baseline_is_new_for_a_tdxd_patient_with_a_risk_factor() -> None:
    evaluation = run(
        {"cough": {"cough_severity": "moderate"}},
        drug=TDXD,
        baseline=Baseline(cough_severity="mild"),
        risk_factors=("prior_ild",),
    )
    assert "ild.red.tdxd_respiratory_symptom_with_risk_factor" in codes(evaluation)


def test_shortness_of_breath_composite_up_by_1_vs_baseline_is_ild_amber() -> None:
    baseline = Baseline(composites={"shortness_of_breath": 1})
    up = run(composites={"shortness_of_breath": 2}, baseline=baseline)
    assert "ild.amber.sob_composite_up_1" in codes(up)
    assert run(composites={"shortness_of_breath": 1}, baseline=baseline).level == "green"


def test_a_cough_on_two_consecutive_daily_reports_is_amber_on_a_tki() -> None:
    yesterday = report({"cough": {"cough_severity": "mild"}}, at=T0 - hours(25))
    today = report({"cough": {"cough_severity": "mild"}})
    assert codes(evaluate(snapshot(today, yesterday))) == {"ild.amber.new_cough"}


def test_a_cough_on_one_report_is_not_yet_amber_on_a_tki() -> None:
    assert run({"cough": {"cough_severity": "moderate"}}, drug=ZONG).level == "green"


def test_a_cough_two_calendar_days_apart_is_not_persisting_on_consecutive_daily_reports() -> None:
    earlier = report({"cough": {"cough_severity": "mild"}}, at=T0 - days(2))
    today = report({"cough": {"cough_severity": "mild"}})
    assert evaluate(snapshot(today, earlier)).level == "green"


def test_a_cough_that_stopped_on_the_previous_report_is_not_persisting() -> None:
    older = report({"cough": {"cough_severity": "mild"}}, at=T0 - days(2))
    yesterday = report({"cough": {"cough_severity": "none"}}, at=T0 - days(1))
    today = report({"cough": {"cough_severity": "mild"}})
    assert evaluate(snapshot(today, older, yesterday)).level == "green"


def test_in_months_1_to_12_of_tdxd_a_single_cough_report_is_amber() -> None:
    evaluation = run({"cough": {"cough_severity": "mild"}}, drug=TDXD, started=date(2026, 1, 1))
    assert codes(evaluation) == {"ild.amber.new_cough"}
    assert "months 1-12 of T-DXd" in hit(evaluation, "ild.amber.new_cough").reason


def test_after_month_12_of_tdxd_a_cough_still_alerts_once_it_persists() -> None:
    started = (T0 - days(400)).date()
    single = run({"cough": {"cough_severity": "mild"}}, drug=TDXD, started=started)
    assert single.level == "green"
    yesterday = report({"cough": {"cough_severity": "mild"}}, at=T0 - days(1))
    today = report({"cough": {"cough_severity": "mild"}})
    persisting = evaluate(snapshot(today, yesterday, drug=TDXD, started=started))
    assert codes(persisting) == {"ild.amber.new_cough"}
    assert "months 1-12" not in hit(persisting, "ild.amber.new_cough").reason


def test_the_tdxd_first_year_ends_on_the_anniversary_of_the_start() -> None:
    cough = {"cough": {"cough_severity": "mild"}}
    assert run(cough, drug=TDXD, started=date(2025, 11, 24)).level == "amber"
    assert run(cough, drug=TDXD, started=date(2025, 11, 23)).level == "green"


def test_a_cough_composite_of_2_on_two_consecutive_daily_reports_is_amber_and_1_is_not() -> None:
    yesterday = report(composites={"cough": 2}, at=T0 - days(1))
    today = report(composites={"cough": 2})
    assert "ild.amber.cough_composite_2" in codes(evaluate(snapshot(today, yesterday)))
    mild = report(composites={"cough": 1}, at=T0 - days(1))
    assert "ild.amber.cough_composite_2" not in codes(evaluate(snapshot(today, mild)))


def test_exertional_spo2_87_is_amber_and_88_is_not() -> None:
    assert codes(run(spo2(exertion=87))) == {"ild.amber.spo2_exertion_below_88"}
    assert run(spo2(exertion=88)).level == "green"


def test_an_exertional_fall_of_exactly_4_points_is_amber_and_3_is_not() -> None:
    baseline = Baseline(spo2_exertion=96)
    assert codes(run(spo2(exertion=92), baseline=baseline)) == {"ild.amber.spo2_exertion_drop_4"}
    assert run(spo2(exertion=93), baseline=baseline).level == "green"


def test_fever_38_to_39_without_respiratory_symptoms_on_tdxd_schedules_a_respiratory_recheck() -> (
    None
):
    evaluation = run(temp(38.0), drug=TDXD)
    assert evaluation.followups == ("respiratory_recheck_24h",)
    assert set(evaluation.levels_by_kind) == {"fever"}
    assert run(temp(39.0), drug=TDXD).followups == ("respiratory_recheck_24h",)
    assert run(temp(39.1), drug=TDXD).followups == ()
    assert run(temp(37.9), drug=TDXD).followups == ()
    assert run(temp(38.5), drug=ZONG).followups == ()


def test_fever_with_a_new_cough_on_tdxd_is_ild_red_instead_of_a_recheck() -> None:
    evaluation = run({"cough": {"cough_severity": "mild"}, **temp(38.5)}, drug=TDXD)
    assert evaluation.levels_by_kind["ild"] == "red"
    assert "respiratory_recheck_24h" not in evaluation.followups


def test_ild_alert_text_says_possible_ild_and_never_an_ild_grade() -> None:
    evaluation = run({**spo2(rest=86, exertion=80), "dyspnea": {"sob_exertion": "rest"}})
    for fired in evaluation.fired:
        if fired.kind == "ild" and fired.code != rules.COMBINED_CODE:
            assert fired.reason.startswith("Possible ILD, needs assessment (imaging)")
            assert "ILD grade" not in fired.reason


def test_under_ild_management_ild_ambers_are_suppressible_but_red_never_is() -> None:
    managed = run(
        {**spo2(rest=86, exertion=87), "dyspnea": {"sob_exertion": "moderate"}},
        under_ild_management=True,
    )
    assert hit(managed, "ild.amber.spo2_exertion_below_88").suppressible
    assert hit(managed, "ild.amber.dyspnea_new_or_worse").suppressible
    assert not hit(managed, "ild.red.spo2_rest_below_88").suppressible
    assert not any(f.suppressible for f in managed.fired if f.level == "red")
    unmanaged = run(spo2(exertion=87))
    assert not hit(unmanaged, "ild.amber.spo2_exertion_below_88").suppressible


def test_only_ild_ambers_are_suppressible() -> None:
    evaluation = run(stools(5), under_ild_management=True)
    assert not hit(evaluation, "gi.amber.diarrhea_g2").suppressible
    assert {r.code for r in RULES if r.suppressible} <= {
        r.code for r in RULES if r.kind == "ild" and r.level == "amber"
    }


# --- §5.3 diarrhea ---------------------------------------------------------------------------


def test_diarrhea_g1_is_green_and_asks_again_in_24_hours() -> None:
    evaluation = run(stools(3))
    assert evaluation.level == "green"
    assert evaluation.followups == ("diarrhea_recheck_24h",)


@pytest.mark.parametrize(
    "inputs",
    [
        {"stools_over_baseline": 4},
        {"stools_over_baseline": 6},
        {"stools_over_baseline": 1, "adl": "instrumental"},
    ],
)
def test_diarrhea_g2_is_amber(inputs: dict[str, object]) -> None:
    evaluation = run({"diarrhea": inputs})
    assert codes(evaluation) == {"gi.amber.diarrhea_g2"}
    assert evaluation.level == "amber"


@pytest.mark.parametrize(
    "inputs",
    [
        {"stools_over_baseline": 7},
        {"stools_over_baseline": 2, "adl": "self_care"},
        {"stools_over_baseline": 2, "hospitalized": True},
        {"hospitalized": True},
    ],
)
def test_diarrhea_g3_is_red(inputs: dict[str, object]) -> None:
    evaluation = run({"diarrhea": inputs})
    assert "gi.red.diarrhea_g3" in codes(evaluation)
    assert evaluation.levels_by_kind["gi"] == "red"


def diarrhea_run(grade_1_hours: float, *, loperamide: bool = True, stools_n: int = 2) -> Snapshot:
    """Diarrhea reported now and `grade_1_hours` ago, with loperamide from the first report."""
    mg = 8.0 if loperamide else None
    first = report(stools(stools_n), at=T0 - hours(grade_1_hours), loperamide_mg=mg)
    middle = report(stools(stools_n), at=T0 - hours(grade_1_hours / 2), loperamide_mg=mg)
    return snapshot(report(stools(stools_n), loperamide_mg=mg), first, middle)


def test_g1_diarrhea_persisting_more_than_48_hours_on_loperamide_is_amber() -> None:
    code = "gi.amber.diarrhea_g1_persisting_48h_on_loperamide"
    assert code not in codes(evaluate(diarrhea_run(48)))
    evaluation = evaluate(diarrhea_run(48 + 1 / 60))
    assert codes(evaluation) == {code}
    assert evaluation.level == "amber"


def test_g1_diarrhea_for_3_days_without_loperamide_is_not_the_persistence_amber() -> None:
    assert evaluate(diarrhea_run(72, loperamide=False)).level == "green"


def test_a_diarrhea_free_report_ends_the_persistence_run() -> None:
    first = report(stools(2), at=T0 - hours(60), loperamide_mg=8.0)
    clear = report(stools(0), at=T0 - hours(30))
    current = report(stools(2), loperamide_mg=4.0, at=T0)
    assert evaluate(snapshot(current, first, clear)).level == "green"


def test_a_report_without_a_diarrhea_answer_does_not_break_the_run() -> None:
    first = report(stools(2), at=T0 - hours(60), loperamide_mg=8.0)
    other = report(temp(36.8), at=T0 - hours(30))
    current = report(stools(2), loperamide_mg=4.0)
    assert evaluate(snapshot(current, first, other)).level == "amber"


def test_g2_diarrhea_persisting_more_than_24_hours_on_loperamide_is_red() -> None:
    code = "gi.red.diarrhea_g2_persisting_24h_on_loperamide"
    at_24 = evaluate(diarrhea_run(24, stools_n=5))
    assert code not in codes(at_24)
    assert at_24.level == "amber"
    over = evaluate(diarrhea_run(24 + 1 / 60, stools_n=5))
    assert code in codes(over)
    assert over.levels_by_kind["gi"] == "red"


def test_diarrhea_composite_2_on_two_consecutive_reports_is_amber() -> None:
    code = "gi.amber.diarrhea_composite_2_consecutive"
    previous = report(composites={"diarrhea": 2}, at=T0 - days(2))
    current = report(composites={"diarrhea": 2})
    assert code in codes(evaluate(snapshot(current, previous)))
    assert code not in codes(evaluate(snapshot(current)))
    lower = report(composites={"diarrhea": 1}, at=T0 - days(1))
    assert code not in codes(evaluate(snapshot(current, previous, lower)))


@pytest.mark.parametrize(
    ("extra", "feature"),
    [
        (temp(38.0), "fever 38.0"),
        ({"dehydration": {"dizzy_on_standing": True}}, "dizzy on standing"),
        ({"dehydration": {"dehydration_signs": True}}, "signs of dehydration"),
        ({"dehydration": {"unable_to_keep_fluids_hours": 2}}, "unable to keep fluids down"),
        ({"abdominal_pain": {"pain_severity": "moderate"}}, "moderate abdominal pain"),
        ({"abdominal_pain": {"pain_severity": "severe"}}, "severe abdominal pain"),
        (
            {
                "vomiting": {"vomiting_episodes_24h": 1},
                "nausea": {"nausea": True, "oral_intake": "decreased"},
            },
            "vomiting with oral intake decreased",
        ),
    ],
)
def test_any_grade_of_diarrhea_with_a_complicated_feature_is_red(
    extra: dict[str, Any], feature: str
) -> None:
    evaluation = run({**stools(1), **extra})
    assert feature in hit(evaluation, "gi.red.diarrhea_complicated").reason
    assert evaluation.levels_by_kind["gi"] == "red"


def test_blood_in_stool_makes_diarrhea_red() -> None:
    evaluation = run(stools(1, blood_in_stool=True))
    assert "blood in stool" in hit(evaluation, "gi.red.diarrhea_complicated").reason


@pytest.mark.parametrize(
    "extra",
    [
        temp(37.9),
        {"abdominal_pain": {"pain_severity": "mild"}},
        {
            "vomiting": {"vomiting_episodes_24h": 1},
            "nausea": {"nausea": True, "oral_intake": "normal"},
        },
    ],
)
def test_features_below_the_complicated_thresholds_leave_g1_diarrhea_uncomplicated(
    extra: dict[str, Any],
) -> None:
    assert "gi.red.diarrhea_complicated" not in codes(run({**stools(1), **extra}))


@pytest.mark.parametrize(
    "lab",
    [{"neutrophil_count_decreased": 1}, {"febrile_neutropenia": 3}],
)
def test_known_neutropenia_recorded_by_a_clinician_in_14_days_makes_diarrhea_red(
    lab: dict[str, int],
) -> None:
    ((term, graded),) = lab.items()
    recent = rules.Observation(term=term, grade=graded, observed_at=T0 - days(3))
    evaluation = evaluate(snapshot(report(stools(1)), observations=(recent,)))
    assert "known neutropenia" in hit(evaluation, "gi.red.diarrhea_complicated").reason
    old = rules.Observation(term=term, grade=graded, observed_at=T0 - days(15))
    assert evaluate(snapshot(report(stools(1)), observations=(old,))).level == "green"


def test_no_diarrhea_means_no_complicated_diarrhea() -> None:
    assert "gi.red.diarrhea_complicated" not in codes(run({**stools(0), **temp(38.5)}))


def test_sevabertinib_diarrhea_rules_are_at_least_as_sensitive_as_zongertinib() -> None:
    cases = [
        stools(1),
        stools(4),
        stools(7),
        stools(2, blood_in_stool=True),
        {**stools(1), "dehydration": {"dehydration_signs": True}},
    ]
    for symptoms in cases:
        zong = run(symptoms, drug=ZONG)
        seva = run(symptoms, drug=SEVA)
        assert codes(seva) == codes(zong)
        assert seva.level == zong.level
    g1 = evaluate(diarrhea_run(49))
    assert g1.level == "amber"


# --- §5.3 vomiting, nausea, dehydration -----------------------------------------------------


def vomit(n: int, **more: object) -> dict[str, Any]:
    return {"vomiting": {"vomiting_episodes_24h": n, **more}}


def test_vomiting_on_two_consecutive_days_is_amber() -> None:
    yesterday = report(vomit(1), at=T0 - days(1))
    evaluation = evaluate(snapshot(report(vomit(2)), yesterday))
    assert codes(evaluation) == {"gi.amber.vomiting_two_consecutive_days"}


def test_vomiting_twice_on_the_same_day_or_two_days_apart_is_not_amber() -> None:
    earlier_today = report(vomit(1), at=T0 - hours(2))
    assert evaluate(snapshot(report(vomit(1)), earlier_today)).level == "green"
    two_days_ago = report(vomit(1), at=T0 - days(2))
    assert evaluate(snapshot(report(vomit(1)), two_days_ago)).level == "green"


@pytest.mark.parametrize(
    ("intake", "level"), [("normal", "green"), ("decreased", "amber"), ("inadequate", "amber")]
)
def test_nausea_with_oral_intake_decreased_or_worse_is_amber(intake: str, level: str) -> None:
    assert run({"nausea": {"nausea": True, "oral_intake": intake}}).level == level


def test_unable_to_keep_fluids_down_for_24_hours_is_red_and_23_5_is_not() -> None:
    code = "gi.red.unable_to_keep_fluids_24h"
    assert code in codes(run({"dehydration": {"unable_to_keep_fluids_hours": 24}}))
    assert code not in codes(run({"dehydration": {"unable_to_keep_fluids_hours": 23.5}}))


def test_six_vomiting_episodes_in_24_hours_is_red_and_five_is_not() -> None:
    assert codes(run(vomit(6))) == {"gi.red.vomiting_6_episodes_24h"}
    assert run(vomit(5)).level == "green"


@pytest.mark.parametrize(
    "more",
    [{"iv_fluids": True}, {"hospitalized": True}, {"tube_feeding_or_tpn": True}],
)
def test_vomiting_needing_iv_fluids_or_hospital_is_red(more: dict[str, object]) -> None:
    assert "gi.red.vomiting_iv_fluids_or_hospital" in codes(run(vomit(1, **more)))


def test_a_new_antiemetic_alone_is_amber_not_red() -> None:
    # §5.3: a new antiemetic alone (medical_intervention, CTCAE vomiting G2) is AMBER [D].
    evaluation = run(vomit(1, medical_intervention=True))
    assert codes(evaluation) == {"gi.amber.vomiting_new_antiemetic"}
    assert evaluation.level == "amber"


@pytest.mark.parametrize("care", ["iv_fluids", "hospitalized"])
def test_dehydration_needing_iv_fluids_or_hospital_is_red(care: str) -> None:
    evaluation = run({"dehydration": {care: True}})
    assert "gi.red.dehydration_iv_fluids_or_hospital" in codes(evaluation)
    assert evaluation.level == "red"


def test_dizziness_on_standing_alone_is_dehydration_amber() -> None:
    assert codes(run({"dehydration": {"dizzy_on_standing": True}})) == {"gi.amber.dehydration"}


def test_dehydration_signs_alone_are_amber() -> None:
    evaluation = run({"dehydration": {"dehydration_signs": True}})
    assert codes(evaluation) == {"gi.amber.dehydration"}
    assert run({"dehydration": {"dehydration_signs": False}}).level == "green"


@pytest.mark.parametrize("loss", [stools(1), vomit(1)])
def test_dehydration_with_diarrhea_or_vomiting_is_red(loss: dict[str, Any]) -> None:
    evaluation = run({"dehydration": {"dehydration_signs": True}, **loss})
    assert "gi.red.dehydration_with_diarrhea_or_vomiting" in codes(evaluation)
    assert evaluation.levels_by_kind["gi"] == "red"


def test_tdxd_reports_on_an_infusion_day_and_the_5_days_after_schedule_daily_checkins() -> None:
    infusion = T0.date() - timedelta(days=5)
    assert "tdxd_daily_checkin" in run(drug=TDXD, infusions=(infusion,)).followups
    assert "tdxd_daily_checkin" in run(drug=TDXD, infusions=(T0.date(),)).followups
    six_days = (T0.date() - timedelta(days=6),)
    assert "tdxd_daily_checkin" not in run(drug=TDXD, infusions=six_days).followups
    assert "tdxd_daily_checkin" not in run(drug=ZONG, infusions=(infusion,)).followups


# --- §5.3 fever ------------------------------------------------------------------------------


@pytest.mark.parametrize("drug", [TDXD, ZONG, SEVA, OTHER])
def test_temperature_38_0_is_red_on_every_drug_and_37_9_is_not(drug: str) -> None:
    assert codes(run(temp(38.0), drug=drug)) == {"fever.red.temp_38_0_or_above"}
    assert run(temp(37.9), drug=drug).level == "green"


def test_a_single_reading_above_38_3_fires_its_own_rule_and_38_3_does_not() -> None:
    assert codes(run(temp(38.3))) == {"fever.red.temp_38_0_or_above"}
    assert codes(run(temp(38.4))) == {
        "fever.red.temp_38_0_or_above",
        "fever.red.temp_above_38_3",
    }


def test_fahrenheit_is_converted_exactly_so_100_4_f_is_38_0_c() -> None:
    assert run({"fever": {"temp_f": 100.4}}).level == "red"
    assert run({"fever": {"temp_f": 100.3}}).level == "green"


def test_38_0_sustained_more_than_1_hour_is_red_and_exactly_1_hour_is_not() -> None:
    sustained = {"fever": {"temp_c": 37.2, "hours_at_or_above_38": 1.5}}
    assert codes(run(sustained)) == {"fever.red.sustained_38_over_1h"}
    assert run({"fever": {"temp_c": 37.2, "hours_at_or_above_38": 1}}).level == "green"


def test_rigors_or_chills_with_a_raised_temperature_are_red() -> None:
    code = "fever.red.chills_with_raised_temperature"
    assert code in codes(run({"fever": {"temp_c": 37.5, "rigors": True}}))
    assert code in codes(run({**temp(37.6), "chills": {"chills": "mild"}}))
    assert run({"fever": {"temp_c": 37.4, "rigors": True}}).level == "green"
    assert run({**temp(37.6), "chills": {"chills": "none"}}).level == "green"


def test_37_5_to_37_9_twice_within_24_hours_is_amber() -> None:
    code = "fever.amber.temp_37_5_to_37_9_twice_24h"
    current = report(temp(37.9))
    exactly_24h = report(temp(37.5), at=T0 - hours(24))
    assert codes(evaluate(snapshot(current, exactly_24h))) == {code}
    too_early = report(temp(37.5), at=T0 - hours(24) - timedelta(minutes=1))
    assert evaluate(snapshot(current, too_early)).level == "green"
    assert run(temp(37.9)).level == "green"
    normal = report(temp(37.4), at=T0 - hours(3))
    assert evaluate(snapshot(current, normal)).level == "green"


# --- §5.3 hepatotoxicity and LV dysfunction --------------------------------------------------


@pytest.mark.parametrize("drug", [ZONG, SEVA])
@pytest.mark.parametrize("field", ["dark_urine", "right_upper_abdominal_pain"])
def test_a_positive_liver_answer_on_a_tki_is_amber(drug: str, field: str) -> None:
    evaluation = run({"liver_symptoms": {field: True}}, drug=drug)
    assert codes(evaluation) == {"hepatic.amber.liver_symptom"}


def test_jaundice_on_a_tki_is_red() -> None:
    evaluation = run({"liver_symptoms": {"jaundice": True}}, drug=SEVA)
    assert evaluation.levels_by_kind == {"hepatic": "red"}
    assert run({"liver_symptoms": {"jaundice": False}}, drug=SEVA).level == "green"


@pytest.mark.parametrize("drug", [TDXD, OTHER])
def test_the_liver_check_is_only_for_zongertinib_and_sevabertinib(drug: str) -> None:
    assert run({"liver_symptoms": {"jaundice": True}}, drug=drug).level == "green"


@pytest.mark.parametrize("drug", [TDXD, ZONG])
@pytest.mark.parametrize("field", ["leg_swelling", "breathless_lying_flat", "palpitations"])
def test_new_breathlessness_with_a_heart_symptom_fires_the_lv_check(drug: str, field: str) -> None:
    # With the ILD dyspnea AMBER it is two triggers, so both kinds are RED (§5.1).
    evaluation = run(
        {"dyspnea": {"sob_exertion": "moderate"}, "heart_symptoms": {field: True}}, drug=drug
    )
    assert "cardiac.amber.breathless_with_heart_symptom" in codes(evaluation)
    assert hit(evaluation, "cardiac.amber.breathless_with_heart_symptom").level == "amber"


def test_the_lv_check_needs_breathlessness_worse_than_baseline_and_a_heart_symptom() -> None:
    code = "cardiac.amber.breathless_with_heart_symptom"
    at_baseline = run(
        {"dyspnea": {"sob_exertion": "moderate"}, "heart_symptoms": {"leg_swelling": True}},
        drug=TDXD,
        baseline=Baseline(sob_exertion="moderate"),
    )
    assert code not in codes(at_baseline)
    assert code not in codes(run({"heart_symptoms": {"leg_swelling": True}}, drug=TDXD))
    sevabertinib = run(
        {"dyspnea": {"sob_exertion": "moderate"}, "heart_symptoms": {"leg_swelling": True}},
        drug=SEVA,
    )
    assert code not in codes(sevabertinib)


# --- §5.4 PRO-CTCAE composites ---------------------------------------------------------------


def test_a_composite_of_2_new_or_worse_than_baseline_is_amber() -> None:
    code = "proctcae.amber.fatigue_2_new_or_worse"
    new = run(composites={"fatigue": 2})
    assert codes(new) == {code}
    assert new.levels_by_kind == {"other": "amber"}
    assert code in codes(
        run(composites={"fatigue": 2}, baseline=Baseline(composites={"fatigue": 1}))
    )
    assert run(composites={"fatigue": 2}, baseline=Baseline(composites={"fatigue": 2})).level == (
        "green"
    )
    assert run(composites={"fatigue": 1}).level == "green"


def test_a_composite_of_3_is_amber_even_at_baseline() -> None:
    evaluation = run(composites={"nausea": 3}, baseline=Baseline(composites={"nausea": 3}))
    assert codes(evaluation) == {"proctcae.amber.nausea_3"}
    assert evaluation.levels_by_kind == {"gi": "amber"}


def test_a_shortness_of_breath_composite_of_3_is_red_on_tdxd_and_amber_on_a_tki() -> None:
    baseline = Baseline(composites={"shortness_of_breath": 3})
    tdxd = run(composites={"shortness_of_breath": 3}, drug=TDXD, baseline=baseline)
    assert codes(tdxd) == {"proctcae.red.tdxd_shortness_of_breath_3"}
    assert tdxd.levels_by_kind == {"ild": "red"}
    tki = run(composites={"shortness_of_breath": 3}, drug=ZONG, baseline=baseline)
    assert codes(tki) == {"proctcae.amber.shortness_of_breath_3"}


# --- §5.5 CNS watch --------------------------------------------------------------------------


def cns(
    symptoms: dict[str, Any],
    *history: Report,
    brain_metastases: bool = True,
    baseline: Baseline | None = None,
) -> Evaluation:
    return evaluate(
        snapshot(report(symptoms), *history, brain_metastases=brain_metastases, baseline=baseline)
    )


@pytest.mark.parametrize("kind", ["partial_no_loss_of_consciousness", "generalized"])
def test_any_seizure_is_red_with_brain_metastases(kind: str) -> None:
    evaluation = cns({"seizure": {"seizure_type": kind}})
    assert codes(evaluation) == {"cns.red.seizure"}
    assert evaluation.levels_by_kind == {"cns": "red"}


def test_cns_rules_apply_only_to_patients_with_brain_metastases() -> None:
    symptoms = {
        "seizure": {"seizure_type": "generalized"},
        "confusion": {"disorientation": "severe"},
        "vision_change": {"vision_change": True},
    }
    assert cns(symptoms, brain_metastases=False).level == "green"
    assert cns({"seizure": {"seizure_type": "none"}}).level == "green"


def test_new_confusion_is_red_but_confusion_in_the_neuro_baseline_is_not() -> None:
    assert codes(cns({"confusion": {"disorientation": "mild"}})) == {"cns.red.new_confusion"}
    known = Baseline(neuro={"confusion": "mild"})
    assert cns({"confusion": {"disorientation": "mild"}}, baseline=known).level == "green"
    assert "cns.red.new_confusion" in codes(
        cns({"confusion": {"disorientation": "moderate"}}, baseline=known)
    )


def test_confusion_that_cleared_and_came_back_is_new_again() -> None:
    # §5.5: "new" is judged against the neuro baseline and the most recent earlier report that
    # answered the same field, not the earliest report of the window.
    first = report({"confusion": {"disorientation": "mild"}}, at=T0 - days(10))
    clear = report({"confusion": {"disorientation": "none"}}, at=T0 - days(1))
    again = cns({"confusion": {"disorientation": "mild"}}, first, clear)
    assert "cns.red.new_confusion" in codes(again)
    still = report({"confusion": {"disorientation": "mild"}}, at=T0 - days(1))
    assert cns({"confusion": {"disorientation": "mild"}}, still).level == "green"


@pytest.mark.parametrize("side", ["left", "right"])
def test_new_one_sided_weakness_is_red(side: str) -> None:
    term = f"muscle_weakness_{side}_sided"
    assert codes(cns({term: {"one_sided_weakness": True}})) == {"cns.red.new_one_sided_weakness"}
    known = report({term: {"one_sided_weakness": True}}, at=T0 - days(7))
    assert cns({term: {"one_sided_weakness": True}}, known).level == "green"


def test_new_speech_difficulty_is_red() -> None:
    evaluation = cns({"dysphasia": {"speech_difficulty": "mild"}})
    assert codes(evaluation) == {"cns.red.new_speech_difficulty"}
    assert cns({"dysphasia": {"speech_difficulty": "none"}}).level == "green"


def test_a_severe_headache_is_red() -> None:
    evaluation = cns({"headache": {"pain_severity": "severe"}})
    assert "cns.red.headache_severe" in codes(evaluation)


def test_a_headache_with_vomiting_the_same_day_is_red_and_the_day_before_is_not() -> None:
    code = "cns.red.headache_with_vomiting_same_day"
    same_day = report(vomit(1), at=T0 - hours(3))
    assert code in codes(cns({"headache": {"pain_severity": "mild"}}, same_day))
    assert code in codes(cns({"headache": {"pain_severity": "mild"}, **vomit(2)}))
    day_before = report(vomit(1), at=T0 - days(1))
    assert code not in codes(cns({"headache": {"pain_severity": "mild"}}, day_before))


def test_a_moderate_headache_or_one_step_worse_than_the_previous_report_is_amber() -> None:
    code = "cns.amber.headache_moderate_or_worse"
    assert codes(cns({"headache": {"pain_severity": "moderate"}})) == {code}
    none_before = report({"headache": {"pain_severity": "none"}}, at=T0 - days(1))
    assert codes(cns({"headache": {"pain_severity": "mild"}}, none_before)) == {code}
    mild_before = report({"headache": {"pain_severity": "mild"}}, at=T0 - days(1))
    assert cns({"headache": {"pain_severity": "mild"}}, mild_before).level == "green"


def test_new_moderate_dizziness_is_amber_and_mild_is_not() -> None:
    assert codes(cns({"dizziness": {"unsteadiness": "moderate"}})) == {"cns.amber.new_dizziness"}
    assert cns({"dizziness": {"unsteadiness": "mild"}}).level == "green"
    known = report({"dizziness": {"unsteadiness": "moderate"}}, at=T0 - days(5))
    assert cns({"dizziness": {"unsteadiness": "moderate"}}, known).level == "green"


def test_new_blurred_or_double_vision_is_amber() -> None:
    assert codes(cns({"vision_change": {"vision_change": True}})) == {"cns.amber.vision_change"}


# --- §5.6 adherence, loperamide, missed diary ------------------------------------------------


def missed(n: int, at: datetime, reason: str = "", **more: Any) -> Report:
    return report(at=at, tki_doses_missed=n, missed_dose_reason=reason, **more)


def test_two_missed_tki_doses_in_7_days_are_amber_with_the_patients_reason() -> None:
    earlier = missed(1, T0 - days(6), "felt sick")
    evaluation = evaluate(snapshot(missed(1, T0, "away"), earlier))
    fired = hit(evaluation, "adherence.amber.missed_tki_doses_2_in_7_days")
    assert fired.kind == "adherence" and fired.level == "amber"
    assert '"felt sick"' in fired.reason and '"away"' in fired.reason


def test_one_missed_dose_is_not_amber_and_two_8_days_apart_are_not_either() -> None:
    assert evaluate(snapshot(missed(1, T0))).level == "green"
    eight_days = missed(1, T0 - days(8))
    assert evaluate(snapshot(missed(1, T0), eight_days)).level == "green"


def test_a_missed_dose_exactly_7_days_earlier_is_inside_the_window() -> None:
    assert evaluate(snapshot(missed(1, T0), missed(1, T0 - days(7)))).level == "amber"


def test_two_missed_doses_in_one_report_are_amber() -> None:
    assert evaluate(snapshot(missed(2, T0))).level == "amber"


def test_a_vomited_dose_counts_as_taken_and_is_shown_to_the_nurse() -> None:
    earlier = missed(0, T0 - days(1), tki_dose_vomited=True)
    assert evaluate(snapshot(missed(1, T0), earlier)).level == "green"
    evaluation = evaluate(snapshot(missed(1, T0), missed(1, T0 - days(2), tki_dose_vomited=True)))
    assert "vomited dose" in hit(evaluation, "adherence.amber.missed_tki_doses_2_in_7_days").reason


def test_a_report_without_a_missed_dose_does_not_repeat_the_adherence_alert() -> None:
    history = (missed(1, T0 - days(2)), missed(1, T0 - days(1)))
    assert evaluate(snapshot(missed(0, T0), *history)).level == "green"


def test_missed_doses_are_a_tki_rule() -> None:
    assert evaluate(snapshot(missed(3, T0), drug=TDXD)).level == "green"


def test_loperamide_above_16_mg_in_24_hours_is_amber_and_16_is_not() -> None:
    assert run(loperamide_mg=16.0).level == "green"
    evaluation = run(loperamide_mg=16.5)
    assert evaluation.levels_by_kind == {"loperamide": "amber"}


def missed_diary(last: datetime | None, *, drug_class: str = "tki", **kwargs: Any) -> Fired | None:
    options: dict[str, Any] = {
        "treatment_active": True,
        "infusion_dates": (),
        "now": T0,
        "today": T0.date(),
    }
    options.update(kwargs)
    return evaluate_missed_diary(drug_class=drug_class, last_entry_at=last, **options)


def test_no_diary_for_3_days_is_amber_and_just_under_is_not() -> None:
    fired = missed_diary(T0 - days(3))
    assert fired is not None
    assert (fired.code, fired.kind, fired.level) == (
        "diary.amber.no_entry_3_days",
        "diary",
        "amber",
    )
    assert missed_diary(T0 - days(3) + timedelta(minutes=1)) is None


def test_no_diary_alert_when_treatment_is_not_active() -> None:
    assert missed_diary(T0 - days(10), treatment_active=False) is None


def test_in_the_5_days_after_a_tdxd_infusion_2_days_without_a_diary_is_amber() -> None:
    infusion = (T0.date() - timedelta(days=3),)
    fired = missed_diary(T0 - days(2), drug_class="adc", infusion_dates=infusion)
    assert fired is not None and fired.code == "diary.amber.no_entry_2_days_after_infusion"
    old = (T0.date() - timedelta(days=6),)
    assert missed_diary(T0 - days(2), drug_class="adc", infusion_dates=old) is None
    assert missed_diary(T0 - days(2), drug_class="tki", infusion_dates=infusion) is None


def test_a_patient_who_never_reported_is_overdue() -> None:
    assert missed_diary(None) is not None


# --- §5.1 combination -----------------------------------------------------------------------


def test_two_ambers_of_different_symptoms_make_red_for_the_kinds_involved() -> None:
    evaluation = run({**stools(5), "nausea": {"nausea": True, "oral_intake": "decreased"}})
    assert evaluation.level == "red"
    assert evaluation.levels_by_kind == {"gi": "red"}
    assert evaluation.escalated_by_combination
    combined = hit(evaluation, rules.COMBINED_CODE)
    assert combined.level == "red"
    assert "gi.amber.diarrhea_g2" in combined.reason
    assert "gi.amber.nausea_intake_decreased" in combined.reason


def test_two_ambers_of_different_kinds_add_a_combined_red_to_each_kind() -> None:
    evaluation = run({**stools(5), **spo2(exertion=86)})
    assert evaluation.levels_by_kind == {"gi": "red", "ild": "red"}
    combined = [f for f in evaluation.fired if f.code == rules.COMBINED_CODE]
    assert {f.kind for f in combined} == {"gi", "ild"}


def test_two_different_amber_rules_of_one_symptom_family_make_red() -> None:
    # §5.1: a trigger is one AMBER rule; two count as two even within one symptom family (G2
    # diarrhea with more than 16 mg loperamide in 24 h is RED) [D].
    evaluation = run(stools(5), loperamide_mg=18.0)
    assert codes(evaluation) >= {"gi.amber.diarrhea_g2", "loperamide.amber.over_16_mg_24h"}
    assert evaluation.levels_by_kind == {"gi": "red", "loperamide": "red"}
    assert evaluation.escalated_by_combination


def test_one_answer_at_nested_thresholds_is_one_trigger() -> None:
    # Composite 3 fires both the ">=2 and above baseline" and the "=3" rows of one answer.
    evaluation = run(composites={"cough": 3})
    assert codes(evaluation) == {"proctcae.amber.cough_2_new_or_worse", "proctcae.amber.cough_3"}
    assert evaluation.level == "amber"
    exertion = run(spo2(exertion=86), baseline=Baseline(spo2_exertion=95))
    assert codes(exertion) == {"ild.amber.spo2_exertion_below_88", "ild.amber.spo2_exertion_drop_4"}
    assert exertion.level == "amber"


def test_the_lv_amber_and_the_ild_dyspnea_amber_are_two_triggers() -> None:
    evaluation = run(
        {"dyspnea": {"sob_exertion": "moderate"}, "heart_symptoms": {"palpitations": True}},
        drug=ZONG,
    )
    assert evaluation.levels_by_kind == {"ild": "red", "cardiac": "red"}
    assert evaluation.escalated_by_combination


def test_missed_tki_doses_are_a_trigger_of_section_5_6() -> None:
    evaluation = evaluate(snapshot(missed(2, T0, symptoms=stools(5))))
    assert evaluation.levels_by_kind == {"gi": "red", "adherence": "red"}


def test_a_red_and_an_amber_of_different_symptoms_raise_the_amber_kind_too() -> None:
    evaluation = run({**temp(38.5), "liver_symptoms": {"dark_urine": True}}, drug=ZONG)
    assert evaluation.levels_by_kind == {"fever": "red", "hepatic": "red"}
    assert evaluation.escalated_by_combination
    assert hit(evaluation, rules.COMBINED_CODE).kind == "hepatic"


def test_two_reds_are_red_without_a_combination() -> None:
    evaluation = run({**temp(38.5), **spo2(rest=80)})
    assert evaluation.level == "red"
    assert not evaluation.escalated_by_combination
    assert rules.COMBINED_CODE not in codes(evaluation)


# --- late entries and history order ---------------------------------------------------------


def test_history_is_read_in_recorded_order_whatever_order_it_arrives_in() -> None:
    older = report({"cough": {"cough_severity": "none"}}, at=T0 - days(2))
    yesterday = report({"cough": {"cough_severity": "mild"}}, at=T0 - days(1))
    today = report({"cough": {"cough_severity": "mild"}})
    assert evaluate(snapshot(today, yesterday, older)).level == "amber"
    assert evaluate(snapshot(today, older, yesterday)).level == "amber"


def test_a_history_in_order_is_used_as_given_and_any_other_is_ordered_and_trimmed() -> None:
    older = report(at=T0 - days(2))
    first_at_noon = report(at=T0 - days(1))
    second_at_noon = report(at=T0 - days(1))
    current = report()
    in_order = snapshot(current, older, first_at_noon, second_at_noon)
    assert rules._normalised(in_order) is in_order  # no second sort per entry of a batch
    recorded_after = report(at=T0 + hours(1))
    for history in (
        (first_at_noon, older, second_at_noon),
        (older, first_at_noon, second_at_noon, current),
        (older, first_at_noon, second_at_noon, recorded_after),
    ):
        normal = rules._normalised(snapshot(current, *history))
        assert normal.history == (older, first_at_noon, second_at_noon)


def test_a_late_entry_is_judged_by_what_was_recorded_before_it() -> None:
    # An offline phone sends an entry recorded 3 days ago after later ones were stored: entries
    # recorded after it, and the entry itself, are not part of its history.
    late = missed(1, T0 - days(3), entry_id="late")
    later = missed(1, T0 - days(1))
    assert evaluate(snapshot(late, later, late)).level == "green"
    assert evaluate(snapshot(later, late)).level == "amber"


def test_an_earlier_low_grade_temperature_arriving_late_still_counts_for_the_later_entry() -> None:
    current = report(temp(37.8))
    late_arrival = report(temp(37.6), at=T0 - hours(5))
    assert evaluate(snapshot(current, late_arrival)).level == "amber"


# --- the rule set as data -------------------------------------------------------------------

KINDS = {"ild", "gi", "fever", "hepatic", "cardiac", "cns", "adherence", "diary", "loperamide"}


def test_rule_codes_are_unique_and_fit_the_evidence_columns() -> None:
    all_codes = [r.code for r in RULES]
    assert len(all_codes) == len(set(all_codes))
    for rule in RULES:
        assert len(rule.code) <= 80 and len(rule.source) <= 40 and len(rule.symptom) <= 40
        assert rule.kind in KINDS | {"other"}
        assert rule.code.split(".")[0] in rule.kind or rule.code.startswith("proctcae.")
        assert rule.code.split(".")[1] == rule.level
        assert any(tag in rule.source for tag in ("[V", "[S", "[D")), rule.code
        assert rule.source.startswith("§5.")


def test_every_rule_code_and_follow_up_is_documented() -> None:
    text = (ROOT / "docs" / "alert-rules.md").read_text(encoding="utf-8")
    documented = [
        *(r.code for r in RULES),
        *(f.code for f in rules.FOLLOWUPS),
        rules.COMBINED_CODE,
        rules.MISSED_DIARY_CODE,
        rules.MISSED_DIARY_AFTER_INFUSION_CODE,
    ]
    missing = [code for code in documented if f"`{code}`" not in text]
    assert missing == []


def test_each_documented_rule_section_names_the_module_that_holds_its_rules() -> None:
    text = (ROOT / "docs" / "alert-rules.md").read_text(encoding="utf-8")
    sections = text.split("\n### ")
    misplaced = []
    for rule in RULES:
        module = f"`alerts/rules/{Path(rule.finding.__code__.co_filename).name}`"
        (section,) = [part for part in sections if f"`{rule.code}`" in part]
        if module not in section:
            misplaced.append((rule.code, module))
    for code, module in (
        (rules.COMBINED_CODE, "combination.py"),
        (rules.PERSISTED_AMBER.code, "combination.py"),
        (rules.MISSED_DIARY_CODE, "medication.py"),
        (rules.MISSED_DIARY_AFTER_INFUSION_CODE, "medication.py"),
    ):
        holder = [part for part in sections if f"`{code}`" in part]
        if not holder or f"`alerts/rules/{module}`" not in holder[0]:
            misplaced.append((code, module))
    assert misplaced == []
    for path in sorted((ROOT / "alerts" / "rules").glob("*.py")):
        if path.name != "__init__.py":
            assert f"`alerts/rules/{path.name}`" in text, path.name


RULES_PACKAGE = ROOT / "alerts" / "rules"
# The rules may import, besides the standard library, each other and the shared vocabulary.
RULES_MAY_IMPORT = {"alerts.rules", "diary.vocabulary"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }


def test_the_rules_package_imports_only_the_standard_library_and_the_vocabulary() -> None:
    modules = sorted(RULES_PACKAGE.glob("*.py"))
    assert len(modules) >= 9
    for path in [*modules, ROOT / "diary" / "vocabulary.py"]:
        imported = imported_modules(path)
        outside = {
            name
            for name in imported
            if name not in RULES_MAY_IMPORT and not name.startswith("alerts.rules.")
        }
        tops = {name.split(".")[0] for name in outside}
        assert tops <= set(sys.stdlib_module_names) | {"__future__"}, path.name
    assert imported_modules(ROOT / "diary" / "vocabulary.py") <= set(sys.stdlib_module_names) | {
        "__future__",
        "collections.abc",
    }


def test_no_rules_module_is_over_about_400_lines() -> None:
    lengths = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in RULES_PACKAGE.glob("*.py")
    }
    assert max(lengths.values()) <= 400, lengths


def test_every_rule_predicate_is_within_a_screen_of_its_row() -> None:
    """A newcomer reading a rule row sees its predicate on the same screen: the predicate is
    defined in the module of the row, at most 40 lines from it (factory-built findings: their
    factory)."""
    for rule in RULES:
        finding = rule.finding
        code = getattr(finding, "__code__", None)
        assert code is not None, rule.code
        path = Path(code.co_filename)
        assert path.parent == RULES_PACKAGE, rule.code
        text = path.read_text(encoding="utf-8").splitlines()
        rows = [n for n, line in enumerate(text, start=1) if f'"{rule.code}"' in line]
        if not rows:  # a row built in a loop (§5.4 composites): the loop is beside its factories
            rows = [n for n, line in enumerate(text, start=1) if 'code=f"' in line]
        assert rows, rule.code
        assert min(abs(code.co_firstlineno - n) for n in rows) <= 40, rule.code


# --- properties -----------------------------------------------------------------------------

SELF_REPORTED = {name: spec for name, spec in TERMS.items() if spec.self_reportable}
RISK_FACTORS = tuple(rules.RISK_FACTOR_TEXT)


def value_of(spec: FieldSpec) -> st.SearchStrategy[object]:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    assert spec.minimum is not None and spec.maximum is not None
    whole = st.integers(int(spec.minimum), int(spec.maximum))
    if spec.kind == "int":
        return whole
    decimals = st.decimals(spec.minimum, spec.maximum, places=1).map(float)
    return st.one_of(whole, decimals)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    terms = draw(st.lists(st.sampled_from(sorted(SELF_REPORTED)), max_size=6, unique=True))
    symptoms: dict[str, dict[str, object]] = {}
    for term in terms:
        fields = SELF_REPORTED[term].fields
        names = draw(st.lists(st.sampled_from(sorted(fields)), max_size=len(fields), unique=True))
        symptoms[term] = {name: draw(value_of(fields[name])) for name in names}
    return symptoms


composite_values = st.dictionaries(
    st.sampled_from(sorted(rules.PROCTCAE)), st.integers(0, 3), max_size=4
)


@st.composite
def reports(draw: st.DrawFn, at: datetime) -> Report:
    return report(
        draw(answers()),
        at=at,
        composites=draw(composite_values),
        loperamide_mg=draw(st.none() | st.sampled_from([0.0, 4.0, 16.0, 16.5, 24.0])),
        tki_doses_missed=draw(st.none() | st.integers(0, 3)),
        tki_dose_vomited=draw(st.none() | st.booleans()),
        missed_dose_reason=draw(st.sampled_from(["", "forgot", "felt sick"])),
        grades=draw(
            st.dictionaries(
                st.sampled_from(["neutrophil_count_decreased", "febrile_neutropenia"]),
                st.integers(0, 4),
                max_size=1,
            )
        ),
    )


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    offset = timezone(timedelta(minutes=draw(st.sampled_from([-300, 0, 60, 540]))))
    now = T0.astimezone(offset)
    gaps = draw(st.lists(st.integers(1, 14 * 24 * 60), max_size=5))
    history = [draw(reports(now - timedelta(minutes=gap))) for gap in gaps]
    drug = draw(st.sampled_from([TDXD, ZONG, SEVA, OTHER]))
    sob = draw(st.none() | st.sampled_from(rules.SOB_EXERTION))
    baseline = Baseline(
        stools_per_day=draw(st.none() | st.integers(0, 10)),
        spo2_rest=draw(st.none() | st.integers(85, 100)),
        spo2_exertion=draw(st.none() | st.integers(80, 100)),
        sob_exertion=sob,
        composites=draw(composite_values),
    )
    return snapshot(
        draw(reports(now)),
        *history,
        drug=drug,
        baseline=baseline,
        risk_factors=tuple(draw(st.lists(st.sampled_from(RISK_FACTORS), unique=True, max_size=2))),
        brain_metastases=draw(st.booleans()),
        started=draw(st.none() | st.dates(date(2024, 1, 1), date(2026, 11, 23))),
        infusions=tuple(
            draw(st.lists(st.dates(date(2026, 10, 1), date(2026, 11, 23)), max_size=3))
        ),
        under_ild_management=draw(st.booleans()),
    )


def more_severe(spec: FieldSpec, value: object) -> list[object]:
    """Answers more severe than `value` for this field (FieldSpec orders them)."""
    if spec.kind == "bool":
        worse = not spec.lower_is_worse
        return [worse] if value is not worse else []
    if spec.kind == "choice":
        assert isinstance(value, str)
        return list(spec.choices[spec.choices.index(value) + 1 :])
    assert isinstance(value, int | float) and spec.minimum is not None and spec.maximum is not None
    end = spec.minimum if spec.lower_is_worse else spec.maximum
    step = -1 if spec.lower_is_worse else 1
    candidates = [value + step, value + 5 * step, end]
    return [v for v in candidates if spec.minimum <= v <= spec.maximum and v != value]


def worsened(current: Report, term: str, name: str, value: object) -> Report:
    symptoms = {t: dict(inputs) for t, inputs in current.symptoms.items()}
    symptoms.setdefault(term, {})[name] = value
    return report(
        symptoms,
        at=current.recorded_at,
        entry_id=current.entry_id,
        composites=current.composites,
        loperamide_mg=current.loperamide_mg,
        tki_doses_missed=current.tki_doses_missed,
        tki_dose_vomited=current.tki_dose_vomited,
        missed_dose_reason=current.missed_dose_reason,
        grades={t: g for t, g in current.grades.items() if t not in symptoms},
    )


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(snapshots())
def test_evaluate_never_raises_and_is_consistent_for_valid_vocabulary(s: Snapshot) -> None:
    evaluation = evaluate(s)
    assert evaluation.level in ("green", "amber", "red")
    expected = max(
        (evaluation.levels_by_kind.values()), key=rules.LEVEL_RANK.__getitem__, default="green"
    )
    assert evaluation.level == expected
    for fired in evaluation.fired:
        assert fired.level in ("amber", "red")
        assert evaluation.levels_by_kind[fired.kind] == "red" or fired.level == "amber"
        assert not (fired.suppressible and fired.level == "red")
    assert set(evaluation.followups) <= {f.code for f in rules.FOLLOWUPS}


@PROPERTY
@given(snapshots(), st.data())
def test_a_more_severe_answer_never_lowers_the_overall_level(
    s: Snapshot, data: st.DataObject
) -> None:
    before = rules.LEVEL_RANK[evaluate(s).level]
    changes = [
        (term, name, worse)
        for term, inputs in s.current.symptoms.items()
        for name, value in inputs.items()
        for worse in more_severe(SELF_REPORTED[term].fields[name], value)
    ]
    # And one answer that was not given yet, added with any value.
    term = data.draw(st.sampled_from(sorted(SELF_REPORTED)))
    fields = SELF_REPORTED[term].fields
    name = data.draw(st.sampled_from(sorted(fields)))
    if name not in s.current.symptoms.get(term, {}):
        changes.append((term, name, data.draw(value_of(fields[name]))))
    for term, name, value in changes:
        worse = dataclasses.replace(s, current=worsened(s.current, term, name, value))
        after = rules.LEVEL_RANK[evaluate(worse).level]
        assert after >= before, (term, name, value)


def least_severe(spec: FieldSpec) -> object:
    if spec.kind == "bool":
        return spec.lower_is_worse
    if spec.kind == "choice":
        return spec.choices[0]
    return spec.maximum if spec.lower_is_worse else spec.minimum


def ladder(spec: FieldSpec) -> list[object]:
    """Every answer of a field from least to most severe (numbers: 0.1 steps, at most ~200)."""
    if spec.kind not in ("int", "number"):
        first = least_severe(spec)
        return [first, *more_severe(spec, first)]
    assert spec.minimum is not None and spec.maximum is not None
    low, high = Fraction(str(spec.minimum)), Fraction(str(spec.maximum))
    step = Fraction(1) if spec.kind == "int" else Fraction(1, 10)
    step = max(step, (high - low) / 200)
    points = sorted({low + step * i for i in range(int((high - low) / step) + 1)} | {high})
    values: list[object] = [int(p) if spec.kind == "int" else float(p) for p in points]
    return values[::-1] if spec.lower_is_worse else values


@pytest.mark.parametrize("drug", [TDXD, ZONG, SEVA, OTHER])
def test_walking_each_answer_up_its_scale_never_lowers_the_level(drug: str) -> None:
    for term, spec in SELF_REPORTED.items():
        least = {name: least_severe(field) for name, field in spec.fields.items()}
        for base in ({}, least):
            for name, field in spec.fields.items():
                previous = 0
                for value in ladder(field):
                    current = report({term: {**base, name: value}})
                    level = evaluate(snapshot(current, drug=drug, brain_metastases=True)).level
                    assert rules.LEVEL_RANK[level] >= previous, (term, base, name, value)
                    previous = rules.LEVEL_RANK[level]


@PROPERTY
@given(snapshots(), st.sampled_from(sorted(rules.PROCTCAE)), st.integers(1, 3))
def test_a_higher_composite_never_lowers_the_overall_level(s: Snapshot, key: str, up: int) -> None:
    composites = dict(s.current.composites)
    composites[key] = min(3, composites.get(key, 0) + up)
    worse = dataclasses.replace(s, current=dataclasses.replace(s.current, composites=composites))
    assert rules.LEVEL_RANK[evaluate(worse).level] >= rules.LEVEL_RANK[evaluate(s).level]


def test_a_shortness_of_breath_composite_is_one_trigger_for_the_ild_and_composite_rules() -> None:
    # §5.2 AMBER 1 ("composite up >= 1 vs baseline") and §5.4 ("composite >= 2, new") read the
    # same answer: one §5.1 trigger, so a single composite of 2 stays AMBER.
    evaluation = run(composites={"shortness_of_breath": 2})
    assert codes(evaluation) == {
        "ild.amber.sob_composite_up_1",
        "proctcae.amber.shortness_of_breath_2_new_or_worse",
    }
    assert evaluation.level == "amber"
    cough = run(composites={"cough": 2}, drug=TDXD)
    assert "ild.amber.cough_composite_2" in codes(cough)
    assert cough.level == "amber"


def test_denied_nausea_raises_no_nausea_alert_whatever_the_intake_answer() -> None:
    # §1.2: no grade above 0 ever rests on a denied symptom, and "nausea with oral intake
    # decreased" (§5.3 AMBER) needs the nausea.
    denied = run({"nausea": {"nausea": False, "oral_intake": "inadequate"}})
    assert "gi.amber.nausea_intake_decreased" not in codes(denied)
    present = run({"nausea": {"nausea": True, "oral_intake": "decreased"}})
    assert "gi.amber.nausea_intake_decreased" in codes(present)
