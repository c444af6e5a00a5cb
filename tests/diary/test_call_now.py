"""Every "call now" answer of the catalogue is RED through the alert rules, for each drug it
claims (reference §5.2, §5.3, §5.5): the app may show the call screen offline only for answers
the care team would also be told are RED."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from alerts import rules
from diary import call_now, drugs
from diary.grading import TERMS, grade

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def example_answer(row: call_now.CallNow) -> Any:
    """The least severe answer that the row says fires (the boundary itself)."""
    if row.op == "is_true":
        return True
    if row.op == "one_of":
        assert isinstance(row.value, tuple)
        return row.value[0]
    if row.op == "below":
        assert isinstance(row.value, int)
        return row.value - 1
    return row.value


def evaluate(symptoms: dict[str, dict[str, Any]], drug: str) -> rules.Evaluation:
    grades = {term: grade(term, inputs).grade for term, inputs in symptoms.items()}
    report = rules.Report(entry_id="e1", recorded_at=NOW, symptoms=symptoms, grades=grades)
    snapshot = rules.Snapshot(
        drug=drug,
        drug_class=drugs.DRUGS[drug].drug_class,
        baseline=rules.Baseline(),
        risk_factors=(),
        brain_metastases=True,
        treatment_started_on=date(2026, 10, 1),
        last_infusion_on=None,
        current=report,
    )
    return rules.evaluate(snapshot)


CASES = [
    pytest.param(row, drug, id=f"{row.term}.{row.field}-{row.op}-{row.value}-{drug}")
    for row in call_now.CALL_NOW
    for drug in sorted(row.drugs or drugs.DRUGS)
]


@pytest.mark.parametrize(("row", "drug"), CASES)
def test_each_call_now_answer_alone_is_red_for_each_drug_it_applies_to(
    row: call_now.CallNow, drug: str
) -> None:
    symptoms = {row.term: {row.field: example_answer(row)}}
    assert row in call_now.fired(symptoms, drug=drug, brain_metastases=True)
    evaluation = evaluate(symptoms, drug)
    assert evaluation.level == "red", (row, drug, evaluation.fired)
    assert row.kind in {f.kind for f in evaluation.fired if f.level == "red"}


@pytest.mark.parametrize("row", call_now.CALL_NOW, ids=lambda r: f"{r.term}.{r.field}")
def test_each_call_now_row_names_a_self_reported_field_of_the_vocabulary(
    row: call_now.CallNow,
) -> None:
    spec = TERMS[row.term]
    assert spec.self_reportable
    field = spec.fields[row.field]
    if row.op in {"equals", "one_of"}:
        values = row.value if isinstance(row.value, tuple) else (row.value,)
        assert set(values) <= set(field.choices)
    elif row.op == "is_true":
        assert field.kind == "bool"
    else:
        assert field.kind in {"int", "number"}
        assert field.minimum is not None and field.maximum is not None
        assert field.minimum <= example_answer(row) <= field.maximum


def test_a_calmer_answer_next_to_each_threshold_does_not_fire() -> None:
    calmer = {
        ("hypoxia", "spo2_rest", "below"): 88,
        ("hypoxia", "spo2_rest", "at_most"): 93,
        ("fever", "temp_c", "at_least"): 37.9,
        ("fever", "temp_f", "at_least"): 100.3,
        ("diarrhea", "stools_over_baseline", "at_least"): 6,
        ("vomiting", "vomiting_episodes_24h", "at_least"): 5,
        ("dehydration", "unable_to_keep_fluids_hours", "at_least"): 23,
    }
    numeric = [row for row in call_now.CALL_NOW if row.op in {"at_least", "below", "at_most"}]
    assert {(r.term, r.field, r.op) for r in numeric} == set(calmer)
    for row in numeric:
        assert not row.matches(calmer[(row.term, row.field, row.op)]), row


def test_bools_and_strings_never_pass_for_numbers() -> None:
    fever = next(r for r in call_now.CALL_NOW if r.field == "temp_c")
    assert not fever.matches(True)
    assert not fever.matches("39")
    jaundice = next(r for r in call_now.CALL_NOW if r.field == "jaundice")
    assert not jaundice.matches(1)


def test_cns_rows_apply_only_to_patients_with_brain_metastases_and_t_dxd_rows_only_to_t_dxd() -> (
    None
):
    seizure = {"seizure": {"seizure_type": "generalized"}}
    assert call_now.fired(seizure, drug="zongertinib", brain_metastases=False) == []
    low = {"hypoxia": {"spo2_rest": 91}}
    assert call_now.fired(low, drug="zongertinib", brain_metastases=False) == []
    assert len(call_now.fired(low, drug="trastuzumab_deruxtecan", brain_metastases=False)) == 1
