"""§5.3 GI: diarrhea, vomiting, nausea and dehydration (fever: alerts.rules.fever). Each predicate
directly above its rule row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.rules.base import (
    FEVER_C,
    ORAL_INTAKE,
    SEVERITY,
    Report,
    Snapshot,
    _answer,
    _celsius_text,
    _composite,
    _day,
    _floor_grade,
    _grade,
    _latest,
    _loperamide,
    _number,
    _rank,
    _show,
    _temperature_c,
    _vomited,
    _when,
    _yes,
)
from alerts.rules.book import RuleBook

KNOWN_NEUTROPENIA_WINDOW = timedelta(days=14)  # §5.3 "within the last 14 days" [D]


def _diarrhea(report: Report) -> int | None:
    return _floor_grade(report, "diarrhea")


def _on_loperamide_since(snapshot: Snapshot, min_grade: int) -> datetime | None:
    """When loperamide was first recorded in the present run of diarrhea of at least
    `min_grade` [D]: the run goes back from the current report while diarrhea stays at that
    grade or worse (reports without a diarrhea grade are skipped, a lower grade ends it)."""
    grade = _diarrhea(snapshot.current)
    if grade is None or grade < min_grade:
        return None
    since = None
    for report in reversed((*snapshot.history, snapshot.current)):
        grade = _diarrhea(report)
        if grade is None:
            continue
        if grade < min_grade:
            break
        dose = _loperamide(report)
        if dose is not None and dose > 0:
            since = report.recorded_at
    return since


def _diarrhea_persisting(snapshot: Snapshot, min_grade: int, hours: int) -> str | None:
    since = _on_loperamide_since(snapshot, min_grade)
    if since is None:
        return None
    lasted = snapshot.current.recorded_at - since
    if lasted <= timedelta(hours=hours):  # persisting *more than* the window
        return None
    return (
        f"diarrhea G{min_grade} or worse persisting {lasted.total_seconds() / 3600:.0f} h "
        f"(> {hours} h) despite loperamide (first recorded {_when(since)})"
    )


def _known_neutropenia(snapshot: Snapshot) -> bool:
    """ "Known neutropenia" (§5.3 [D]): a clinician-recorded neutrophil count below the lower
    limit of normal (CTCAE neutrophil count decreased G>=1) or febrile neutropenia within the 14
    days up to this report."""
    since = snapshot.current.recorded_at - KNOWN_NEUTROPENIA_WINDOW
    for observed in snapshot.observations:
        if since <= observed.observed_at <= snapshot.current.recorded_at and (
            (observed.term == "neutrophil_count_decreased" and observed.grade >= 1)
            or (observed.term == "febrile_neutropenia" and observed.grade >= 3)
        ):
            return True
    return False


def _complicated_features(snapshot: Snapshot) -> list[str]:
    """Benson's "complicated" features as reference §5.3 lists them [S]."""
    report = snapshot.current
    features = []
    temperature = _temperature_c(report)
    if temperature is not None and temperature >= FEVER_C:
        features.append(f"fever {_celsius_text(temperature)}")
    if _yes(report, "dehydration", "dizzy_on_standing"):
        features.append("dizzy on standing")
    if _yes(report, "dehydration", "dehydration_signs"):
        features.append("signs of dehydration")
    hours = _number(report, "dehydration", "unable_to_keep_fluids_hours")
    if hours is not None and hours > 0:
        features.append(f"unable to keep fluids down ({_show(hours)} h)")
    if _yes(report, "diarrhea", "blood_in_stool"):
        features.append("blood in stool")
    pain = _rank(report, "abdominal_pain", "pain_severity", SEVERITY)
    if pain is not None and pain >= SEVERITY.index("moderate"):
        features.append(f"{SEVERITY[pain]} abdominal pain/cramping")
    intake = _rank(report, "nausea", "oral_intake", ORAL_INTAKE)
    if _vomited(report) and intake is not None and intake >= ORAL_INTAKE.index("decreased"):
        features.append(f"vomiting with oral intake {ORAL_INTAKE[intake]}")
    if _known_neutropenia(snapshot):
        features.append("known neutropenia")
    return features


_DEHYDRATION_SIGNS = (
    ("dehydration_signs", "signs of dehydration"),
    ("dizzy_on_standing", "dizzy on standing"),
)
_DEHYDRATION_CARE = (("iv_fluids", "IV fluids needed"), ("hospitalized", "hospitalised"))


def _dehydration(report: Report, answers: tuple[tuple[str, str], ...]) -> list[str]:
    return [text for name, text in answers if _yes(report, "dehydration", name)]


# Diarrhea thresholds are identical for every drug: sevabertinib is at least as sensitive as
# zongertinib (§3.3, §5.3 [D]).
GI = RuleBook()


