"""EORTC QLQ-C30 (version 3.0) and its lung cancer module QLQ-LC13: codes, ranges and scoring.

Scoring follows the public EORTC QLQ-C30 Scoring Manual, 3rd edition (Fayers et al., EORTC,
Brussels 2001) [V]:
- items 1-28 are answered 1-4, items 29-30 (global health status) 1-7;
- the raw score RS of a scale is the mean of its items; with ``range`` the item range (3, or 6
  for items 29-30): functional scales S = (1 - (RS - 1) / range) * 100, symptom scales and
  items and the global health status S = ((RS - 1) / range) * 100;
- missing items: a scale is scored when at least half of its items are answered, from the
  answered items; a single-item measure with its item missing is missing.
The summary score (Giesinger et al., J Clin Epidemiol 2016;69:79-88) is the mean of 13 scales,
with the symptom scales inverted (100 - S) [V: the issue's summary of Giesinger 2016]. It is
given only when all 13 scales are scored (each by the half rule), as the EORTC summary-score
guidance is understood here [NV: that guidance was not found in a readable copy].

QLQ-LC13 (Bergman et al., Eur J Cancer 1994;30A:635-642), scored like the core [V]: items 31-42
answered 1-4 (range 3); the dyspnoea scale LCDY (items 33-35) is used only when all three items
are answered; when item 35 (climbing stairs) is missing, items 33 and 34 are scored as single
items (LCDY33, LCDY34), as the scoring notes say (EORTC scoring manual, LC13 section, read on the
awell-health LC13 page). Item 43 (medicine for pain) is a yes/no item recorded but not scored.
Its coding 1 = no, 2 = yes follows the yes/no items of QLQ-C30 version 1.0 [NV for LC13].

The item wording of both questionnaires is copyrighted by the EORTC and is never shipped: clinics
with a licence load it (``manage.py load_instrument_texts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from diary.instruments.base import Instrument, Item, ResponseScale, Scale, ScaleKind, Scores

FOUR_POINT = ResponseScale("eortc_4", 1, 4)
SEVEN_POINT = ResponseScale("eortc_7", 1, 7)
YES_NO = ResponseScale("eortc_yes_no", 1, 2)

# (code, label, kind, item numbers) of QLQ-C30 version 3.0 [V scoring manual, table 1].
_C30_SCALES: tuple[tuple[str, str, ScaleKind, tuple[int, ...]], ...] = (
    ("QL2", "Global health status / QoL", "global", (29, 30)),
    ("PF2", "Physical functioning", "functional", (1, 2, 3, 4, 5)),
    ("RF2", "Role functioning", "functional", (6, 7)),
    ("EF", "Emotional functioning", "functional", (21, 22, 23, 24)),
    ("CF", "Cognitive functioning", "functional", (20, 25)),
    ("SF", "Social functioning", "functional", (26, 27)),
    ("FA", "Fatigue", "symptom", (10, 12, 18)),
    ("NV", "Nausea and vomiting", "symptom", (14, 15)),
    ("PA", "Pain", "symptom", (9, 19)),
    ("DY", "Dyspnoea", "symptom", (8,)),
    ("SL", "Insomnia", "symptom", (11,)),
    ("AP", "Appetite loss", "symptom", (13,)),
    ("CO", "Constipation", "symptom", (16,)),
    ("DI", "Diarrhoea", "symptom", (17,)),
    ("FI", "Financial difficulties", "symptom", (28,)),
)
# The 13 scales of the summary score (Giesinger 2016): all but QL2 and FI.
SUMMARY_SCALES = ("PF2", "RF2", "EF", "CF", "SF", "FA", "NV", "PA", "DY", "SL", "AP", "CO", "DI")

_LC13_SCALES: tuple[tuple[str, str, ScaleKind, tuple[int, ...]], ...] = (
    ("LCDY", "Dyspnoea", "symptom", (33, 34, 35)),
    ("LCCO", "Coughing", "symptom", (31,)),
    ("LCHA", "Haemoptysis", "symptom", (32,)),
    ("LCSM", "Sore mouth", "symptom", (36,)),
    ("LCDS", "Dysphagia", "symptom", (37,)),
    ("LCPN", "Peripheral neuropathy", "symptom", (38,)),
    ("LCHR", "Alopecia", "symptom", (39,)),
    ("LCPC", "Pain in chest", "symptom", (40,)),
    ("LCPA", "Pain in arm or shoulder", "symptom", (41,)),
    ("LCPO", "Pain in other parts", "symptom", (42,)),
)
_LC13_FALLBACK = {
    "LCDY33": "Dyspnoea at rest (single item)",
    "LCDY34": "Dyspnoea walking (single item)",
}


def code(number: int) -> str:
    return f"Q{number}"


def item_range(number: int) -> int:
    return 6 if number in (29, 30) else 3


def scale_score(
    kind: ScaleKind, numbers: Sequence[int], answers: Mapping[str, int]
) -> float | None:
    """One scale by the manual: the half rule for missing items, then the linear transform."""
    answered = [answers[code(n)] for n in numbers if code(n) in answers]
    if not answered or 2 * len(answered) < len(numbers):
        return None
    raw = fmean(answered)
    spread = item_range(numbers[0])
    if kind == "functional":
        return (1 - (raw - 1) / spread) * 100
    return (raw - 1) / spread * 100


def summary_score(scores: Mapping[str, float | int | None]) -> float | None:
    """QLQ-C30 summary score: the mean of the 13 scales with symptoms inverted, when all exist."""
    values: list[float] = []
    for name in SUMMARY_SCALES:
        value = scores.get(name)
        if value is None:
            return None
        values.append(float(value) if name in ("PF2", "RF2", "EF", "CF", "SF") else 100 - value)
    return fmean(values)


def score_c30(answers: Mapping[str, int]) -> Scores:
    scores: Scores = {
        name: scale_score(kind, numbers, answers) for name, _label, kind, numbers in _C30_SCALES
    }
    scores["SUMSC"] = summary_score(scores)
    return scores


def score_lc13(answers: Mapping[str, int]) -> Scores:
    scores: Scores = {}
    for name, _label, kind, numbers in _LC13_SCALES:
        if name == "LCDY":
            # Only when all three items are answered; without item 35, items 33 and 34 alone.
            complete = all(code(n) in answers for n in numbers)
            scores[name] = scale_score(kind, numbers, answers) if complete else None
            if not complete and code(35) not in answers:
                for number in (33, 34):
                    scores[f"LCDY{number}"] = scale_score(kind, (number,), answers)
            continue
        scores[name] = scale_score(kind, numbers, answers)
    return scores


def _scales(table: Sequence[tuple[str, str, ScaleKind, tuple[int, ...]]]) -> tuple[Scale, ...]:
    return tuple(
        Scale(
            code=name,
            label=label,
            kind=kind,
            items=tuple(code(n) for n in numbers),
            higher_is_better=kind in ("functional", "global"),
        )
        for name, label, kind, numbers in table
    )


def _label_of(number: int, table: Sequence[tuple[str, str, ScaleKind, tuple[int, ...]]]) -> str:
    for name, label, _kind, numbers in table:
        if number in numbers:
            return f"{label} ({name})"
    return "Medicine for pain (not scored)"


QLQ_C30 = Instrument(
    code="qlq_c30",
    version="3.0",
    title="EORTC QLQ-C30",
    source="EORTC QLQ-C30 Scoring Manual, 3rd edition, 2001; summary score Giesinger 2016",
    recall="the past week (items 8-30)",
    licensed=True,
    # Items may be left unanswered, as on paper: the manual's missing-data rules score them.
    items=tuple(
        Item(
            code=code(n),
            scale=SEVEN_POINT if n in (29, 30) else FOUR_POINT,
            label=_label_of(n, _C30_SCALES),
            required=False,
        )
        for n in range(1, 31)
    ),
    scales=(
        *_scales(_C30_SCALES),
        Scale(
            code="SUMSC",
            label="Summary score",
            kind="summary",
            items=tuple(code(n) for n in range(1, 28)),
            higher_is_better=True,
        ),
    ),
    scorer=score_c30,
)

QLQ_LC13 = Instrument(
    code="qlq_lc13",
    version="1.0",
    title="EORTC QLQ-LC13 (lung cancer module)",
    source="Bergman 1994; EORTC QLQ-C30 Scoring Manual, 3rd edition, 2001 (LC13 scoring)",
    recall="the past week",
    licensed=True,
    items=tuple(
        Item(
            code=code(n),
            scale=YES_NO if n == 43 else FOUR_POINT,
            label=_label_of(n, _LC13_SCALES),
            required=False,
        )
        for n in range(31, 44)
    ),
    scales=(
        *_scales(_LC13_SCALES),
        *(
            Scale(
                code=name,
                label=label,
                kind="symptom",
                items=(code(int(name[-2:])),),
                higher_is_better=False,
            )
            for name, label in _LC13_FALLBACK.items()
        ),
    ),
    scorer=score_lc13,
)
