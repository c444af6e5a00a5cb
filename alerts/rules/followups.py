"""Follow-up questions (not alerts): the one-shot questions a report calls for, and the re-asking
of an alerted symptom until it resolves. Plain data read by alerts.pipeline.
"""

from __future__ import annotations

from datetime import timedelta

from alerts.rules.base import (
    FEVER_C,
    Followup,
    Snapshot,
    _day,
    _infusion_days,
    _temperature_c,
    _within_infusion_window,
)
from alerts.rules.gi import _diarrhea
from alerts.rules.ild import _respiratory_changes
from diary.vocabulary import TDXD


def _respiratory_recheck_due(snapshot: Snapshot) -> bool:
    # §5.2 AMBER 4: fever 38.0-39.0 °C without (new or worsening) respiratory symptoms on T-DXd,
    # i.e. exactly when RED 4 does not already cover it [D].
    temperature = _temperature_c(snapshot.current)
    return (
        snapshot.drug == TDXD
        and temperature is not None
        and FEVER_C <= temperature <= 39
        and not _respiratory_changes(snapshot)
    )


def _diarrhea_recheck_due(snapshot: Snapshot) -> bool:
    # §5.3 GREEN "ask again in 24 h"; also for G2+ because the persistence rules and the §5.1
    # next-report rule need the next report [D].
    grade = _diarrhea(snapshot.current)
    return grade is not None and grade >= 1


def _tdxd_checkin_due(snapshot: Snapshot) -> bool:
    day = _day(snapshot.current, snapshot)
    return snapshot.drug == TDXD and _within_infusion_window(day, _infusion_days(snapshot))


FOLLOWUPS = (
    Followup(
        code="respiratory_recheck_24h",
        source="§5.2 AMBER 4 [D]",
        condition="T-DXd: fever 38.0-39.0 °C without new/worsening respiratory symptoms",
        due=_respiratory_recheck_due,
    ),
    Followup(
        code="diarrhea_recheck_24h",
        source="§5.3 diarrhea GREEN [D]",
        condition="Diarrhea G1 or worse",
        due=_diarrhea_recheck_due,
    ),
    Followup(
        code="tdxd_daily_checkin",
        source="§5.3 vomiting/nausea T-DXd [D]",
        condition="T-DXd: report on an infusion day or the 5 days after it",
        due=_tdxd_checkin_due,
    ),
)

# What each one-shot question asks, and when: 24 h after the report that called for it.
ONE_SHOT_TERMS: dict[str, tuple[str, ...]] = {
    "respiratory_recheck_24h": ("dyspnea", "cough", "hypoxia", "fever"),  # §5.2 AMBER 4 [D]
    "diarrhea_recheck_24h": ("diarrhea",),  # §5.3 GREEN "ask again in 24 h"
    "tdxd_daily_checkin": ("nausea", "vomiting", "diarrhea", "fatigue"),  # §5.3 T-DXd [D]
}
ONE_SHOT_AFTER = timedelta(hours=24)

# An alerted symptom is asked again until it resolves: fever every 4 h, others daily [D — the
# reference names the follow-up (§5.2 AMBER 4, §5.3) but no re-ask interval]. At most 12 asks,
# after which the open alert's escalation carries on [D]. Alert kind -> (terms, minutes).
RECHECK_TERMS: dict[str, tuple[tuple[str, ...], int]] = {
    "fever": (("fever", "chills"), 4 * 60),
    "ild": (("dyspnea", "cough", "hypoxia", "fever"), 24 * 60),
    "gi": (("diarrhea", "vomiting", "dehydration"), 24 * 60),
    "cns": (
        ("headache", "seizure", "confusion", "dizziness", "dysphasia", "vision_change"),
        24 * 60,
    ),
    "hepatic": (("liver_symptoms",), 24 * 60),
    "cardiac": (("heart_symptoms", "dyspnea"), 24 * 60),
}
MAX_ASKS = 12