@GI.rule(
    code="gi.amber.diarrhea_g2",
    trigger="gi.diarrhea_grade",
    kind="gi",
    level="amber",
    symptom="diarrhea",
    source="§5.3 diarrhea AMBER [V CTCAE]",
    condition="Diarrhea G2 (4-6 stools/day over baseline or limits instrumental ADL)",
)
def _diarrhea_g2(snapshot: Snapshot) -> str | None:
    if _diarrhea(snapshot.current) == 2:  # [V] 4-6 stools/day over baseline or iADL
        return "diarrhea CTCAE G2 (patient-reported, provisional)"
    return None


@GI.rule(
    code="gi.amber.diarrhea_g1_persisting_48h_on_loperamide",
    trigger="gi.diarrhea_grade",
    kind="gi",
    level="amber",
    symptom="diarrhea",
    source="§5.3 diarrhea AMBER [S Benson]",
    condition="Diarrhea >= G1 persisting > 48 h since loperamide was first recorded",
)
def _diarrhea_g1_persisting(snapshot: Snapshot) -> str | None:
    return _diarrhea_persisting(snapshot, 1, 48)  # >48 h on loperamide [S Benson]


@GI.rule(
    code="gi.amber.diarrhea_composite_2_consecutive",
    kind="gi",
    level="amber",
    symptom="diarrhea",
    source="§5.3 diarrhea AMBER [D]",
    condition="PRO-CTCAE diarrhea composite >= 2 on two consecutive reports",
)
def _diarrhea_composite_2(snapshot: Snapshot) -> str | None:
    # "Frequently" (composite 2) or worse on this and the previous report that answered it [D].
    now = _composite(snapshot.current, "diarrhea")
    if now is None or now < 2:
        return None
    previous = _latest(snapshot.history, lambda r: _composite(r, "diarrhea"))
    if previous is None or previous[1] < 2:
        return None
    return (
        f"PRO-CTCAE diarrhea composite {now} on two consecutive reports "
        f"(previous {previous[1]} at {_when(previous[0].recorded_at)})"
    )


@GI.rule(
    code="gi.red.diarrhea_g3",
    trigger="gi.diarrhea_grade",
    kind="gi",
    level="red",
    symptom="diarrhea",
    source="§5.3 diarrhea RED [V CTCAE]",
    condition="Diarrhea G3+ (>= 7/day over baseline, self-care ADL or hospitalisation)",
)
def _diarrhea_g3(snapshot: Snapshot) -> str | None:
    grade = _diarrhea(snapshot.current)
    if grade is not None and grade >= 3:  # [V] >=7/day, self-care ADL or hospitalisation
        return f"diarrhea CTCAE G{grade} (patient-reported, provisional)"
    return None


@GI.rule(
    code="gi.red.diarrhea_complicated",
    kind="gi",
    level="red",
    symptom="diarrhea",
    source="§5.3 diarrhea RED [S Benson]",
    condition="Diarrhea any grade with a complicated feature (fever, dehydration, ...)",
)
def _diarrhea_complicated(snapshot: Snapshot) -> str | None:
    grade = _diarrhea(snapshot.current)
    if grade is None or grade < 1:
        return None  # no diarrhea: its features (which read the history) need no look
    features = _complicated_features(snapshot)
    if not features:
        return None
    return f"diarrhea G{grade} with complicated feature(s): {', '.join(features)}"


@GI.rule(
    code="gi.red.diarrhea_g2_persisting_24h_on_loperamide",
    trigger="gi.diarrhea_grade",
    kind="gi",
    level="red",
    symptom="diarrhea",
    source="§5.3 diarrhea RED [D]",
    condition="Diarrhea >= G2 persisting > 24 h since loperamide was first recorded",
)
def _diarrhea_g2_persisting(snapshot: Snapshot) -> str | None:
    return _diarrhea_persisting(snapshot, 2, 24)  # >24 h [D]


@GI.rule(
    code="gi.amber.vomiting_two_consecutive_days",
    kind="gi",
    level="amber",
    symptom="vomiting",
    source="§5.3 vomiting AMBER [D]",
    condition=">= 1 vomiting episode today and on the previous calendar day",
)
def _vomiting_two_days(snapshot: Snapshot) -> str | None:
    if not _vomited(snapshot.current):
        return None
    today = _day(snapshot.current, snapshot)
    for report in snapshot.history:
        if _vomited(report) and (today - _day(report, snapshot)).days == 1:
            return f"vomiting on 2 consecutive days ({_day(report, snapshot)} and {today})"
    return None


@GI.rule(
    code="gi.amber.nausea_intake_decreased",
    kind="gi",
    level="amber",
    symptom="nausea",
    source="§5.3 nausea AMBER [V CTCAE; D]",
    condition="Nausea with oral intake decreased or worse (CTCAE nausea >= G2)",
)
def _nausea_intake_decreased(snapshot: Snapshot) -> str | None:
    if _answer(snapshot.current, "nausea", "nausea") is False:
        return None  # nausea denied: nothing rests on it (§1.2 denied-symptom rule [D])
    grade = _grade(snapshot.current, "nausea")
    intake = _rank(snapshot.current, "nausea", "oral_intake", ORAL_INTAKE)
    # G2 is "oral intake decreased"; G3 (inadequate, tube feeding, hospital) is at least AMBER.
    if (grade is None or grade < 2) and (intake is None or intake < 1):
        return None
    shown = f"oral intake {ORAL_INTAKE[intake]}" if intake is not None else "nausea"
    graded = f" (CTCAE nausea G{grade})" if grade is not None else ""
    return f"nausea: {shown}{graded}"


