"""PRO-CTCAE: the item library (reference §2.1) and the composite grade (§2.2)."""

from __future__ import annotations

import itertools

import pytest

from diary.grading import PROCTCAE_SYMPTOMS, composite
from tests.grading.sources import rows

TABLE = rows("proctcae_composite_table.tsv")
COMPOSITE_SYMPTOMS = sorted(n for n, s in PROCTCAE_SYMPTOMS.items() if not s.presence)
PRESENCE_SYMPTOMS = ["rash", "nail_loss", "nail_ridges", "nail_color_change"]

# api.md "Grading from Python", then the CNS items of interoperability.md §4.3.
API_SYMPTOMS = [
    "decreased_appetite",
    "nausea",
    "vomiting",
    "constipation",
    "diarrhea",
    "pain_in_abdomen",
    "loss_of_bowel_control",
    "shortness_of_breath",
    "cough",
    "wheezing",
    "mouth_or_throat_sores",
    "taste_changes",
    "dry_skin",
    "acne",
    "hair_loss",
    "itchy_skin",
    "hand_foot_syndrome",
    "fatigue",
    "chills",
    "arm_or_leg_swelling",
    "pounding_or_racing_heartbeat",
    "nosebleeds",
]
CNS_SYMPTOMS = ["headache", "dizziness", "blurred_vision", "concentration", "memory"]

# NCIt concept code and ProAE item number of each symptom (interoperability.md §4.3, §2.1).
NCIT: dict[str, tuple[str, int]] = {
    "shortness_of_breath": ("C205944", 19),
    "cough": ("C205945", 20),
    "wheezing": ("C205946", 21),
    "diarrhea": ("C205941", 16),
    "nausea": ("C205934", 9),
    "vomiting": ("C205935", 10),
    "decreased_appetite": ("C205933", 8),
    "pain_in_abdomen": ("C205942", 17),
    "constipation": ("C205940", 15),
    "taste_changes": ("C205932", 7),
    "mouth_or_throat_sores": ("C205928", 3),
    "fatigue": ("C205978", 53),
    "rash": ("C205949", 24),
    "dry_skin": ("C205950", 25),
    "itchy_skin": ("C205953", 28),
    "hand_foot_syndrome": ("C205955", 30),
    "nail_loss": ("C205956", 31),
    "nail_ridges": ("C205957", 32),
    "nail_color_change": ("C205958", 33),
    "acne": ("C205951", 26),
    "headache": ("C205974", 49),
    "dizziness": ("C205965", 40),
    "blurred_vision": ("C205966", 41),
    "concentration": ("C205971", 46),
    "memory": ("C205972", 47),
    "chills": ("C205999", 74),
    "arm_or_leg_swelling": ("C205947", 22),
    "pounding_or_racing_heartbeat": ("C205948", 23),
    "nosebleeds": ("C206003", 78),
    "hair_loss": ("C205952", 27),
    "loss_of_bowel_control": ("C205943", 18),
}
ATTRIBUTE_CODES = {
    "frequency": "C25515",
    "severity": "C25676",
    "interference": "C206082",
    "amount": "C25256",
    "presence": "C44183",
}
ANSWERS = {
    "frequency": [
        ("Never", "C70543"),
        ("Rarely", "C73116"),
        ("Occasionally", "C151974"),
        ("Frequently", "C64649"),
        ("Almost constantly", "C125404"),
    ],
    "severity": [
        ("None", "C41132"),
        ("Mild", "C70666"),
        ("Moderate", "C61376"),
        ("Severe", "C70667"),
        ("Very severe", "C103457"),
    ],
    "interference": [
        ("Not at all", "C91213"),
        ("A little bit", "C91214"),
        ("Somewhat", "C91215"),
        ("Quite a bit", "C91216"),
        ("Very much", "C91217"),
    ],
    "presence": [("No", "C49487"), ("Yes", "C49488")],
}
ANSWERS["amount"] = ANSWERS["interference"]


