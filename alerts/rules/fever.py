"""§5.3 fever, any drug: each predicate directly above its rule row.

Every threshold cites its tag in ../shared/clinical/reference.md ([V] verified, [S] secondary,
[D] design choice needing clinical sign-off); docs/alert-rules.md lists every rule code. Rule
codes are persisted: never rename one, add a new code instead.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from alerts.rules.base import (
    FEVER_C,
    SEVERITY,
    Report,
    Snapshot,
    _celsius_text,
    _number,
    _rank,
    _show,
    _temperature_c,
    _when,
    _yes,
)
from alerts.rules.book import RuleBook

RAISED_C = Fraction("37.5")  # "any raised temperature" = the AMBER lower bound 37.5 °C [D]
FN_SINGLE_C = Fraction("38.3")  # febrile neutropenia: a single reading above 38.3 °C [V CTCAE]


def _low_grade(report: Report) -> Fraction | None:
    """The temperature when it is 37.5-37.9 °C (37.5 <= t < 38.0) [D]."""
    temperature = _temperature_c(report)
    return temperature if temperature is not None and RAISED_C <= temperature < FEVER_C else None


FEVER = RuleBook()


@FEVER.rule(
    code="fever.red.temp_38_0_or_above",
    trigger="fever.temperature",
    kind="fever",
    level="red",
    symptom="fever",
    source="§5.3 fever RED [V CTCAE]",
    condition="Temperature >= 38.0 °C (100.4 °F), any drug",
)
def _fever_38(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    if temperature is not None and temperature >= FEVER_C:  # CTCAE fever G1 lower bound [V]
        return f"temperature {_celsius_text(temperature)} (>= 38.0 °C)"
    return None


@FEVER.rule(
    code="fever.red.temp_above_38_3",
    trigger="fever.temperature",
    kind="fever",
    level="red",
    symptom="fever",
    source="§5.3 fever RED [V CTCAE FN]",
    condition="Single temperature > 38.3 °C",
)
def _fever_above_38_3(snapshot: Snapshot) -> str | None:
    temperature = _temperature_c(snapshot.current)
    if temperature is not None and temperature > FN_SINGLE_C:  # FN single reading [V]
        return f"single temperature {_celsius_text(temperature)} (> 38.3 °C)"
    return None


@FEVER.rule(
    code="fever.red.sustained_38_over_1h",
    trigger="fever.temperature",
    kind="fever",
    level="red",
    symptom="fever",
    source="§5.3 fever RED [V CTCAE FN]",
    condition="Temperature >= 38.0 °C for more than 1 h (hours_at_or_above_38 > 1)",
)
def _fever_sustained(snapshot: Snapshot) -> str | None:
    hours = _number(snapshot.current, "fever", "hours_at_or_above_38")
    if hours is not None and hours > 1:  # FN: >=38.0 °C sustained more than 1 h [V]
        return f"temperature >= 38.0 °C for {_show(hours)} h (> 1 h)"
    return None


@FEVER.rule(
    code="fever.red.chills_with_raised_temperature",
    kind="fever",
    level="red",
    symptom="fever",
    source="§5.3 fever RED [D]",
    condition="Chills (mild+) or rigors with temperature >= 37.5 °C",
)
def _chills_with_raised_temperature(snapshot: Snapshot) -> str | None:
    report = snapshot.current
    temperature = _temperature_c(report)
    chills = _rank(report, "chills", "chills", SEVERITY)
    shaking = [
        text
        for ok, text in (
            (_yes(report, "fever", "rigors"), "rigors"),
            (chills is not None and chills >= 1, f"chills ({SEVERITY[chills or 0]})"),
        )
        if ok
    ]
    if temperature is None or temperature < RAISED_C or not shaking:
        return None
    return f"{' and '.join(shaking)} with temperature {_celsius_text(temperature)} (>= 37.5 °C)"


@FEVER.rule(
    code="fever.amber.temp_37_5_to_37_9_twice_24h",
    trigger="fever.temperature",
    kind="fever",
    level="amber",
    symptom="fever",
    source="§5.3 fever AMBER [D]",
    condition="37.5-37.9 °C now and in another report within the last 24 h",
)
def _low_grade_twice(snapshot: Snapshot) -> str | None:
    now = _low_grade(snapshot.current)
    if now is None:
        return None
    since = snapshot.current.recorded_at - timedelta(hours=24)  # "within 24 h": inclusive [D]
    for report in reversed(snapshot.history):
        earlier = _low_grade(report)
        if report.recorded_at >= since and earlier is not None:
            return (
                f"temperature {_celsius_text(now)}, and {_celsius_text(earlier)} at "
                f"{_when(report.recorded_at)}: 37.5-37.9 °C twice within 24 h"
            )
    return None


FEVER_RULES = FEVER.rules
