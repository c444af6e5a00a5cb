"""What an export may contain and the codes it writes, in one place.

Code systems are those of ../shared/clinical/interoperability.md: MedDRA for CTCAE terms
(§4.1, system ``https://www.meddra.org`` [S]: HL7 retired ``MDRAE`` in 2021; codes from the
CTCAE v5.0 spreadsheet, §4.4 [V], carried by ``diary.grading.TERMS``), NCI Thesaurus for
PRO-CTCAE items and answers (§4.3 [V]), LOINC and UCUM for the raw vital signs (§4.1), and the
R4 backport of the HL7 AE Clinical Research IG for the grade of an adverse event (§4.1 [V]).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.conf import settings

from diary import grading, instruments
from diary.grading.ctcae import RULES

# --- sources ("instruments") a data manager may choose ------------------------------------
SYMPTOM_DIARY = "symptom_diary"  # patient-reported CTCAE answers and provisional grades
CLINICIAN_OBSERVATIONS = "clinician_observations"  # clinician-confirmed, graded values


def instrument_choices() -> list[tuple[str, str]]:
    """Every source an export may include: the diary, clinician observations, questionnaires."""
    return [
        (SYMPTOM_DIARY, "Symptom diary (patient-reported, provisional CTCAE grades)"),
        (CLINICIAN_OBSERVATIONS, "Clinician-confirmed observations (labs, imaging, LVEF)"),
        *((i.code, i.title) for i in instruments.CURRENT.values()),
    ]


QUESTIONNAIRE_CODES: frozenset[str] = frozenset(instruments.CURRENT)

# --- CTCAE terms ----------------------------------------------------------------------------
CTCAE_VERSION = grading.CTCAE_VERSION


def term_label(term: str) -> str:
    spec = grading.TERMS.get(term)
    return spec.label if spec is not None else term


def allowed_grades(term: str) -> tuple[int, ...]:
    """The grades ToxWatch's grading engine can give a term: 0 (answered, no criterion met) and
    the grade of each of its criteria (so fatigue 0-3, alopecia 0-2, hypoxia 0, 2 and 3; grade
    5 never, as it is never assigned). Read from the engine's rules, never retyped."""
    rules = RULES.get(term)
    if rules is None:
        return ()
    return tuple(sorted({0} | {criterion.grade for criterion in rules.criteria}))


def meddra_code(term: str) -> str | None:
    """The MedDRA LLT code of a CTCAE term (interoperability.md §4.4 [V]); None when §4.4
    lists none for it (such terms are exported with their CTCAE label only)."""
    spec = grading.TERMS.get(term)
    return spec.meddra_code if spec is not None else None


# --- FHIR -------------------------------------------------------------------------------------
MEDDRA_SYSTEM = "https://www.meddra.org"  # [S §4.1]; never the retired MDRAE
LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
NCIT_SYSTEM = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"  # [V §4.3]
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
# AE Clinical Research IG, R4 backport 1.0.1: "ae-grade", a CodeableConcept (§4.1 [V]).
AE_GRADE_EXTENSION = "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/ae-grade"


# Raw vital signs the diary collects, as FHIR vital-signs Observations (§4.1): the answer
# field -> (LOINC codes, display, UCUM unit). SpO2 by pulse oximetry 59408-5 with the base
# vital-signs code 2708-6 [V]; body temperature 8310-5 and body weight 29463-7 [S].
VITAL_SIGNS: Mapping[str, tuple[tuple[str, ...], str, str]] = MappingProxyType(
    {
        "spo2_rest": (("59408-5", "2708-6"), "Oxygen saturation by pulse oximetry, at rest", "%"),
        "spo2_exertion": (
            ("59408-5", "2708-6"),
            "Oxygen saturation by pulse oximetry, after exertion",
            "%",
        ),
        "temp_c": (("8310-5",), "Body temperature", "Cel"),
        "temp_f": (("8310-5",), "Body temperature", "[degF]"),
        "current_weight_kg": (("29463-7",), "Body weight", "kg"),
    }
)
LOINC_DISPLAY = {
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "2708-6": "Oxygen saturation in Arterial blood",
    "8310-5": "Body temperature",
    "29463-7": "Body weight",
}


def local_system(name: str) -> str:
    """A ToxWatch code system or naming system (TOXWATCH_FHIR_BASE, set per deployment)."""
    return f"{settings.TOXWATCH_FHIR_BASE}/{name}"


PROCTCAE_ITEMS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        item.code: (item.group or "", item.ncit_code or "")
        for instrument in instruments.ALL
        if instrument.code.startswith("proctcae_")
        for item in instrument.items
    }
)
PROCTCAE_SYMPTOM_NAMES: frozenset[str] = frozenset(grading.PROCTCAE_SYMPTOMS)