def score(cell: str) -> int | None:
    return int(cell) if cell else None


def symptoms_graded_by(item_set: str) -> list[str]:
    return [n for n in COMPOSITE_SYMPTOMS if PROCTCAE_SYMPTOMS[n].item_set == item_set]


def test_the_library_holds_the_api_symptoms_the_presence_items_and_the_cns_items() -> None:
    assert set(PROCTCAE_SYMPTOMS) == {*API_SYMPTOMS, *PRESENCE_SYMPTOMS, *CNS_SYMPTOMS}
    assert sorted(n for n, s in PROCTCAE_SYMPTOMS.items() if s.presence) == sorted(
        PRESENCE_SYMPTOMS
    )


@pytest.mark.parametrize("name", sorted(NCIT))
def test_every_symptom_has_its_ncit_code_and_proae_items(name: str) -> None:
    symptom = PROCTCAE_SYMPTOMS[name]
    code, number = NCIT[name]
    assert symptom.ncit_code == code
    assert [item.item_id for item in symptom.items] == [
        f"PROCTCAE_{number}{letter}" for letter in "ABC"[: len(symptom.items)]
    ]
    for item in symptom.items:
        assert item.attribute_ncit_code == ATTRIBUTE_CODES[item.attribute]
        assert [(r.word, r.ncit_code) for r in item.responses] == ANSWERS[item.attribute]
        assert [r.score for r in item.responses] == list(range(len(item.responses)))


def test_every_symptom_of_the_library_was_checked() -> None:
    assert set(NCIT) == set(PROCTCAE_SYMPTOMS)


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("pain_in_abdomen", ("frequency", "severity", "interference")),
        ("loss_of_bowel_control", ("frequency", "interference")),
        ("shortness_of_breath", ("severity", "interference")),
        ("nausea", ("frequency", "severity")),
        ("diarrhea", ("frequency",)),
        ("dry_skin", ("severity",)),
        ("hair_loss", ("amount",)),
        ("rash", ("presence",)),
    ],
)
def test_attributes_are_in_item_order(name: str, attributes: tuple[str, ...]) -> None:
    assert PROCTCAE_SYMPTOMS[name].attributes == attributes


def test_the_composite_table_has_all_179_combinations() -> None:
    assert len(TABLE) == 179
    counts = {s: sum(r["item_set"] == s for r in TABLE) for s in {r["item_set"] for r in TABLE}}
    assert counts == {
        "frequency only": 5,
        "severity only": 5,
        "interference/amount only": 5,
        "frequency+severity": 21,
        "severity+interference": 21,
        "frequency+interference": 21,
        "frequency+severity+interference": 101,
    }
    assert all(symptoms_graded_by(item_set) for item_set in counts)


@pytest.mark.parametrize("row", TABLE, ids=lambda r: "-".join(r.values()))
def test_every_table_row_is_the_composite_of_every_symptom_with_that_item_set(
    row: dict[str, str],
) -> None:
    f, s, i = score(row["frequency"]), score(row["severity"]), score(row["interference_or_amount"])
    for name in symptoms_graded_by(row["item_set"]):
        if PROCTCAE_SYMPTOMS[name].attributes == ("amount",):
            assert composite(name, amount=i) == int(row["composite_grade"])
            assert composite(name, interference=i) == int(row["composite_grade"])
        else:
            assert composite(name, f, s, i) == int(row["composite_grade"])


def expected_composite(name: str, answers: dict[str, int | None]) -> int | None:
    """§2.2 written out again from the test's copy of the table, to compare with composite()."""
    symptom = PROCTCAE_SYMPTOMS[name]
    values = [answers[a] for a in symptom.attributes]
    if values[0] is None:
        return None
    if values[0] == 0:
        return 0
    if None in values:
        return None
    key = {
        "frequency": answers.get("frequency"),
        "severity": answers.get("severity"),
        "interference": answers.get("interference", answers.get("amount")),
    }
    for row in TABLE:
        if row["item_set"] == symptom.item_set and (
            score(row["frequency"]),
            score(row["severity"]),
            score(row["interference_or_amount"]),
        ) == (key["frequency"], key["severity"], key["interference"]):
            return int(row["composite_grade"])
    raise AssertionError(f"{name} {answers} is not in the table")


