"""How severe a fired AMBER trigger is, as one whole number (higher is worse), so that a trigger a
clinician marked expected can be told to have worsened (§5.2 "Expected AMBER": "a trigger that
worsens (a higher grade or composite than when marked) still alerts" [D]).

Each AMBER rule's measure is the grade, composite or answer the rule itself reads, on the
current report (docs/alert-rules.md, "Measures"; decision D46). A rule without a reader here
has no measure (None), and a marked trigger without a measure never folds: a new AMBER rule
alerts as usual until someone decides what "worse" means for it (tests/alerts/test_rules.py
fails until then). RED rules need no measure: RED is never folded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import timedelta

from alerts.rules.base import (
    ORAL_INTAKE,
    SEVERITY,
    SOB_EXERTION,
    Report,
    Snapshot,
    _composite,
    _floor_grade,
    _grade,
    _loperamide,
    _number,
    _rank,
    _temperature_c,
    _yes,
)
from alerts.rules.medication import _missed
from alerts.rules.organs import HEART_FIELDS, LIVER_FIELDS

Reader = Callable[[Snapshot], int | None]

# The answers of gi.amber.dehydration (alerts.rules.gi._DEHYDRATION_SIGNS; needing IV fluids or
# hospital is RED, so never a marked AMBER).
DEHYDRATION_SIGNS = ("dehydration_signs", "dizzy_on_standing")


def _on_report(read: Callable[[Report], int | None]) -> Reader:
    return lambda snapshot: read(snapshot.current)


def _answer_rank(term: str, name: str, scale: tuple[str, ...]) -> Reader:
    return _on_report(lambda report: _rank(report, term, name, scale))


def _grade_of(term: str) -> Reader:
    return _on_report(lambda report: _floor_grade(report, term))


def _composite_of(key: str) -> Reader:
    return _on_report(lambda report: _composite(report, key))


def _desaturation(name: str) -> Reader:
    """Points below 100% (a lower SpO2 is worse), rounded up so any fall counts."""

    def read(report: Report) -> int | None:
        spo2 = _number(report, "hypoxia", name)
        return math.ceil(100 - spo2) if spo2 is not None else None

    return _on_report(read)


def _tenths_celsius(report: Report) -> int | None:
    temperature = _temperature_c(report)
    return math.floor(temperature * 10) if temperature is not None else None


def _episodes(report: Report) -> int | None:
    episodes = _number(report, "vomiting", "vomiting_episodes_24h")
    return math.ceil(episodes) if episodes is not None else None


def _present(report: Report, term: str, names: tuple[str, ...]) -> int:
    return sum(1 for name in names if _yes(report, term, name))


def _count_yes(term: str, names: tuple[str, ...]) -> Reader:
    return _on_report(lambda report: _present(report, term, names))


def _loperamide_mg(report: Report) -> int | None:
    dose = _loperamide(report)
    return math.ceil(dose) if dose is not None else None


def _missed_in_7_days(snapshot: Snapshot) -> int:
    since = snapshot.current.recorded_at - timedelta(days=7)
    return sum(_missed(r) for r in (*snapshot.history, snapshot.current) if r.recorded_at >= since)


def _nausea(report: Report) -> int | None:
    """The nausea grade, or the grade its oral intake answer means (decreased G2, inadequate
    G3, CTCAE nausea [V]) when that is higher or there is no grade."""
    grade = _grade(report, "nausea")
    intake = _rank(report, "nausea", "oral_intake", ORAL_INTAKE)
    by_intake = intake + 1 if intake else None
    return max((g for g in (grade, by_intake) if g is not None), default=None)


def _heart(snapshot: Snapshot) -> int | None:
    """Breathlessness rank, then how many heart symptoms (a new one is worse) [D]."""
    sob = _rank(snapshot.current, "dyspnea", "sob_exertion", SOB_EXERTION)
    heart = _present(snapshot.current, "heart_symptoms", tuple(name for name, _ in HEART_FIELDS))
    return sob * 10 + heart if sob is not None else None


# code -> (what is measured, for docs/alert-rules.md; the reader). Higher is worse.
MEASURES: Mapping[str, tuple[str, Reader]] = {
    "ild.amber.dyspnea_new_or_worse": (
        "sob_exertion rank 0-3",
        _answer_rank("dyspnea", "sob_exertion", SOB_EXERTION),
    ),
    "ild.amber.sob_composite_up_1": (
        "shortness-of-breath composite",
        _composite_of("shortness_of_breath"),
    ),
    "ild.amber.new_cough": (
        "cough_severity rank 0-3",
        _answer_rank("cough", "cough_severity", SEVERITY),
    ),
    "ild.amber.cough_composite_2": ("cough composite", _composite_of("cough")),
    "ild.amber.spo2_exertion_below_88": (
        "points below 100% SpO2 on exertion",
        _desaturation("spo2_exertion"),
    ),
    "ild.amber.spo2_exertion_drop_4": (
        "points below 100% SpO2 on exertion",
        _desaturation("spo2_exertion"),
    ),
    "gi.amber.diarrhea_g2": ("diarrhea grade", _grade_of("diarrhea")),
    "gi.amber.diarrhea_g1_persisting_48h_on_loperamide": ("diarrhea grade", _grade_of("diarrhea")),
    "gi.amber.diarrhea_composite_2_consecutive": ("diarrhea composite", _composite_of("diarrhea")),
    "gi.amber.vomiting_two_consecutive_days": ("vomiting episodes in 24 h", _on_report(_episodes)),
    "gi.amber.nausea_intake_decreased": ("nausea grade (or by oral intake)", _on_report(_nausea)),
    "gi.amber.vomiting_new_antiemetic": ("vomiting episodes in 24 h", _on_report(_episodes)),
    "gi.amber.dehydration": (
        "dehydration signs present (of 2)",
        _count_yes("dehydration", DEHYDRATION_SIGNS),
    ),
    "fever.amber.temp_37_5_to_37_9_twice_24h": (
        "temperature in tenths of °C",
        _on_report(_tenths_celsius),
    ),
    "hepatic.amber.liver_symptom": (
        "liver symptoms present (of 3)",
        _count_yes("liver_symptoms", tuple(name for name, _ in LIVER_FIELDS)),
    ),
    "cardiac.amber.breathless_with_heart_symptom": (
        "sob_exertion rank x 10 + heart symptoms present",
        _heart,
    ),
    "cns.amber.headache_moderate_or_worse": (
        "headache pain_severity rank 0-3",
        _answer_rank("headache", "pain_severity", SEVERITY),
    ),
    "cns.amber.new_dizziness": (
        "unsteadiness rank 0-3",
        _answer_rank("dizziness", "unsteadiness", SEVERITY),
    ),
    "cns.amber.vision_change": ("1 when present (nothing to grade)", _on_report(lambda r: 1)),
    "adherence.amber.missed_tki_doses_2_in_7_days": (
        "missed TKI doses in 7 days",
        _missed_in_7_days,
    ),
    "loperamide.amber.over_16_mg_24h": (
        "loperamide mg in 24 h, rounded up",
        _on_report(_loperamide_mg),
    ),
}

COMPOSITE_PREFIX = "proctcae.amber."
COMPOSITE_SUFFIXES = ("_2_new_or_worse", "_3")


def reader_for(code: str) -> Reader | None:
    """The measure of a rule code: the table above, or for a §5.4 composite AMBER the composite
    of its symptom key."""
    if code in MEASURES:
        return MEASURES[code][1]
    if code.startswith(COMPOSITE_PREFIX):
        for suffix in COMPOSITE_SUFFIXES:
            if code.endswith(suffix):
                return _composite_of(code.removeprefix(COMPOSITE_PREFIX).removesuffix(suffix))
    return None


def measure(code: str, snapshot: Snapshot) -> int | None:
    """The measure of rule ``code`` on ``snapshot.current``; None when it has none."""
    reader = reader_for(code)
    return reader(snapshot) if reader is not None else None
