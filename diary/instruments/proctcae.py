"""PRO-CTCAE item sets per drug, built from the item library of ``diary.grading`` (reference §2.1).

Each set is an instrument of its own (``proctcae_tdxd`` ...), asked weekly by default: the
standard recall period is "the last 7 days" [V §2.1]. Items keep the ProAE naming
(``PROCTCAE_16A``) and their NCIt codes; the answers are the 0-4 attribute scores [V §2.1].
Branching [V §2.1]: when the first item of a symptom is 0 (Never / None), its follow-up items are
not asked, so they must be left out; otherwise they must be answered. Scores are the composite
grades 0-3 of Basch et al. 2021 per symptom (``diary.grading.composite``, §2.2); yes/no items have
no composite and are recorded only. A composite grade is never a CTCAE grade (§5.4).

Which symptoms each drug's set asks is a design choice [D], from the drug profiles of §3 and the
watch lists of §5:
- T-DXd: its most common adverse reactions (§3.1 [V]: nausea, fatigue, vomiting, alopecia,
  constipation, decreased appetite, diarrhea), the ILD watch (§5.2: shortness of breath, cough),
  chills (fever watch, §5.3) and the LV dysfunction check (§5.3: arm or leg swelling,
  palpitations);
- zongertinib: GI (diarrhea, nausea, vomiting, abdominal pain, decreased appetite; §3.2, §5.3),
  rash and nail changes (§3.2 [S]), fatigue, the ILD watch and the LV check (§3.2 [V]);
- sevabertinib: GI as above, skin (rash, acne, dry and itchy skin), nails (paronychia has no
  PRO-CTCAE item), mouth sores (stomatitis), fatigue, the ILD watch, and blurred vision for its
  ocular toxicity warning (§3.3);
- other drugs: a general set;
- patients with brain metastases also get ``proctcae_cns`` (§5.5: headache, dizziness, blurred
  vision, concentration, memory).
The wording of PRO-CTCAE items is not shipped: clinics load NCI's text; the app shows the
item's label (symptom and attribute) when none is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

from diary.grading import PROCTCAE_SYMPTOMS, composite
from diary.grading.proctcae import RESPONSE_WORDS, Symptom
from diary.instruments.base import (
    EnableWhen,
    Instrument,
    Item,
    ResponseScale,
    Scale,
    Scorer,
    Scores,
)

VERSION = "1"  # of our item sets; PRO-CTCAE itself is version 1.0

SCALES: Mapping[str, ResponseScale] = {
    attribute: ResponseScale(
        code=f"proctcae_{attribute}",
        minimum=0,
        maximum=len(words) - 1,
        labels=words,
        ncit_codes=tuple(
            response.ncit_code
            for response in next(
                item.responses
                for symptom in PROCTCAE_SYMPTOMS.values()
                for item in symptom.items
                if item.attribute == attribute
            )
        ),
    )
    for attribute, words in RESPONSE_WORDS.items()
}

ITEM_SETS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "proctcae_tdxd": (
        "PRO-CTCAE, trastuzumab deruxtecan",
        (
            "nausea",
            "vomiting",
            "decreased_appetite",
            "constipation",
            "diarrhea",
            "fatigue",
            "hair_loss",
            "shortness_of_breath",
            "cough",
            "chills",
            "arm_or_leg_swelling",
            "pounding_or_racing_heartbeat",
        ),
    ),
    "proctcae_zongertinib": (
        "PRO-CTCAE, zongertinib",
        (
            "diarrhea",
            "nausea",
            "vomiting",
            "pain_in_abdomen",
            "decreased_appetite",
            "rash",
            "nail_loss",
            "nail_ridges",
            "nail_color_change",
            "fatigue",
            "shortness_of_breath",
            "cough",
            "arm_or_leg_swelling",
            "pounding_or_racing_heartbeat",
        ),
    ),
    "proctcae_sevabertinib": (
        "PRO-CTCAE, sevabertinib",
        (
            "diarrhea",
            "nausea",
            "vomiting",
            "pain_in_abdomen",
            "decreased_appetite",
            "rash",
            "acne",
            "dry_skin",
            "itchy_skin",
            "nail_loss",
            "nail_ridges",
            "nail_color_change",
            "mouth_or_throat_sores",
            "fatigue",
            "shortness_of_breath",
            "cough",
            "blurred_vision",
        ),
    ),
    "proctcae_other": (
        "PRO-CTCAE, general",
        (
            "nausea",
            "vomiting",
            "diarrhea",
            "decreased_appetite",
            "pain_in_abdomen",
            "fatigue",
            "shortness_of_breath",
            "cough",
        ),
    ),
    "proctcae_cns": (
        "PRO-CTCAE, brain metastases watch",
        ("headache", "dizziness", "blurred_vision", "concentration", "memory"),
    ),
}

BY_DRUG: Mapping[str, str] = {
    "trastuzumab_deruxtecan": "proctcae_tdxd",
    "zongertinib": "proctcae_zongertinib",
    "sevabertinib": "proctcae_sevabertinib",
    "other": "proctcae_other",
}


def _items(symptom: Symptom) -> tuple[Item, ...]:
    first = symptom.items[0].item_id
    return tuple(
        Item(
            code=item.item_id,
            scale=SCALES[item.attribute],
            label=f"{symptom.label}: {item.attribute}",
            required=True,
            # Follow-ups are asked only when the first item is above 0 [V §2.1].
            enable_when=None if position == 0 else EnableWhen(first, 0),
            group=symptom.name,
            ncit_code=f"{symptom.ncit_code}/{item.attribute_ncit_code}",
        )
        for position, item in enumerate(symptom.items)
    )


def _scorer(symptoms: tuple[Symptom, ...]) -> Scorer:
    def score(answers: Mapping[str, int]) -> Scores:
        scores: Scores = {}
        for symptom in symptoms:
            if symptom.presence:
                continue  # yes/no items have no composite grade (§2.2 rule 1)
            given = {item.attribute: answers.get(item.item_id) for item in symptom.items}
            scores[symptom.name] = composite(
                symptom.name,
                frequency=given.get("frequency"),
                severity=given.get("severity"),
                interference=given.get("interference"),
                amount=given.get("amount"),
            )
        return scores

    return score


def _instrument(code: str) -> Instrument:
    title, names = ITEM_SETS[code]
    symptoms = tuple(PROCTCAE_SYMPTOMS[name] for name in names)
    return Instrument(
        code=code,
        version=VERSION,
        title=title,
        source="NCI PRO-CTCAE v1.0 items (reference §2.1); composite grades Basch 2021 (§2.2)",
        recall="the last 7 days",
        licensed=True,
        items=tuple(item for symptom in symptoms for item in _items(symptom)),
        scales=tuple(
            Scale(
                code=symptom.name,
                label=f"{symptom.label} (composite grade)",
                kind="composite",
                items=tuple(item.item_id for item in symptom.items),
                higher_is_better=False,
                maximum=3,
            )
            for symptom in symptoms
            if not symptom.presence
        ),
        scorer=_scorer(symptoms),
    )


INSTRUMENTS: tuple[Instrument, ...] = tuple(_instrument(code) for code in ITEM_SETS)
