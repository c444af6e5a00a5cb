"""PRO-CTCAE: the item library used here (reference §2.1) and the composite grade (§2.2).

Both tables ship as data files beside this module and are read once, at import:
- data/proctcae_composite_table.tsv: the 179-row composite mapping of Basch et al. 2021 as
  published in ProAE (cran/ProAE 1.0.4 `comp_tab`) [V];
- data/proctcae_ncit_terminology.tsv: NCI Thesaurus 24.06d codes of the PRO-CTCAE symptoms,
  attributes and answers [V].
Nothing of either table is retyped here. A composite grade (0-3) is never a CTCAE grade (§5.4).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Final, Literal

Attribute = Literal["frequency", "severity", "interference", "amount", "presence"]

# Answer words, scored 0 upwards (§2.1 [V]: ProAE recode table and the NCIt value list).
RESPONSE_WORDS: Mapping[Attribute, tuple[str, ...]] = MappingProxyType(
    {
        "frequency": ("Never", "Rarely", "Occasionally", "Frequently", "Almost constantly"),
        "severity": ("None", "Mild", "Moderate", "Severe", "Very severe"),
        "interference": ("Not at all", "A little bit", "Somewhat", "Quite a bit", "Very much"),
        "amount": ("Not at all", "A little bit", "Somewhat", "Quite a bit", "Very much"),
        "presence": ("No", "Yes"),
    }
)

# The NCIt names of the attributes (proctcae_term column of the terminology file).
_NCIT_ATTRIBUTE: Mapping[Attribute, str] = {
    "frequency": "Frequency",
    "severity": "Severity",
    "interference": "Interference (with daily activities)",
    "amount": "Amount",
    "presence": "Presence/Absence",
}

FREQ: Final = "frequency"
SEV: Final = "severity"
INTF: Final = "interference"
AMT: Final = "amount"
PRES: Final = "presence"

# (key, §2.1 wording, ProAE item number, attributes in item order A/B/C, NCIt preferred term) [V]
# Item numbers and attributes: ProAE `proctcae_vars`; NCIt names: proctcae_ncit_terminology.tsv.
_LIBRARY: tuple[tuple[str, str, int, tuple[Attribute, ...], str], ...] = (
    ("mouth_or_throat_sores", "Mouth or throat sores", 3, (SEV, INTF), "Mouth/Throat Sores"),
    ("taste_changes", "Taste changes", 7, (SEV,), "Taste Changes"),
    ("decreased_appetite", "Decreased appetite", 8, (SEV, INTF), "Decreased Appetite"),
    ("nausea", "Nausea", 9, (FREQ, SEV), "Nausea"),
    ("vomiting", "Vomiting", 10, (FREQ, SEV), "Vomiting"),
    ("constipation", "Constipation", 15, (SEV,), "Constipation"),
    ("diarrhea", "Diarrhea (loose or watery stools)", 16, (FREQ,), "Diarrhea"),
    ("pain_in_abdomen", "Pain in abdomen", 17, (FREQ, SEV, INTF), "Abdominal Pain"),
    ("loss_of_bowel_control", "Loss of bowel control", 18, (FREQ, INTF), "Fecal Incontinence"),
    ("shortness_of_breath", "Shortness of breath", 19, (SEV, INTF), "Shortness of Breath"),
    ("cough", "Cough", 20, (SEV, INTF), "Coughing"),
    ("wheezing", "Wheezing", 21, (SEV,), "Wheezing"),
    (
        "arm_or_leg_swelling",
        "Arm or leg swelling",
        22,
        (FREQ, SEV, INTF),
        "Swelling (Arms or Legs)",
    ),
    (
        "pounding_or_racing_heartbeat",
        "Pounding or racing heartbeat",
        23,
        (FREQ, SEV),
        "Heart Palpitations",
    ),
    ("rash", "Rash", 24, (PRES,), "Rash"),
    ("dry_skin", "Dry skin", 25, (SEV,), "Skin Dryness"),
    ("acne", "Acne or pimples", 26, (SEV,), "Acne"),
    ("hair_loss", "Hair loss", 27, (AMT,), "Hair Loss"),
    ("itchy_skin", "Itchy skin", 28, (SEV,), "Itching"),
    ("hand_foot_syndrome", "Hand-foot syndrome", 30, (SEV,), "Hand-Foot Syndrome"),
    ("nail_loss", "Nail loss", 31, (PRES,), "Nail Loss"),
    ("nail_ridges", "Nail ridges", 32, (PRES,), "Nail Ridging"),
    ("nail_color_change", "Nail colour change", 33, (PRES,), "Nail Discoloration"),
    ("dizziness", "Dizziness", 40, (SEV, INTF), "Dizziness"),
    ("blurred_vision", "Blurred vision", 41, (SEV, INTF), "Blurred Vision"),
    ("concentration", "Problems with concentration", 46, (SEV, INTF), "Concentration Problems"),
    ("memory", "Problems with memory", 47, (SEV, INTF), "Memory Problems"),
    ("headache", "Headache", 49, (FREQ, SEV, INTF), "Headache"),
    ("fatigue", "Fatigue", 53, (SEV, INTF), "Fatigue"),
    ("chills", "Chills", 74, (FREQ, SEV), "Chills"),
    ("nosebleeds", "Nosebleeds", 78, (FREQ, SEV), "Nosebleed"),
)


@dataclass(frozen=True, slots=True)
class Response:
    score: int
    word: str
    ncit_code: str


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str  # ProAE naming, e.g. "PROCTCAE_16A"
    attribute: Attribute
    attribute_ncit_code: str
    responses: tuple[Response, ...]


@dataclass(frozen=True, slots=True)
class Symptom:
    name: str
    label: str
    ncit_code: str
    ncit_term: str
    items: tuple[Item, ...]

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(item.attribute for item in self.items)

    @property
    def presence(self) -> bool:
        """A yes/no item: no composite grade (§2.2 rule 1)."""
        return self.attributes == ("presence",)

    @property
    def item_set(self) -> str | None:
        """The `item_set` of the composite table that grades this symptom (None: presence)."""
        if self.presence:
            return None
        # Amount is graded with the interference table (§2.2 rule 4).
        parts = [INTF if a == AMT else a for a in self.attributes]
        if parts == [INTF]:
            return "interference/amount only"
        return parts[0] + " only" if len(parts) == 1 else "+".join(parts)


def _rows(name: str) -> list[dict[str, str]]:
    text = files("diary.grading").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


def _load_library() -> dict[str, Symptom]:
    rows = _rows("proctcae_ncit_terminology.tsv")
    by_term = {r["ncit_preferred_term"].lower(): r for r in rows}
    attribute_codes = {
        r["proctcae_term"]: r["ncit_code"]
        for r in rows
        if r["subset_name"] == "PRO-CTCAE Attribute Terminology"
    }
    value_codes = {
        r["proctcae_term"].lower(): r["ncit_code"]
        for r in rows
        if r["subset_name"] == "PRO-CTCAE Attribute Value Terminology"
    }
    library: dict[str, Symptom] = {}
    for name, label, number, attributes, ncit_term in _LIBRARY:
        row = by_term.get(f"{ncit_term}, PRO-CTCAE".lower())
        codes = [attribute_codes[_NCIT_ATTRIBUTE[a]] for a in attributes]
        if row is None or set(row["attribute_codes"].split(";")) != set(codes):
            raise RuntimeError(f"PRO-CTCAE {name}: not found in the NCIt file, or other attributes")
        items = tuple(
            Item(
                item_id=f"PROCTCAE_{number}{'ABC'[position]}",
                attribute=attribute,
                attribute_ncit_code=code,
                responses=tuple(
                    Response(score, word, value_codes[word.lower()])
                    for score, word in enumerate(RESPONSE_WORDS[attribute])
                ),
            )
            for position, (attribute, code) in enumerate(zip(attributes, codes, strict=True))
        )
        library[name] = Symptom(name, label, row["ncit_code"], ncit_term, items)
    return library


def _score(cell: str) -> int | None:
    return int(cell) if cell else None


def _load_table() -> dict[tuple[str, int | None, int | None, int | None], int]:
    return {
        (
            r["item_set"],
            _score(r["frequency"]),
            _score(r["severity"]),
            _score(r["interference_or_amount"]),
        ): int(r["composite_grade"])
        for r in _rows("proctcae_composite_table.tsv")
    }


PROCTCAE_SYMPTOMS: Mapping[str, Symptom] = MappingProxyType(_load_library())
COMPOSITE_TABLE: Mapping[tuple[str, int | None, int | None, int | None], int] = MappingProxyType(
    _load_table()
)
_GRADED = {
    name: (symptom.item_set, symptom.attributes)
    for name, symptom in PROCTCAE_SYMPTOMS.items()
    if symptom.item_set is not None
}


def _check(symptom: str, attribute: str, value: object, attributes: tuple[str, ...]) -> None:
    if attribute not in attributes:
        raise ValueError(f"PRO-CTCAE {symptom} has no {attribute} item")
    if type(value) is not int or not 0 <= value <= 4:
        raise ValueError(f"PRO-CTCAE {attribute} answer must be an int from 0 to 4, not {value!r}")


def composite(
    symptom: str,
    frequency: int | None = None,
    severity: int | None = None,
    interference: int | None = None,
    amount: int | None = None,
) -> int | None:
    """The PRO-CTCAE composite grade 0-3 of one symptom's answers (scores 0-4), or None when an
    answer the symptom needs is missing.

    The first item of the symptom (frequency, else severity, else interference/amount) is "A":
    A missing gives None; A = 0 gives 0 whatever the follow-ups say (branching, §2.2 rule 2);
    otherwise the combination is looked up in the published table. For an amount symptom (hair
    loss), `interference=` is accepted for `amount=`: ProAE stores amount in that column.
    """
    graded = _GRADED.get(symptom)
    if graded is None:
        if symptom in PROCTCAE_SYMPTOMS:
            raise ValueError(f"PRO-CTCAE {symptom} is a yes/no item: it has no composite grade")
        raise ValueError(f"Unknown PRO-CTCAE symptom: {symptom!r}")
    item_set, attributes = graded
    if attributes == (AMT,) and interference is not None:
        if amount is not None:
            raise ValueError("Give the hair-loss answer as amount= or interference=, not both")
        amount, interference = interference, None
    answers = {FREQ: frequency, SEV: severity, INTF: interference, AMT: amount}
    for attribute, value in answers.items():
        if value is not None:
            _check(symptom, attribute, value, attributes)
    first = answers[attributes[0]]
    if first is None:
        return None
    if first == 0:
        return 0
    if any(answers[a] is None for a in attributes):
        return None
    key = (
        item_set,
        frequency,
        severity,
        interference if interference is not None else amount,
    )
    return COMPOSITE_TABLE[key]