@pytest.mark.parametrize("name", COMPOSITE_SYMPTOMS)
def test_every_answer_combination_follows_the_branching_rule_and_the_table(name: str) -> None:
    attributes = PROCTCAE_SYMPTOMS[name].attributes
    for values in itertools.product([None, 0, 1, 2, 3, 4], repeat=len(attributes)):
        answers: dict[str, int | None] = dict(zip(attributes, values, strict=True))
        assert composite(name, **answers) == expected_composite(name, answers), answers


@pytest.mark.parametrize("name", COMPOSITE_SYMPTOMS)
def test_the_composite_never_falls_when_an_answer_rises(name: str) -> None:
    attributes = PROCTCAE_SYMPTOMS[name].attributes
    for values in itertools.product(range(5), repeat=len(attributes)):
        answers = dict(zip(attributes, values, strict=True))
        for attribute in attributes:
            if answers[attribute] < 4:
                raised = {**answers, attribute: answers[attribute] + 1}
                assert composite(name, **raised) >= composite(name, **answers)  # type: ignore[operator]


def test_a_first_answer_of_zero_ignores_the_follow_ups() -> None:
    assert composite("nausea", frequency=0, severity=4) == 0
    assert composite("pain_in_abdomen", frequency=0, severity=4, interference=4) == 0
    assert composite("fatigue", severity=0, interference=3) == 0


def test_a_missing_answer_gives_no_composite() -> None:
    assert composite("pain_in_abdomen", severity=2, interference=1) is None  # A missing
    assert composite("pain_in_abdomen", frequency=2, severity=2) is None
    assert composite("fatigue", interference=2) is None
    assert composite("diarrhea") is None


def test_three_items_at_their_lowest_non_zero_start_grade_lower_than_two() -> None:
    assert composite("pain_in_abdomen", frequency=1, severity=0, interference=0) == 0
    assert composite("nausea", frequency=1, severity=0) == 1


@pytest.mark.parametrize("name", PRESENCE_SYMPTOMS)
def test_a_yes_no_item_has_no_composite(name: str) -> None:
    with pytest.raises(ValueError, match="yes/no"):
        composite(name)


def test_an_unknown_symptom_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Unknown"):
        composite("stomatitis", severity=1)


@pytest.mark.parametrize("value", [True, False, 5, -1, 2.0, "2"])
def test_an_answer_must_be_an_int_from_0_to_4(value: object) -> None:
    with pytest.raises(ValueError, match="0 to 4"):
        composite("nausea", frequency=value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="0 to 4"):
        composite("nausea", frequency=0, severity=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "answers"),
    [
        ("diarrhea", {"frequency": 1, "severity": 1}),
        ("nausea", {"frequency": 1, "severity": 1, "interference": 0}),
        ("fatigue", {"frequency": 1, "severity": 1, "interference": 1}),
        ("dry_skin", {"amount": 2}),
        ("hair_loss", {"severity": 2}),
        ("shortness_of_breath", {"severity": 1, "amount": 1}),
    ],
)
def test_an_attribute_the_symptom_does_not_have_is_a_value_error(
    name: str, answers: dict[str, int]
) -> None:
    with pytest.raises(ValueError, match="has no"):
        composite(name, **answers)


def test_hair_loss_amount_may_be_given_as_interference_but_not_both() -> None:
    assert composite("hair_loss", interference=3) == composite("hair_loss", amount=3) == 2
    with pytest.raises(ValueError, match="not both"):
        composite("hair_loss", amount=2, interference=2)
