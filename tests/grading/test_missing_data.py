"""The missing-data rules (reference §1.2 [D]) and the alert-only terms (§5.7)."""

from __future__ import annotations

import pytest

from diary.grading import TERMS, GradeResult, grade

GRADED_TERMS = sorted(name for name, spec in TERMS.items() if not spec.alert_only)

# The "nothing wrong" answer to each term's primary question grades 0.
NOTHING_WRONG: dict[str, dict[str, object]] = {
    "diarrhea": {"stools_over_baseline": 0},
    "nausea": {"nausea": False},
    "vomiting": {"vomiting_episodes_24h": 0},
    "anorexia": {"appetite_loss": False},
    "dehydration": {"dehydration_signs": False},
    "constipation": {"constipation": "none"},
    "abdominal_pain": {"pain_severity": "none"},
    "mucositis_oral": {"mouth_pain": "none"},
    "oral_pain": {"pain_severity": "none"},
    "dysgeusia": {"taste_altered": False},
    "weight_loss": {"baseline_weight_kg": 70, "current_weight_kg": 71.5},
    "fatigue": {"fatigue": False},
    "fever": {"temp_c": 36.8},
    "chills": {"chills": "none"},
    "dyspnea": {"sob_exertion": "none"},
    "cough": {"cough_severity": "none"},
    "pneumonitis": {"imaging_confirmed": True, "symptomatic": False},  # G1 once imaging shows it
    "hypoxia": {"spo2_rest": 97},
    "epistaxis": {"nosebleed_severity": "none"},
    "rash_maculo_papular": {"bsa_pct": 0},
    "rash_acneiform": {"bsa_pct": 0},
    "dry_skin": {"bsa_pct": 0},
    "pruritus": {"itch_extent": "none"},
    "paronychia": {"nail_fold_redness_swelling": False},
    "alopecia": {"hair_loss_pct": 0},
    "palmar_plantar_erythrodysesthesia": {"skin_changes": "none"},
    "nail_changes": {"nail_changes": False},
    "nail_discoloration": {"nail_discoloration": False},
    "febrile_neutropenia": {"anc_per_mm3": 3000, "temp_c": 36.8},
    "neutrophil_count_decreased": {"anc_per_mm3": 5000},
    "platelet_count_decreased": {"platelets_per_mm3": 250_000},
    "anemia": {"hb_g_dl": 16.5},
    "alt_increased": {"alt_x_uln": 0.8},
    "ast_increased": {"ast_x_uln": 0.8},
    "blood_bilirubin_increased": {"bilirubin_x_uln": 0.5},
    "creatinine_increased": {"creatinine_x_uln": 0.9},
    "hypokalemia": {"potassium_mmol_l": 4.2},
    "ejection_fraction_decreased": {"lvef_pct": 62},
    "heart_failure": {"symptoms_exertion": "none"},
    "electrocardiogram_qt_corrected_interval_prolonged": {"qtc_ms": 420},
    "headache": {"pain_severity": "none"},
    "seizure": {"seizure_type": "none"},
    "confusion": {"disorientation": "none"},
    "dizziness": {"unsteadiness": "none"},
    "dysphasia": {"speech_difficulty": "none"},
    "muscle_weakness_left_sided": {"one_sided_weakness": False},
    "muscle_weakness_right_sided": {"one_sided_weakness": False},
}


def insufficient(term: str, inputs: dict[str, object]) -> tuple[str, ...]:
    result = grade(term, inputs)
    assert (result.status, result.grade, result.criteria) == ("insufficient", None, ())
    return result.missing


def graded(term: str, inputs: dict[str, object]) -> int | None:
    result = grade(term, inputs)
    assert result.status == "graded"
    return result.grade


def test_every_graded_term_has_a_nothing_wrong_case() -> None:
    assert sorted(NOTHING_WRONG) == GRADED_TERMS


@pytest.mark.parametrize("term", GRADED_TERMS)
def test_no_answers_is_insufficient_and_names_the_primary_question(term: str) -> None:
    missing = insufficient(term, {})
    assert missing
    assert set(missing) <= set(TERMS[term].primary_fields)


@pytest.mark.parametrize("term", GRADED_TERMS)
def test_the_nothing_wrong_answer_grades_zero(term: str) -> None:
    expected = 1 if term == "pneumonitis" else 0
    assert graded(term, NOTHING_WRONG[term]) == expected


def test_secondary_answers_alone_do_not_grade() -> None:
    assert insufficient("diarrhea", {"adl": "self_care", "hospitalized": True}) == (
        "stools_over_baseline",
        "ostomy_output_increase",
    )
    assert insufficient("hypoxia", {}) == ("spo2_rest", "spo2_exertion", "intermittent_oxygen")
    assert insufficient("fever", {"hours_above_40": 30, "rigors": True}) == ("temp_c",)


def test_secondary_answers_not_given_count_as_not_reported() -> None:
    assert graded("diarrhea", {"stools_over_baseline": 5}) == 2
    assert graded("vomiting", {"vomiting_episodes_24h": 3}) == 1
    assert graded("hypoxia", {"spo2_exertion": 86}) == 2
    assert graded("febrile_neutropenia", {"anc_per_mm3": 800, "temp_c": 38.3}) == 0


