"""§5.1 levels and escalation as data: two AMBER triggers in one report make RED, an AMBER still
present on a report 24 h after its alert opened becomes RED, how long AMBER triggers may be marked
expected and when a marked one folds (§5.2), and which channels tell the care team at each level.
alerts.pipeline, alerts.delivery and alerts.lifecycle apply them; the policy is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from alerts.rules.base import Fired, _max_level
from diary.vocabulary import (
    AMBER,
    DASHBOARD,
    DIARY,
    EMAIL,
    PAGER,
    PATIENT_APP,
    RED,
    SMS,
    Level,
)

# --- two AMBER triggers make RED (§5.1) ------------------------------------------------------

# The missed-diary alert is time-based, never part of a report: it is not a report's trigger.
NOT_SYMPTOM_KINDS = frozenset({DIARY})

COMBINED_CODE = "combined.red.two_ambers"
COMBINED_SOURCE = "§5.1 [V UKONS 2+ amber = red; D trigger]"


def combine(fired: list[Fired]) -> tuple[dict[str, Level], bool]:
    """The level per alert kind of one report's fired rules, after §5.1; True when the
    combination raised a kind. A ``combined.red.two_ambers`` row is appended to ``fired`` for
    each kind it raised.

    §5.1: two or more AMBER triggers in one report make RED. A trigger is one AMBER rule of
    §5.2-§5.6: two different rules count as two even within one symptom family (G2 diarrhea with
    more than 16 mg loperamide in 24 h is RED) [D]. Rules that read one answer at nested
    thresholds share a trigger name (``Rule.trigger``) and count once. A RED trigger counts as at
    least an AMBER, so a worse answer never lowers a kind's level [D]."""
    levels: dict[str, Level] = {}
    for hit in fired:
        levels[hit.kind] = _max_level((levels.get(hit.kind, "green"), hit.level))
    hits = [hit for hit in fired if hit.kind not in NOT_SYMPTOM_KINDS]
    triggers = dict.fromkeys(hit.trigger or hit.code for hit in hits)
    raised: list[str] = []
    if len(triggers) >= 2:
        listed = "; ".join(dict.fromkeys(hit.code for hit in hits))
        for kind in dict.fromkeys(hit.kind for hit in hits):
            if levels[kind] != AMBER:
                continue
            levels[kind] = RED
            raised.append(kind)
            fired.append(
                Fired(
                    code=COMBINED_CODE,
                    kind=kind,
                    level=RED,
                    symptom="combined",
                    reason=(
                        f"{len(triggers)} AMBER-or-worse triggers in one report ({listed}): "
                        f"escalated to RED - {COMBINED_SOURCE}"
                    ),
                    source=COMBINED_SOURCE,
                )
            )
    return levels, bool(raised)


# --- an AMBER unresolved on the next 24-h report becomes RED (§5.1, persistence [D]) ----------

# A rule over the stored alert (its age), not over one report: alerts.pipeline asks
# `amber_persisted` when a report adds new AMBER evidence to an open AMBER alert, and attaches
# PERSISTED_AMBER (with the alert's kind as its symptom) when it says so.
AMBER_PERSISTS_AFTER = timedelta(hours=24)
PERSISTED_AMBER = Fired(
    code="combined.red.amber_unresolved_24h",
    kind="",
    level=RED,
    symptom="",
    reason="AMBER still present on a report 24 h or more after the alert opened: "
    "escalated to RED (§5.1 persistence rule [D]).",
    source="§5.1 [D]",
)


def amber_persisted(
    *, alert_level: str, level: str, opened_at: datetime, recorded_at: datetime
) -> bool:
    """An open AMBER alert gets AMBER evidence again on a report 24 h or more after it opened."""
    return (
        alert_level == AMBER and level == AMBER and recorded_at - opened_at >= AMBER_PERSISTS_AFTER
    )


# --- expected AMBER triggers (alert-fatigue control, §5.2 "Expected AMBER" [D]) --------------

# A nurse or oncologist may mark the AMBER triggers present on an open alert as expected for at
# most this many days, with a reason [D].
MAX_EXPECTED_DAYS = 7


def folds_as_expected(fired: Iterable[Fired], marked: Mapping[str, int | None]) -> bool:
    """True when a report's fired rules of one alert kind are all marked AMBER triggers no worse
    than when marked (``marked``: rule code -> its measure then), so they are stored as evidence
    without re-opening, re-notifying or the 24-h persistence escalation. Any RED, any AMBER rule
    not marked, and a marked one with a higher measure (or one that cannot be compared) alert as
    usual."""
    hits = list(fired)
    return bool(hits) and all(
        hit.level == AMBER
        and hit.code in marked
        and hit.measure is not None
        and (then := marked[hit.code]) is not None
        and hit.measure <= then
        for hit in hits
    )


# --- who is told, by level --------------------------------------------------------------------

CHANNELS_BY_LEVEL: Mapping[str, tuple[str, ...]] = {
    AMBER: (DASHBOARD, EMAIL),
    RED: (DASHBOARD, EMAIL, SMS),
}
# An alert nobody acknowledged by its due time, or a nurse's escalation: the on-call oncologist
# is paged; when it was overdue the patient is also told what to do (alerts.delivery).
ESCALATION_CHANNELS: tuple[str, ...] = (PAGER,)
PATIENT_ADVICE_CHANNELS: tuple[str, ...] = (PATIENT_APP,)
