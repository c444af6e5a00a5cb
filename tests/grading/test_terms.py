"""The term table against the reference: every term, field, choice, MedDRA code and grade."""

from __future__ import annotations

import dataclasses
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import diary.grading as grading
from diary.grading import (
    CTCAE_VERSION,
    GRADING_VERSION,
    TERMS,
    FieldSpec,
    GradeResult,
    grade,
    validate_inputs,
)
from diary.grading.ctcae import RULES
from diary.grading.rules import _Threshold
from tests.grading.sources import reference_text, section, table_rows

# The CTCAE grades each term can get here: the CTCAE grades that exist for it (reference §1.3,
# §5.5), without "life-threatening"/death grades, which are never assigned from self-report.
GRADES: dict[str, set[int]] = {
    **dict.fromkeys(
        [
            "diarrhea",
            "nausea",
            "vomiting",
            "anorexia",
            "dehydration",
            "fatigue",
            "dyspnea",
            "cough",
            "rash_maculo_papular",
            "dry_skin",
            "pruritus",
            "paronychia",
            "mucositis_oral",
            "constipation",
            "abdominal_pain",
            "weight_loss",
            "chills",
            "palmar_plantar_erythrodysesthesia",
            "epistaxis",
            "oral_pain",
            "anemia",
            "headache",
            "seizure",
            "confusion",
            "dizziness",
            "dysphasia",
            "muscle_weakness_left_sided",
            "muscle_weakness_right_sided",
        ],
        {1, 2, 3},
    ),
    **dict.fromkeys(
        [
            "pneumonitis",  # G4: urgent airway intervention, clinician-entered
            "fever",  # G4: >40.0 °C for >24 h, numeric
            "rash_acneiform",  # G4: IV antibiotics for superinfection (case G106)
            "heart_failure",
            "neutrophil_count_decreased",
            "platelet_count_decreased",
            "alt_increased",
            "ast_increased",
            "blood_bilirubin_increased",
            "electrocardiogram_qt_corrected_interval_prolonged",
            "hypokalemia",
            "creatinine_increased",
        ],
        {1, 2, 3, 4},
    ),
    "hypoxia": {2, 3},  # no G1 in CTCAE
    "ejection_fraction_decreased": {2, 3, 4},  # no G1 in CTCAE
    "febrile_neutropenia": {3},  # no G1/G2 in CTCAE
    "alopecia": {1, 2},
    "dysgeusia": {1, 2},
    "nail_changes": {1},
    "nail_discoloration": {1},
    **dict.fromkeys(["liver_symptoms", "heart_symptoms", "vision_change"], set()),
}
SELF_REPORT_G4 = {"fever", "rash_acneiform"}