def test_every_missing_primary_group_is_named() -> None:
    assert insufficient("febrile_neutropenia", {}) == ("anc_per_mm3", "temp_c")
    assert insufficient("febrile_neutropenia", {"temp_c": 39.0}) == ("anc_per_mm3",)
    assert insufficient("febrile_neutropenia", {"anc_per_mm3": 400}) == ("temp_c",)
    assert insufficient("weight_loss", {"current_weight_kg": 60}) == ("baseline_weight_kg",)


def test_nausea_needs_the_oral_intake_unless_already_grade_3() -> None:
    assert insufficient("nausea", {"nausea": True}) == ("oral_intake",)
    assert graded("nausea", {"nausea": True, "hospitalized": True}) == 3
    assert graded("nausea", {"nausea": True, "oral_intake": "normal"}) == 1


def test_anorexia_needs_to_know_whether_eating_changed() -> None:
    assert insufficient("anorexia", {"appetite_loss": True}) == ("eating_altered",)
    assert graded("anorexia", {"appetite_loss": True, "oral_supplements": True}) == 2
    assert graded("anorexia", {"appetite_loss": True, "eating_altered": False}) == 1


def test_fatigue_needs_relief_by_rest_only_when_it_could_change_the_grade() -> None:
    assert insufficient("fatigue", {"fatigue": True}) == ("relieved_by_rest",)
    assert insufficient("fatigue", {"fatigue": True, "adl": "none"}) == ("relieved_by_rest",)
    assert graded("fatigue", {"fatigue": True, "adl": "instrumental"}) == 2
    assert graded("fatigue", {"fatigue": True, "adl": "self_care"}) == 3
    assert graded("fatigue", {"fatigue": True, "relieved_by_rest": False}) == 2


@pytest.mark.parametrize("term", ["rash_maculo_papular", "rash_acneiform"])
def test_rash_over_30_percent_needs_the_symptom_severity(term: str) -> None:
    assert insufficient(term, {"bsa_pct": 40}) == ("symptom_severity",)
    assert insufficient(term, {"bsa_pct": 30.5, "adl": "instrumental"}) == ("symptom_severity",)
    assert graded(term, {"bsa_pct": 30}) == 2
    assert graded(term, {"bsa_pct": 40, "adl": "self_care"}) == 3


def test_acneiform_rash_with_iv_antibiotics_needs_no_severity() -> None:
    assert graded("rash_acneiform", {"bsa_pct": 60, "iv_antibiotics_for_skin_infection": True}) == 4


def test_a_reading_above_40_without_a_duration_is_grade_3() -> None:
    # Reference §1.3 fever: the reading itself meets "for <=24 h" until a longer duration is
    # reported; G4 needs hours_above_40 > 24 [D].
    assert graded("fever", {"temp_c": 40.1}) == 3
    assert graded("fever", {"temp_f": 104.5}) == 3
    assert graded("fever", {"temp_c": 40.1, "hours_above_40": 25}) == 4
    assert graded("fever", {"temp_c": 40.0}) == 2


def test_intermittent_oxygen_alone_is_a_primary_answer_and_grade_2() -> None:
    # Reference §1.3 hypoxia: any one of spo2_rest, spo2_exertion, intermittent_oxygen is a
    # primary field; intermittent_oxygen true alone is G2.
    assert graded("hypoxia", {"intermittent_oxygen": True}) == 2
    assert graded("hypoxia", {"intermittent_oxygen": False}) == 0


@pytest.mark.parametrize(
    ("increase", "expected"), [("none", 0), ("mild", 1), ("moderate", 2), ("severe", 3)]
)
def test_a_stoma_patient_grades_diarrhea_from_the_ostomy_output(
    increase: str, expected: int
) -> None:
    # Reference §1.2/§1.3 diarrhea: ostomy_output_increase is a primary field of its own.
    assert graded("diarrhea", {"ostomy_output_increase": increase}) == expected


def test_ostomy_output_and_the_adl_answer_combine_as_max_over_criteria() -> None:
    assert graded("diarrhea", {"ostomy_output_increase": "mild", "adl": "self_care"}) == 3
    assert graded("diarrhea", {"ostomy_output_increase": "none", "hospitalized": True}) == 3


@pytest.mark.parametrize(
    ("term", "inputs"),
    [
        ("fatigue", {"fatigue": False, "adl": "self_care"}),
        ("fatigue", {"fatigue": False, "relieved_by_rest": False, "adl": "instrumental"}),
        ("nausea", {"nausea": False, "oral_intake": "inadequate", "hospitalized": True}),
        ("nausea", {"nausea": False, "tube_feeding_or_tpn": True}),
        ("anorexia", {"appetite_loss": False, "eating_altered": True, "oral_supplements": True}),
        ("anorexia", {"appetite_loss": False, "tube_feeding_or_tpn": True}),
    ],
)
def test_a_denied_symptom_grades_0_and_says_it_was_denied(
    term: str, inputs: dict[str, object]
) -> None:
    # Reference §1.2 denied-symptom rule: no grade above 0 ever rests on a denied symptom; the
    # contradiction is stored as given and the criteria text says so, so someone can ask again.
    result = grade(term, inputs)
    assert (result.grade, result.status) == (0, "graded")
    assert len(result.criteria) == 1
    assert "denied" in result.criteria[0]


