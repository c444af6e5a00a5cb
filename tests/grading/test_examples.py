"""Every example case of the reference (grading_examples.tsv, proctcae_examples.tsv)."""

from __future__ import annotations

import json

import pytest

from diary.grading import PROCTCAE_SYMPTOMS, TERMS, composite, grade, validate_inputs
from tests.grading.sources import rows

GRADING_CASES = rows("grading_examples.tsv")
PROCTCAE_CASES = rows("proctcae_examples.tsv")
ATTRIBUTES = ("frequency", "severity", "interference", "amount")


def proctcae_symptom(words: str) -> str:
    """The snake_case key of an example's symptom words ("acne/pimples" -> "acne")."""
    return words.split("/")[0].replace(" ", "_")


def test_the_example_files_hold_every_case() -> None:
    assert len(GRADING_CASES) == 63
    assert len(PROCTCAE_CASES) == 42


@pytest.mark.parametrize("case", GRADING_CASES, ids=[c["case_id"] for c in GRADING_CASES])
def test_grading_example_gets_the_expected_grade(case: dict[str, str]) -> None:
    result = grade(case["term"], json.loads(case["inputs"]))
    if case["expected_grade"] == "insufficient":
        assert (result.status, result.grade) == ("insufficient", None)
        assert result.missing
    else:
        assert (result.status, result.grade) == ("graded", int(case["expected_grade"]))
        assert result.missing == ()


@pytest.mark.parametrize("case", GRADING_CASES, ids=[c["case_id"] for c in GRADING_CASES])
def test_grading_example_inputs_are_valid_answers(case: dict[str, str]) -> None:
    term = case["term"]
    inputs = json.loads(case["inputs"])
    assert validate_inputs(term, inputs, self_report=False) == {}
    if TERMS[term].self_reportable:
        assert validate_inputs(term, inputs) == {}


@pytest.mark.parametrize("case", PROCTCAE_CASES, ids=[c["case_id"] for c in PROCTCAE_CASES])
def test_proctcae_example_gets_the_expected_composite(case: dict[str, str]) -> None:
    symptom = proctcae_symptom(case["term"])
    answers = {a: int(case[a]) for a in ATTRIBUTES if case[a]}
    expected = case["expected_composite"]
    if expected == "not_graded":
        with pytest.raises(ValueError, match="yes/no"):
            composite(symptom, **answers)
    elif expected == "insufficient":
        assert composite(symptom, **answers) is None
    else:
        assert composite(symptom, **answers) == int(expected)


@pytest.mark.parametrize("case", PROCTCAE_CASES, ids=[c["case_id"] for c in PROCTCAE_CASES])
def test_proctcae_example_names_the_items_of_the_library(case: dict[str, str]) -> None:
    items = case["item"].split(" ")[0].split("/")
    library = PROCTCAE_SYMPTOMS[proctcae_symptom(case["term"])]
    assert [item.item_id for item in library.items] == [f"PROCTCAE_{i}" for i in items]
