"""validate_inputs(term, inputs): field-level, patient-facing messages for one term's answers."""

from __future__ import annotations

import math
from collections.abc import Mapping

from diary.grading.ctcae import TERMS
from diary.grading.terms import FieldSpec

UNKNOWN_TERM = "Unknown symptom term."
CARE_TEAM_ONLY = "This is recorded by the care team, not self-reported."
NOT_AN_OBJECT = "Send the answers for this symptom as a JSON object."
UNKNOWN_FIELD = "Unknown field."


def _show(value: int | float | None) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field_error(spec: FieldSpec, value: object) -> str | None:
    """The message for a wrong answer, or None. Booleans are not numbers, and 0/1 are not
    yes/no: JSON true/false and JSON numbers are kept apart."""
    if spec.kind == "bool":
        return None if value is True or value is False else "Answer yes or no."
    if spec.kind == "choice":
        if isinstance(value, str) and value in spec.choices:
            return None
        return f"Choose one of: {', '.join(spec.choices)}."
    low, high = spec.minimum, spec.maximum
    if spec.kind == "int":
        ok = type(value) is int
        message = f"Enter a whole number from {_show(low)} to {_show(high)}."
    else:
        ok = type(value) is int or (type(value) is float and math.isfinite(value))
        message = f"Enter a number from {_show(low)} to {_show(high)}."
    if not ok:
        return message
    assert isinstance(value, int | float)
    if (low is not None and value < low) or (high is not None and value > high):
        return message
    return None


def validate_inputs(term: str, inputs: object, *, self_report: bool = True) -> dict[str, list[str]]:
    """Errors keyed by field name ("" for the term as a whole); an empty dict means valid.

    `self_report=True` (a patient's diary) refuses the terms only the care team records. An
    empty object is valid: it grades as `insufficient`.
    """
    spec = TERMS.get(term) if isinstance(term, str) else None
    if spec is None:
        return {"": [UNKNOWN_TERM]}
    if self_report and not spec.self_reportable:
        return {"": [CARE_TEAM_ONLY]}
    if not isinstance(inputs, Mapping):
        return {"": [NOT_AN_OBJECT]}
    errors: dict[str, list[str]] = {}
    for name, value in inputs.items():
        field = spec.fields.get(name) if isinstance(name, str) else None
        if field is None:
            errors[str(name)] = [UNKNOWN_FIELD]
            continue
        message = field_error(field, value)
        if message is not None:
            errors[name] = [message]
    return errors