@GI.rule(
    code="gi.red.unable_to_keep_fluids_24h",
    kind="gi",
    level="red",
    symptom="vomiting",
    source="§5.3 vomiting RED [D]",
    condition="Unable to keep fluids down for >= 24 h",
)
def _unable_to_keep_fluids_24h(snapshot: Snapshot) -> str | None:
    hours = _number(snapshot.current, "dehydration", "unable_to_keep_fluids_hours")
    if hours is not None and hours >= 24:  # [D]
        return f"unable to keep fluids down for {_show(hours)} h (>= 24 h)"
    return None


@GI.rule(
    code="gi.red.vomiting_6_episodes_24h",
    kind="gi",
    level="red",
    symptom="vomiting",
    source="§5.3 vomiting RED [D]",
    condition=">= 6 vomiting episodes in 24 h",
)
def _vomiting_6_episodes(snapshot: Snapshot) -> str | None:
    episodes = _number(snapshot.current, "vomiting", "vomiting_episodes_24h")
    if episodes is not None and episodes >= 6:  # [D] echoes v4.03 G3; alert threshold only
        return f"{_show(episodes)} vomiting episodes in 24 h (>= 6)"
    return None


@GI.rule(
    code="gi.red.vomiting_iv_fluids_or_hospital",
    kind="gi",
    level="red",
    symptom="vomiting",
    source="§5.3 vomiting RED [V CTCAE]",
    condition="Vomiting needing IV fluids, hospital or tube feeding (not a new antiemetic alone)",
)
def _vomiting_iv_fluids_or_hospital(snapshot: Snapshot) -> str | None:
    # CTCAE vomiting G2 "outpatient IV hydration" and G3 [V]; its other G2 criterion, "medical
    # intervention" (a new antiemetic), is AMBER on its own (§5.3 [D], the rule below).
    report = snapshot.current
    needs = [
        text
        for name, text in (
            ("iv_fluids", "IV fluids"),
            ("hospitalized", "hospital admission"),
            ("tube_feeding_or_tpn", "tube feeding/TPN"),
        )
        if _yes(report, "vomiting", name)
    ]
    if not needs:
        return None
    grade = _grade(report, "vomiting")
    graded = f" (CTCAE vomiting G{grade})" if grade is not None else ""
    return f"vomiting needing {', '.join(needs)}{graded}"


@GI.rule(
    code="gi.amber.vomiting_new_antiemetic",
    kind="gi",
    level="amber",
    symptom="vomiting",
    source="§5.3 vomiting AMBER [D]",
    condition="Vomiting with a new antiemetic (medical_intervention), CTCAE G2: AMBER alone",
)
def _vomiting_new_antiemetic(snapshot: Snapshot) -> str | None:
    if _yes(snapshot.current, "vomiting", "medical_intervention"):
        return "vomiting treated with a new antiemetic (CTCAE vomiting G2, medical intervention)"
    return None


@GI.rule(
    code="gi.amber.dehydration",
    trigger="gi.dehydration",
    kind="gi",
    level="amber",
    symptom="dehydration",
    source="§5.3 dehydration AMBER [D]",
    condition="Dehydration signs or dizzy on standing, alone",
)
def _dehydration_alone(snapshot: Snapshot) -> str | None:
    signs = _dehydration(snapshot.current, _DEHYDRATION_SIGNS)
    return f"dehydration: {', '.join(signs)}" if signs else None


@GI.rule(
    code="gi.red.dehydration_iv_fluids_or_hospital",
    kind="gi",
    level="red",
    symptom="dehydration",
    trigger="gi.dehydration",
    source="§5.3 dehydration RED [D]",
    condition="Dehydration needing IV fluids or hospital (CTCAE dehydration G2/G3)",
)
def _dehydration_needing_care(snapshot: Snapshot) -> str | None:
    care = _dehydration(snapshot.current, _DEHYDRATION_CARE)
    return f"dehydration: {', '.join(care)}" if care else None


@GI.rule(
    code="gi.red.dehydration_with_diarrhea_or_vomiting",
    trigger="gi.dehydration",
    kind="gi",
    level="red",
    symptom="dehydration",
    source="§5.3 dehydration/vomiting RED [D]",
    condition="Dehydration with diarrhea or vomiting (also: vomiting with dehydration)",
)
def _dehydration_with_gi_loss(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    signs = _dehydration(report, _DEHYDRATION_SIGNS + _DEHYDRATION_CARE)
    grade = _diarrhea(report)
    diarrhea = grade is not None and grade >= 1
    losses = [text for ok, text in ((diarrhea, "diarrhea"), (_vomited(report), "vomiting")) if ok]
    if not signs or not losses:
        return None
    return f"dehydration ({', '.join(signs)}) with {' and '.join(losses)}"


GI_RULES = GI.rules