def snake(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def test_the_public_interface_is_importable_from_the_package() -> None:
    for name in (
        "grade",
        "composite",
        "validate_inputs",
        "GradeResult",
        "TERMS",
        "TermSpec",
        "FieldSpec",
        "PROCTCAE_SYMPTOMS",
        "CTCAE_VERSION",
        "GRADING_VERSION",
    ):
        assert name in grading.__all__ and hasattr(grading, name)
    assert CTCAE_VERSION == "5.0"
    assert GRADING_VERSION == "2026.12.1"


def test_every_term_of_the_reference_is_defined() -> None:
    assert set(TERMS) == set(GRADES)
    assert all(name == spec.name for name, spec in TERMS.items())


def test_the_term_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        TERMS["new"] = TERMS["diarrhea"]  # type: ignore[index]
    with pytest.raises(TypeError):
        TERMS["diarrhea"].fields["new"] = TERMS["diarrhea"].fields["adl"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TERMS["diarrhea"].label = "x"  # type: ignore[misc]


@pytest.mark.parametrize("term", sorted(GRADES))
def test_the_criteria_cover_exactly_the_grades_the_term_can_reach(term: str) -> None:
    assert {c.grade for c in RULES[term].criteria} == GRADES[term]
    assert TERMS[term].alert_only is (not GRADES[term])


@pytest.mark.parametrize("term", sorted(t for t, s in TERMS.items() if s.self_reportable))
def test_self_reported_terms_reach_grade_4_only_by_the_named_exceptions(term: str) -> None:
    assert (4 in GRADES[term]) is (term in SELF_REPORT_G4)


# Thresholds on a value computed from two answers: answers that reach each side of them.
WEIGHTS = {"baseline_weight_kg": [60.0], "current_weight_kg": [58.0, 56.0, 50.0, 45.0]}


def interesting_values(term: str, name: str, spec: FieldSpec) -> list[object]:
    """Absent, every choice, or the ends of the range and both sides of every threshold."""
    if spec.kind == "bool":
        return [None, False, True]
    if spec.kind == "choice":
        return [None, *spec.choices]
    values: list[object] = [None, spec.minimum, spec.maximum, *WEIGHTS.get(name, [])]
    for criterion in RULES[term].criteria:
        for condition in [criterion.condition, *getattr(criterion.condition, "conditions", ())]:
            found = [condition, getattr(condition, "low", None), getattr(condition, "high", None)]
            for threshold in found:
                if isinstance(threshold, _Threshold) and threshold.field == name:
                    t = threshold.threshold
                    values += [t, t + 1, t - 1] if spec.kind == "int" else [t, t + 0.5, t - 0.5]
    low, high = spec.minimum, spec.maximum
    return [v for v in values if v is None or low <= v <= high]  # type: ignore[operator]


@pytest.mark.parametrize("term", sorted(GRADES))
def test_every_grade_of_a_term_is_reached_by_valid_answers(term: str) -> None:
    fields = TERMS[term].fields
    options = {name: interesting_values(term, name, spec) for name, spec in fields.items()}
    rng = random.Random(term)
    reached: set[int] = set()
    for _ in range(3000):
        inputs = {n: v for n, values in options.items() if (v := rng.choice(values)) is not None}
        assert validate_inputs(term, inputs, self_report=False) == {}
        result = grade(term, inputs)
        if result.status == "graded":
            assert result.grade is not None
            reached.add(result.grade)
    assert reached - {0} == GRADES[term]


def test_grade_results_are_frozen_and_shaped_as_the_api_says() -> None:
    graded = grade("diarrhea", {"stools_over_baseline": 5, "adl": "instrumental"})
    assert graded == GradeResult(
        term="diarrhea",
        grade=2,
        status="graded",
        criteria=("Increase of 4-6 stools/day over baseline", "Limiting instrumental ADL"),
    )
    assert graded.as_dict() == {
        "grade": 2,
        "status": "graded",
        "criteria": ["Increase of 4-6 stools/day over baseline", "Limiting instrumental ADL"],
        "ctcae_version": "5.0",
    }
    assert grade("rash_acneiform", {}).as_dict() == {
        "grade": None,
        "status": "insufficient",
        "criteria": [],
        "missing": ["bsa_pct"],
        "ctcae_version": "5.0",
    }
    assert grade("fever", {"temp_c": 37.9}).as_dict()["criteria"] == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        graded.grade = 3  # type: ignore[misc]


def test_criteria_name_what_was_met_at_the_returned_grade() -> None:
    result = grade("diarrhea", {"stools_over_baseline": 8, "hospitalized": True})
    assert result.criteria == (
        "Increase of >=7 stools/day over baseline",
        "Hospitalization indicated",
    )
    result = grade("rash_maculo_papular", {"bsa_pct": 40, "symptom_severity": "moderate"})
    assert result.criteria == (
        "Macules/papules covering >30% BSA with moderate or severe symptoms",
    )


@pytest.mark.parametrize(
    ("term", "name", "spec"),
    [(t, n, s) for t, term in TERMS.items() for n, s in term.fields.items()],
)
def test_every_field_is_fully_specified(term: str, name: str, spec: FieldSpec) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert spec.label
    if spec.kind == "choice":
        assert len(spec.choices) >= 2 and spec.minimum is None
    elif spec.kind in ("int", "number"):
        assert spec.minimum is not None and spec.maximum is not None
        assert spec.minimum < spec.maximum and spec.unit and not spec.choices
    else:
        assert spec.minimum is None and not spec.choices


def test_alert_only_terms_have_the_fields_of_section_5_7() -> None:
    text = section(reference_text("reference.md"), "5.7")
    for where, fields, kind, _ in table_rows(text):
        term = re.search(r"`(\w+)`", where).group(1)  # type: ignore[union-attr]
        assert TERMS[term].alert_only is where.startswith("alert-only")
        for field in re.findall(r"`(\w+)`", fields):
            assert TERMS[term].fields[field].kind == kind.split(",")[0]


def test_every_field_named_in_section_1_2_exists() -> None:
    text = section(reference_text("reference.md"), "1.2")
    every_field = {name for spec in TERMS.values() for name in spec.fields}
    named = {token for row in table_rows(text) for token in re.findall(r"`([a-z0-9_]+)`", row[0])}
    assert len(named) > 50
    assert named <= every_field


def test_the_self_report_fields_of_section_1_3_belong_to_their_term() -> None:
    text = section(reference_text("reference.md"), "1.3")
    terms = re.findall(r"^\*\*(.+?)\*\* \(.*?$\s*^SR: (.*)$", text, re.M)
    assert len(terms) >= 18
    for label, self_report in terms:
        first_sentence = re.split(r"\.\s+[A-Z]", self_report)[0]
        fields = set(re.findall(r"`([a-z0-9_]+)`", first_sentence))
        assert fields <= set(TERMS[snake(label)].fields), label


def test_the_cns_fields_and_choices_of_section_5_5_exist() -> None:
    text = section(reference_text("reference.md"), "5.5")
    rows = table_rows(text)
    assert len(rows) == 6
    for row in rows:
        names = [
            snake(w) for w in row[0].replace("muscle weakness", "muscle_weakness").split(" / ")
        ]
        terms = (
            ["muscle_weakness_left_sided", "muscle_weakness_right_sided"]
            if names[0].startswith("muscle")
            else names
        )
        for term in terms:
            fields = TERMS[term].fields
            assert set(re.findall(r"`([a-z_]+)`", row[-1])) <= set(fields)
            for field, choices in re.findall(r"`(\w+)` \(`([\w/]+)`\)", row[-1]):
                assert fields[field].choices == tuple(choices.split("/"))


def test_choices_run_in_the_order_the_reference_gives() -> None:
    text = section(reference_text("reference.md"), "1.2")
    checked = 0
    for first, values, _ in table_rows(text):
        found = dict(re.findall(r"`(\w+)` \(`([\w/]+)`\)", first))
        fields = re.findall(r"`([a-z0-9_]+)`", first)
        if len(fields) == 1 and "`" in values and "bool" not in values:
            words = [w for token in re.findall(r"`([\w/]+)`", values) for w in token.split("/")]
            found[fields[0]] = "/".join(words)
        for field, choices in found.items():
            for spec in TERMS.values():
                if field in spec.fields:
                    assert spec.fields[field].choices == tuple(choices.split("/")), field
                    checked += 1
    assert checked >= 20


def meddra_codes() -> dict[str, str]:
    """Term key -> MedDRA code, from interoperability.md §4.4 and the §1.3 headings."""
    table = section(reference_text("interoperability.md"), "4.4")
    aliases = {
        "alt_increased": "alt_increased",
        "ast_increased": "ast_increased",
        "palmar_plantar_erythrodysesthesia": "palmar_plantar_erythrodysesthesia",
    }
    codes: dict[str, str] = {}
    for row in table_rows(table):
        for words, numbers in zip(row[::2], row[1::2], strict=True):
            names = [n.strip() for n in words.split("/")]
            names = [
                n if " " in n or i == 0 else f"{names[0].split()[0]} {n}"
                for i, n in enumerate(names)
            ]
            for name, code in zip(names, numbers.split("/"), strict=True):
                codes[aliases.get(snake(name), snake(name))] = code.strip()
    headings = section(reference_text("reference.md"), "1.3")
    for label, code in re.findall(r"^\*\*(.+?)\*\* \((?:MedDRA )?(\d{8})", headings, re.M):
        assert codes.setdefault(snake(label), code) == code
    return codes


def test_meddra_codes_are_those_the_reference_gives() -> None:
    codes = meddra_codes()
    assert len(codes) >= 40
    for name, spec in TERMS.items():
        assert spec.meddra_code == codes.get(name), name


def test_the_reference_gives_meddra_codes_for_the_core_terms() -> None:
    codes = meddra_codes()
    assert codes["diarrhea"] == "10012727" and codes["nail_discoloration"] == "10028691"
    with_code = {name for name, spec in TERMS.items() if spec.meddra_code}
    assert len(with_code) == 37


def test_the_engine_imports_no_django_drf_celery_or_settings() -> None:
    forbidden = ("django", "rest_framework", "celery", "config")
    program = (
        "import sys, diary.grading; "
        f"print([m for m in sys.modules if m.split('.')[0] in {forbidden!r}])"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
