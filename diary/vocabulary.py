"""The words every app shares, defined once: alert levels, alert kinds, notification channels and
drugs (pure Python, standard library only).

It lives in ``diary`` because the layers run clinicians -> alerts -> diary: every app, and the
pure rules package ``alerts.rules``, may import it. The Django choices (``diary.models.AlertLevel``
and ``Drug``, ``alerts.models.Level``, ``Kind`` and ``Channel``) take their values and labels from
here, and ``tests/test_vocabulary.py`` fails when a choices list and this module disagree. Values
are persisted: never rename one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

# --- alert levels (reference §5.1), least to most urgent ---------------------------------------

Level = Literal["green", "amber", "red"]
GREEN: Final = "green"
AMBER: Final = "amber"
RED: Final = "red"
LEVELS: tuple[Level, ...] = (GREEN, AMBER, RED)
LEVEL_RANK: Mapping[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
LEVEL_LABELS: Mapping[str, str] = {GREEN: "Green", AMBER: "Amber", RED: "Red"}

# --- alert kinds: one queue each, one active alert per patient and kind -----------------------

ILD: Final = "ild"
GI: Final = "gi"
FEVER: Final = "fever"
HEPATIC: Final = "hepatic"
CARDIAC: Final = "cardiac"
CNS: Final = "cns"
ADHERENCE: Final = "adherence"
LOPERAMIDE: Final = "loperamide"
DIARY: Final = "diary"
OTHER_KIND: Final = "other"
KIND_LABELS: Mapping[str, str] = {
    ILD: "Possible ILD / pneumonitis",
    GI: "GI: diarrhea, vomiting, dehydration",
    FEVER: "Fever",
    HEPATIC: "Possible liver toxicity",
    CARDIAC: "Possible LV dysfunction",
    CNS: "Neurological (brain metastases)",
    ADHERENCE: "Missed TKI doses",
    LOPERAMIDE: "Loperamide over the daily maximum",
    DIARY: "No diary",
    OTHER_KIND: "Other",
}
KINDS: tuple[str, ...] = tuple(KIND_LABELS)

# --- notification channels -------------------------------------------------------------------

DASHBOARD: Final = "dashboard"
EMAIL: Final = "email"
SMS: Final = "sms"
PAGER: Final = "pager"
PATIENT_APP: Final = "patient"
CHANNEL_LABELS: Mapping[str, str] = {
    DASHBOARD: "Dashboard push",
    EMAIL: "E-mail",
    SMS: "SMS",
    PAGER: "Pager",
    PATIENT_APP: "Patient app",
}
CHANNELS: tuple[str, ...] = tuple(CHANNEL_LABELS)

# --- drugs and drug classes (reference §3) -----------------------------------------------------

DrugClass = Literal["adc", "tki", "other"]
ADC: Final = "adc"
TKI: Final = "tki"
OTHER_CLASS: Final = "other"
DRUG_CLASSES: tuple[DrugClass, ...] = (ADC, TKI, OTHER_CLASS)

TDXD: Final = "trastuzumab_deruxtecan"
ZONGERTINIB: Final = "zongertinib"
SEVABERTINIB: Final = "sevabertinib"
OTHER_DRUG: Final = "other"
DRUG_LABELS: Mapping[str, str] = {
    TDXD: "Trastuzumab deruxtecan",
    ZONGERTINIB: "Zongertinib",
    SEVABERTINIB: "Sevabertinib",
    OTHER_DRUG: "Other",
}
DRUGS: tuple[str, ...] = tuple(DRUG_LABELS)
DRUG_CLASS: Mapping[str, DrugClass] = {
    TDXD: ADC,
    ZONGERTINIB: TKI,
    SEVABERTINIB: TKI,
    OTHER_DRUG: OTHER_CLASS,
}

# LV dysfunction check (§5.3): T-DXd and zongertinib. Hepatotoxicity check (§5.3): zongertinib
# and sevabertinib. The diary asks these questions and the rules alert on the answers.
HEART_CHECK_DRUGS: frozenset[str] = frozenset({TDXD, ZONGERTINIB})
LIVER_CHECK_DRUGS: frozenset[str] = frozenset({ZONGERTINIB, SEVABERTINIB})

# The CNS watch terms (reference §5.5): asked of patients with brain metastases (diary.drugs)
# and spoken for by the CNS alert kind in the patient's advice (alerts.rules.advice).
CNS_TERMS: tuple[str, ...] = (
    "headache",
    "seizure",
    "confusion",
    "dizziness",
    "dysphasia",
    "muscle_weakness_left_sided",
    "muscle_weakness_right_sided",
    "vision_change",
)