@pytest.mark.parametrize(
    ("term", "inputs"),
    [
        ("fatigue", {"fatigue": False}),
        ("nausea", {"nausea": False}),
        ("anorexia", {"appetite_loss": False}),
    ],
)
def test_a_plain_denial_grades_0_without_a_contradiction_note(
    term: str, inputs: dict[str, object]
) -> None:
    result = grade(term, inputs)
    assert (result.grade, result.status, result.criteria) == (0, "graded", ())


@pytest.mark.parametrize(
    ("term", "field", "value", "lln"),
    [
        ("neutrophil_count_decreased", "anc_per_mm3", 1500, "lln_per_mm3"),
        ("platelet_count_decreased", "platelets_per_mm3", 100_000, "lln_per_mm3"),
        ("anemia", "hb_g_dl", 10.0, "lln_g_dl"),
        ("hypokalemia", "potassium_mmol_l", 3.0, "lln_mmol_l"),
    ],
)
def test_a_lab_value_at_or_above_the_grade_2_cut_needs_the_lab_lln(
    term: str, field: str, value: float, lln: str
) -> None:
    assert insufficient(term, {field: value}) == (lln,)


def test_a_lab_value_below_the_grade_2_cut_needs_no_lln() -> None:
    assert graded("neutrophil_count_decreased", {"anc_per_mm3": 1499}) == 2
    assert graded("platelet_count_decreased", {"platelets_per_mm3": 74_999}) == 2
    assert graded("anemia", {"hb_g_dl": 9.9}) == 2
    assert graded("hypokalemia", {"potassium_mmol_l": 2.9}) == 3


def test_a_lab_value_above_every_allowed_lln_needs_no_lln() -> None:
    assert graded("neutrophil_count_decreased", {"anc_per_mm3": 4001}) == 0
    assert insufficient("neutrophil_count_decreased", {"anc_per_mm3": 3999}) == ("lln_per_mm3",)


def test_a_lab_value_below_every_allowed_lln_is_grade_1_without_the_lln() -> None:
    result = grade("platelet_count_decreased", {"platelets_per_mm3": 75_000})
    assert (result.status, result.grade, result.criteria) == ("graded", 1, ("<LLN - 75,000/mm3",))


def test_an_unneeded_follow_up_is_not_shown_as_a_criterion_met() -> None:
    result = grade("fatigue", {"fatigue": True, "adl": "instrumental"})
    assert result.criteria == ("Limiting instrumental ADL",)


def test_pneumonitis_is_not_graded_without_imaging() -> None:
    assert insufficient("pneumonitis", {}) == ("imaging_confirmed",)
    assert insufficient("pneumonitis", {"imaging_confirmed": False, "symptomatic": True}) == (
        "imaging_confirmed",
    )
    assert insufficient("pneumonitis", {"symptomatic": True, "oxygen_needed": True}) == (
        "imaging_confirmed",
    )


def test_pneumonitis_with_imaging_needs_the_symptom_status() -> None:
    assert insufficient("pneumonitis", {"imaging_confirmed": True}) == ("symptomatic",)
    assert graded("pneumonitis", {"imaging_confirmed": True, "oxygen_needed": True}) == 3
    assert graded("pneumonitis", {"imaging_confirmed": True, "symptomatic": True}) == 2
    urgent: dict[str, object] = {"imaging_confirmed": True, "urgent_airway_intervention": True}
    assert graded("pneumonitis", urgent) == 4


def test_widespread_itch_needs_its_pattern() -> None:
    assert insufficient("pruritus", {"itch_extent": "widespread"}) == ("itch_pattern",)
    assert graded("pruritus", {"itch_extent": "widespread", "sleep_limited": True}) == 3
    assert graded("pruritus", {"itch_extent": "widespread", "itch_pattern": "intermittent"}) == 2


def test_unusable_weights_are_insufficient_rather_than_an_error() -> None:
    missing = insufficient("weight_loss", {"baseline_weight_kg": 0, "current_weight_kg": 60})
    assert missing == ("baseline_weight_kg", "current_weight_kg")


@pytest.mark.parametrize("term", ["liver_symptoms", "heart_symptoms", "vision_change"])
def test_alert_only_terms_are_never_graded(term: str) -> None:
    every_answer_yes = dict.fromkeys(TERMS[term].fields, True)
    for inputs in ({}, every_answer_yes):
        result = grade(term, inputs)
        assert result == GradeResult(term, None, "not_graded")
        assert result.as_dict() == {
            "grade": None,
            "status": "not_graded",
            "criteria": [],
            "ctcae_version": "5.0",
        }


def test_an_unknown_term_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Unknown"):
        grade("stomatitis", {})
