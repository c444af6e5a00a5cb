"""The drug catalogue: classes, dose ladders and schedules (pure data, no Django).

Sources are the tags of ../shared/clinical/reference.md §3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diary import vocabulary
from diary.vocabulary import CNS_TERMS, DrugClass


@dataclass(frozen=True, slots=True)
class DoseLevel:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Drug:
    key: str
    name: str
    drug_class: DrugClass
    schedule: str
    dose_levels: tuple[DoseLevel, ...]  # start first, then each reduction in order
    infused: bool = False

    def dose_level(self, code: str) -> DoseLevel:
        for level in self.dose_levels:
            if level.code == code:
                return level
        raise KeyError(code)

    @property
    def dose_codes(self) -> tuple[str, ...]:
        return tuple(level.code for level in self.dose_levels)


TRASTUZUMAB_DERUXTECAN = Drug(
    key=vocabulary.TDXD,
    name="Trastuzumab deruxtecan (Enhertu)",
    drug_class=vocabulary.ADC,
    schedule="IV infusion every 3 weeks",
    # 5.4 -> 4.4 -> 3.2 mg/kg, then discontinue; no re-escalation [V §3.1]. That the same
    # ladder applies to NSCLC is [NV]: the dashboard says "check the current label".
    dose_levels=(
        DoseLevel("5.4_mg_kg", "5.4 mg/kg every 3 weeks (starting dose)"),
        DoseLevel("4.4_mg_kg", "4.4 mg/kg every 3 weeks (first reduction)"),
        DoseLevel("3.2_mg_kg", "3.2 mg/kg every 3 weeks (second reduction)"),
    ),
    infused=True,
)

ZONGERTINIB = Drug(
    key=vocabulary.ZONGERTINIB,
    name="Zongertinib (Hernexeos)",
    drug_class=vocabulary.TKI,
    schedule="Oral, once daily",
    # <90 kg 120 mg, >=90 kg 180 mg once daily; reductions 180 -> 120 -> 60 mg [V §3.2].
    dose_levels=(
        DoseLevel("180_mg_qd", "180 mg once daily (starting dose, >=90 kg)"),
        DoseLevel("120_mg_qd", "120 mg once daily (starting dose <90 kg, or first reduction)"),
        DoseLevel("60_mg_qd", "60 mg once daily (reduction)"),
    ),
)

SEVABERTINIB = Drug(
    key=vocabulary.SEVABERTINIB,
    name="Sevabertinib (Hyrnuo)",
    drug_class=vocabulary.TKI,
    schedule="Oral, twice daily with food",
    # 20 mg BID -> 10 mg BID -> 10 mg QD, then discontinue [V §3.3].
    dose_levels=(
        DoseLevel("20_mg_bid", "20 mg twice daily (starting dose)"),
        DoseLevel("10_mg_bid", "10 mg twice daily (first reduction)"),
        DoseLevel("10_mg_qd", "10 mg once daily (second reduction)"),
    ),
)

OTHER = Drug(
    key=vocabulary.OTHER_DRUG,
    name="Other anticancer therapy",
    drug_class=vocabulary.OTHER_CLASS,
    schedule="As prescribed",
    dose_levels=(DoseLevel("as_prescribed", "As prescribed"),),
)

DRUGS: dict[str, Drug] = {
    drug.key: drug for drug in (TRASTUZUMAB_DERUXTECAN, ZONGERTINIB, SEVABERTINIB, OTHER)
}


def starting_dose(drug_key: str, weight_kg: float | None = None) -> str:
    """The starting dose level code; zongertinib depends on body weight [V §3.2]."""
    drug = DRUGS[drug_key]
    if drug is ZONGERTINIB:
        return "180_mg_qd" if weight_kg is not None and weight_kg >= 90 else "120_mg_qd"
    return drug.dose_levels[0].code


# The symptom terms the app asks about, by drug class (issue: report_terms) [D]:
# T-DXd: respiratory (ILD watch, §5.2), fever (§5.3), GI (highly emetogenic, §3.1), fatigue;
# TKIs: GI (diarrhea, §5.3), skin, nails, mouth (§3.2-3.3), fatigue, and respiratory + fever
# because all three drugs carry an ILD warning (§5.2) and fever applies to any drug (§5.3).
# Patients with brain metastases are also asked the CNS watch terms of §5.5.
# Every patient is asked about chills (§5.3 fever RED: chills with any raised temperature), and
# T-DXd patients about abdominal pain (§5.3 complicated diarrhea: moderate-severe cramping) as
# TKI patients are; a patient enrolled with a home pulse oximeter is asked for SpO2 (hypoxia,
# §5.2) whatever the drug (issue 11).
REPORT_TERMS: dict[DrugClass, tuple[str, ...]] = {
    "adc": (
        "dyspnea",
        "cough",
        "hypoxia",
        "fever",
        "chills",
        "nausea",
        "vomiting",
        "diarrhea",
        "abdominal_pain",
        "anorexia",
        "dehydration",
        "fatigue",
    ),
    "tki": (
        "diarrhea",
        "nausea",
        "vomiting",
        "dehydration",
        "abdominal_pain",
        "rash_acneiform",
        "rash_maculo_papular",
        "dry_skin",
        "pruritus",
        "paronychia",
        "mucositis_oral",
        "fatigue",
        "dyspnea",
        "cough",
        "fever",
        "chills",
    ),
    "other": (
        "dyspnea",
        "cough",
        "fever",
        "chills",
        "nausea",
        "vomiting",
        "diarrhea",
        "fatigue",
    ),
}


# LV dysfunction check (§5.3) applies to T-DXd and zongertinib.
HEART_CHECK_DRUGS = vocabulary.HEART_CHECK_DRUGS
# Hepatotoxicity check (§5.3): zongertinib and sevabertinib, weekly during the first 12 weeks
# (zongertinib LFT schedule q2w for 12 weeks [V]; weekly question [D]).
LIVER_CHECK_DRUGS = vocabulary.LIVER_CHECK_DRUGS
LIVER_CHECK_WEEKS = 12
LIVER_CHECK_INTERVAL_DAYS = 7


def liver_check_due(
    drug_key: str | None, *, days_on_treatment: int, days_since_last_answer: int | None
) -> bool:
    """Ask the liver questions if none were answered in the last week of the first 12 weeks."""
    if drug_key not in LIVER_CHECK_DRUGS or not 0 <= days_on_treatment < LIVER_CHECK_WEEKS * 7:
        return False
    return days_since_last_answer is None or days_since_last_answer >= LIVER_CHECK_INTERVAL_DAYS


def report_terms(
    drug_key: str | None,
    *,
    brain_metastases: bool,
    liver_check: bool = False,
    home_oximeter: bool = False,
) -> list[str]:
    """The terms the diary asks today (the one source of /me ``report_terms``)."""
    drug = DRUGS.get(drug_key or "other", OTHER)
    terms = list(REPORT_TERMS[drug.drug_class])
    if home_oximeter and "hypoxia" not in terms:
        terms.insert(terms.index("cough") + 1 if "cough" in terms else len(terms), "hypoxia")
    if drug.key in HEART_CHECK_DRUGS and "heart_symptoms" not in terms:
        terms.append("heart_symptoms")
    if liver_check:
        terms.append("liver_symptoms")
    if brain_metastases:
        terms.extend(term for term in CNS_TERMS if term not in terms)
    return terms


# What to ask first for a term whose primary answer depends on the patient (§1.2): a patient
# with a stoma is asked the increase in ostomy output instead of the stool count.
STOMA_FIELDS: dict[str, tuple[str, ...]] = {"diarrhea": ("ostomy_output_increase",)}
NO_STOMA_FIELDS: dict[str, tuple[str, ...]] = {"diarrhea": ("stools_over_baseline",)}


def report_fields(terms: Iterable[str], *, stoma: bool) -> dict[str, list[str]]:
    """Per term asked, the primary field(s) the app asks (/me ``report_fields``): the grading
    engine's primary fields, narrowed to the one that fits the patient where a term has
    alternatives (diarrhea: ``ostomy_output_increase`` with a stoma, else the stool count)."""
    from diary.grading import TERMS

    chosen = STOMA_FIELDS if stoma else NO_STOMA_FIELDS
    out: dict[str, list[str]] = {}
    for term in terms:
        spec = TERMS.get(term)
        if term in chosen:
            out[term] = list(chosen[term])
        elif spec is not None:
            out[term] = list(spec.primary_fields) or list(spec.fields)
    return out
