"""What may be sent for a term: field specifications and the public term description.

Field names, types and choices come from ../shared/clinical/reference.md §1.2, §5.5 and §5.7.
Ranges, units and the patient-facing question texts are design choices [D], listed with their
reasons in docs/grading.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["bool", "int", "number", "choice"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One answer a term accepts.

    `choices` run from least to most severe. For numbers, a higher value is more severe unless
    `lower_is_worse` (SpO2, blood counts, LVEF, current weight); for booleans, true is more
    severe unless `lower_is_worse` (fatigue `relieved_by_rest`).
    """

    kind: FieldKind
    label: str
    choices: tuple[str, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    unit: str = ""
    lower_is_worse: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TermSpec:
    """A CTCAE term (or an alert-only term of §5.7) and the answers it accepts."""

    name: str
    label: str
    meddra_code: str | None
    fields: Mapping[str, FieldSpec]
    self_reportable: bool
    alert_only: bool
    primary_fields: tuple[str, ...]


def yes_no(label: str, *, lower_is_worse: bool = False) -> FieldSpec:
    return FieldSpec(kind="bool", label=label, lower_is_worse=lower_is_worse)


def whole(
    minimum: int, maximum: int, unit: str, label: str, *, lower_is_worse: bool = False
) -> FieldSpec:
    return FieldSpec(
        kind="int",
        label=label,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        lower_is_worse=lower_is_worse,
    )


def number(
    minimum: int | float,
    maximum: int | float,
    unit: str,
    label: str,
    *,
    lower_is_worse: bool = False,
) -> FieldSpec:
    return FieldSpec(
        kind="number",
        label=label,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        lower_is_worse=lower_is_worse,
    )


def choice(label: str, *choices: str) -> FieldSpec:
    return FieldSpec(kind="choice", label=label, choices=choices)


SEVERITY = ("none", "mild", "moderate", "severe")

# Shared answers. ADL is the worst limitation the symptom causes (§1.1 ADL definitions [V]).
ADL = choice(
    "How much does it stop you doing everyday things? (none; household tasks such as cooking, "
    "shopping or managing money; looking after yourself such as washing, dressing or eating)",
    "none",
    "instrumental",
    "self_care",
)
HOSPITALIZED = yes_no("Were you admitted to hospital because of it?")
