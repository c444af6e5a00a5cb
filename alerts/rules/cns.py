"""§5.5 CNS watch (patients with brain metastases only): each predicate directly above its rule
row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from collections.abc import Callable

from alerts.rules.base import (
    SEVERITY,
    Report,
    Snapshot,
    _answer,
    _day,
    _floor_grade,
    _latest,
    _rank,
    _vomited,
)
from alerts.rules.book import RuleBook


def _cns_rank(term: str, name: str) -> Callable[[Report], int | None]:
    return lambda report: _rank(report, term, name, SEVERITY)


def _flag(term: str, name: str) -> Callable[[Report], int | None]:
    def read(report: Report) -> int | None:
        value = _answer(report, term, name)
        return int(value) if isinstance(value, bool) else None

    return read


def _neuro_baseline(snapshot: Snapshot, term: str) -> int:
    """The level of `term` in the clinician's neurological baseline (§5.5): a severity's rank,
    1 for a yes/no deficit, 0 when absent."""
    value = snapshot.baseline.neuro.get(term)
    if value is True:
        return 1
    return SEVERITY.index(value) if isinstance(value, str) and value in SEVERITY else 0


def _new(
    snapshot: Snapshot, term: str, read: Callable[[Report], int | None], threshold: int = 1
) -> tuple[int, int, int | None] | None:
    """New (§5.5 [D]): at `threshold` or worse now, and worse than both the clinician's
    neurological baseline and the most recent earlier report that answered the same question
    (a deficit that resolved and came back is new again; one that got worse counts too).
    Returns (now, baseline, previous) when new."""
    now = read(snapshot.current)
    if now is None or now < threshold:
        return None
    base = _neuro_baseline(snapshot, term)
    previous = _latest(snapshot.history, read)
    before = previous[1] if previous is not None else None
    if now <= base or (before is not None and now <= before):
        return None
    return now, base, before


def _earlier(scale: Callable[[int], str], base: int, before: int | None) -> str:
    shown = f"baseline: {scale(base)}"
    return shown if before is None else f"{shown}; previous report: {scale(before)}"


def _new_graded(snapshot: Snapshot, term: str, name: str, what: str) -> str | None:
    new = _new(snapshot, term, _cns_rank(term, name))
    if new is None:
        return None
    now, base, before = new
    return f"new {what} {SEVERITY[now]} ({_earlier(SEVERITY.__getitem__, base, before)})"


def _headache(report: Report) -> int | None:
    return _rank(report, "headache", "pain_severity", SEVERITY)


# Every CNS rule applies to patients with brain metastases only (§5.5).
CNS = RuleBook(brain_metastases_only=True)


@CNS.rule(
    code="cns.red.seizure",
    kind="cns",
    level="red",
    symptom="seizure",
    source="§5.5 RED [D]",
    condition="Any seizure (seizure_type other than none)",
)
def _seizure(snapshot: Snapshot) -> str | None:
    kind = _answer(snapshot.current, "seizure", "seizure_type")
    if isinstance(kind, str) and kind != "none":
        return f"seizure ({kind.replace('_', ' ')})"
    return None


@CNS.rule(
    code="cns.red.new_confusion",
    kind="cns",
    level="red",
    symptom="confusion",
    source="§5.5 RED [D]",
    condition="Disorientation mild+, worse than the neuro baseline and the previous report",
)
def _new_confusion(snapshot: Snapshot) -> str | None:
    return _new_graded(snapshot, "confusion", "disorientation", "disorientation")


@CNS.rule(
    code="cns.red.new_one_sided_weakness",
    kind="cns",
    level="red",
    symptom="weakness",
    source="§5.5 RED [D]",
    condition="One-sided weakness absent from the neuro baseline and the previous report",
)
def _new_weakness(snapshot: Snapshot) -> str | None:
    sides = [
        side
        for side in ("left", "right")
        if _new(
            snapshot,
            f"muscle_weakness_{side}_sided",
            _flag(f"muscle_weakness_{side}_sided", "one_sided_weakness"),
        )
    ]
    return f"new {' and '.join(sides)}-sided weakness" if sides else None


@CNS.rule(
    code="cns.red.new_speech_difficulty",
    kind="cns",
    level="red",
    symptom="speech",
    source="§5.5 RED [D]",
    condition="Speech difficulty mild+, worse than the neuro baseline and the previous report",
)
def _new_speech_difficulty(snapshot: Snapshot) -> str | None:
    return _new_graded(snapshot, "dysphasia", "speech_difficulty", "speech difficulty")


@CNS.rule(
    code="cns.red.headache_severe",
    trigger="cns.headache",
    kind="cns",
    level="red",
    symptom="headache",
    source="§5.5 RED [D]",
    condition="Headache severe (or limiting self-care ADL)",
)
def _headache_severe(snapshot: Snapshot) -> str | None:
    grade = _floor_grade(snapshot.current, "headache")
    if _headache(snapshot.current) == 3 or (grade is not None and grade >= 3):
        return "severe headache (raised intracranial pressure to be excluded today)"
    return None


@CNS.rule(
    code="cns.red.headache_with_vomiting_same_day",
    trigger="cns.headache",
    kind="cns",
    level="red",
    symptom="headache",
    source="§5.5 RED [D]",
    condition="Headache mild+ with vomiting in any report of the same day",
)
def _headache_with_vomiting(snapshot: Snapshot) -> str | None:
    pain = _headache(snapshot.current)
    if pain is None or pain < 1:
        return None
    today = _day(snapshot.current, snapshot)
    same_day = [r for r in (*snapshot.history, snapshot.current) if _day(r, snapshot) == today]
    if not any(_vomited(r) for r in same_day):
        return None
    return f"headache ({SEVERITY[pain]}) with vomiting the same day (exclude raised ICP today)"


@CNS.rule(
    code="cns.amber.headache_moderate_or_worse",
    trigger="cns.headache",
    kind="cns",
    level="amber",
    symptom="headache",
    source="§5.5 AMBER [D]",
    condition="Headache moderate (above the neuro baseline), or worse than the previous report",
)
def _headache_worse(snapshot: Snapshot) -> str | None:
    pain = _headache(snapshot.current)
    if pain is None or pain < 1:
        return None
    previous = _latest(snapshot.history, _headache)
    before = previous[1] if previous is not None else 0  # no earlier answer counts as none [D]
    if pain == SEVERITY.index("moderate") and pain > _neuro_baseline(snapshot, "headache"):
        return f"moderate headache (previous report: {SEVERITY[before]})"
    if pain > before:
        return f"headache worse than the previous report ({SEVERITY[before]} -> {SEVERITY[pain]})"
    return None


@CNS.rule(
    code="cns.amber.new_dizziness",
    kind="cns",
    level="amber",
    symptom="dizziness",
    source="§5.5 AMBER [D]",
    condition="Unsteadiness moderate+, worse than the neuro baseline and the previous report",
)
def _new_dizziness(snapshot: Snapshot) -> str | None:
    read = _cns_rank("dizziness", "unsteadiness")
    new = _new(snapshot, "dizziness", read, SEVERITY.index("moderate"))
    if new is None:
        return None
    now, base, before = new
    earlier = _earlier(SEVERITY.__getitem__, base, before)
    return f"new dizziness/unsteadiness {SEVERITY[now]} ({earlier})"


@CNS.rule(
    code="cns.amber.vision_change",
    kind="cns",
    level="amber",
    symptom="vision",
    source="§5.5 AMBER [D]",
    condition="Blurred or double vision absent from the neuro baseline and the previous report",
)
def _vision_change(snapshot: Snapshot) -> str | None:
    if _new(snapshot, "vision_change", _flag("vision_change", "vision_change")) is None:
        return None
    return "new blurred or double vision"


CNS_RULES = CNS.rules
