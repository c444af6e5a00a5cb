"""validate_inputs: field-level, patient-facing messages; empty dict = valid."""

from __future__ import annotations

import math

import pytest

from diary.grading import TERMS, FieldSpec, validate_inputs

CLINICIAN_TERMS = sorted(name for name, spec in TERMS.items() if not spec.self_reportable)
ALL_FIELDS = [(term, name, spec) for term, t in TERMS.items() for name, spec in t.fields.items()]


def test_valid_answers_give_no_errors() -> None:
    inputs = {"stools_over_baseline": 5, "adl": "instrumental", "hospitalized": False}
    assert validate_inputs("diarrhea", inputs) == {}
    assert validate_inputs("fever", {"temp_c": 37, "hours_above_40": 2.5, "rigors": True}) == {}


def test_an_empty_object_is_valid_and_grades_as_insufficient() -> None:
    assert validate_inputs("diarrhea", {}) == {}


def test_an_unknown_term_is_refused() -> None:
    assert validate_inputs("stomatitis", {}) == {"": ["Unknown symptom term."]}
    assert validate_inputs(["diarrhea"], {}) == {"": ["Unknown symptom term."]}  # type: ignore[arg-type]


@pytest.mark.parametrize("term", CLINICIAN_TERMS)
def test_a_patient_cannot_report_a_care_team_term(term: str) -> None:
    message = "This is recorded by the care team, not self-reported."
    assert validate_inputs(term, {}) == {"": [message]}
    assert validate_inputs(term, {}, self_report=False) == {}


def test_the_care_team_terms_are_the_lab_imaging_and_clinician_ones() -> None:
    recorded_by_the_care_team = sorted(
        [
            "pneumonitis",
            "febrile_neutropenia",
            "heart_failure",
            "neutrophil_count_decreased",
            "platelet_count_decreased",
            "anemia",
            "alt_increased",
            "ast_increased",
            "blood_bilirubin_increased",
            "ejection_fraction_decreased",
            "electrocardiogram_qt_corrected_interval_prolonged",
            "hypokalemia",
            "creatinine_increased",
        ]
    )
    assert recorded_by_the_care_team == CLINICIAN_TERMS


@pytest.mark.parametrize("inputs", [[], "stools", 5, None, [("adl", "none")]])
def test_answers_must_be_a_json_object(inputs: object) -> None:
    assert validate_inputs("diarrhea", inputs) == {
        "": ["Send the answers for this symptom as a JSON object."]
    }


def test_an_unknown_field_is_refused_by_name() -> None:
    errors = validate_inputs("diarrhea", {"stools": 3, "stools_over_baseline": 3})
    assert errors == {"stools": ["Unknown field."]}


def test_a_field_of_another_term_is_unknown_here() -> None:
    assert validate_inputs("diarrhea", {"temp_c": 38.0}) == {"temp_c": ["Unknown field."]}


@pytest.mark.parametrize("value", [True, False, 5.0, 4.5, "5", None, -1, 51])
def test_a_whole_number_must_be_an_int_in_range(value: object) -> None:
    errors = validate_inputs("diarrhea", {"stools_over_baseline": value})
    assert errors == {"stools_over_baseline": ["Enter a whole number from 0 to 50."]}


@pytest.mark.parametrize("value", [True, "38", None, math.nan, math.inf, -math.inf, 29.9, 45.1])
def test_a_number_must_be_a_finite_int_or_float_in_range(value: object) -> None:
    errors = validate_inputs("fever", {"temp_c": value})
    assert errors == {"temp_c": ["Enter a number from 30 to 45."]}


@pytest.mark.parametrize("value", [30, 45, 37.5, 38])
def test_a_number_may_be_an_int_or_a_float(value: float) -> None:
    assert validate_inputs("fever", {"temp_c": value}) == {}


@pytest.mark.parametrize("value", [1, 0, "true", "yes", None, 1.0])
def test_yes_no_must_be_json_true_or_false(value: object) -> None:
    assert validate_inputs("diarrhea", {"hospitalized": value}) == {
        "hospitalized": ["Answer yes or no."]
    }


@pytest.mark.parametrize("value", ["Instrumental", "self-care", "", 1, None, True])
def test_a_choice_must_be_one_of_its_words(value: object) -> None:
    assert validate_inputs("diarrhea", {"adl": value}) == {
        "adl": ["Choose one of: none, instrumental, self_care."]
    }


def test_every_wrong_answer_gets_its_own_message() -> None:
    errors = validate_inputs(
        "rash_acneiform",
        {"bsa_pct": 120, "symptom_severity": "awful", "adl": "none", "itchy": True},
    )
    assert errors == {
        "bsa_pct": ["Enter a number from 0 to 100."],
        "symptom_severity": ["Choose one of: none, mild, moderate, severe."],
        "itchy": ["Unknown field."],
    }


def test_a_field_name_that_is_not_text_is_unknown() -> None:
    assert validate_inputs("diarrhea", {1: 2}) == {"1": ["Unknown field."]}


def test_a_clinician_term_gets_field_messages_too() -> None:
    errors = validate_inputs(
        "neutrophil_count_decreased", {"anc_per_mm3": 1.5, "lln_per_mm3": 1800}, self_report=False
    )
    assert errors == {"anc_per_mm3": ["Enter a whole number from 0 to 100000."]}


def in_range(spec: FieldSpec) -> object:
    if spec.kind == "bool":
        return True
    if spec.kind == "choice":
        return spec.choices[-1]
    return spec.maximum


@pytest.mark.parametrize(
    ("term", "name", "spec"), ALL_FIELDS, ids=[f"{t}.{n}" for t, n, _ in ALL_FIELDS]
)
def test_every_field_takes_its_own_values_and_refuses_others(
    term: str, name: str, spec: FieldSpec
) -> None:
    assert validate_inputs(term, {name: in_range(spec)}, self_report=False) == {}
    wrong: list[object] = ["not an answer", None]
    if spec.kind in ("int", "number"):
        assert spec.minimum is not None and spec.maximum is not None
        wrong += [True, spec.minimum - 1, spec.maximum + 1]
    if spec.kind == "int":
        wrong.append(float(spec.minimum))  # type: ignore[arg-type]
    if spec.kind == "bool":
        wrong += [0, 1]
    for value in wrong:
        errors = validate_inputs(term, {name: value}, self_report=False)
        assert list(errors) == [name], value
        assert len(errors[name]) == 1 and errors[name][0].endswith("."), value
