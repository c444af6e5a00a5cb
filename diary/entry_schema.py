"""The diary entry body as msgspec types, built from the grading vocabulary (issue 17, D86).

``EntryBody`` says whether a body is certainly valid, checked in C: no unknown field at any
level, text and ids as JSON strings, each self-reportable term's answers of the vocabulary's
kind (yes/no, a listed choice, a whole number, a number) within its range, the medications'
types and ranges. It never produces an error answer: ``diary.serializers.validate_entry`` falls
back to ``EntryInSerializer`` for any body these types refuse, so the answer to a bad body is
the serializer's, and the serializer stays the documented contract in the OpenAPI schema.

The types accept only bodies the serializer accepts (``tests/diary/test_entry_schema.py``
checks it over generated bodies); where the serializer converts a value (the time with its
offset and bounds, loperamide's decimal places, text trimmed), ``validate_entry`` still uses
the serializer's own fields on the values these types let through.
"""

from __future__ import annotations

import math
import sys
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from diary.grading.ctcae import TERMS
from diary.grading.terms import FieldSpec
from diary.models import Reporter


def _bounds(low: float | None, high: float | None, *, whole: bool) -> dict[str, Any]:
    """Inclusive bounds as msgspec constraints. A whole number compares with a fractional bound
    as with its ceiling (low) or floor (high): the same numbers pass."""
    bounds: dict[str, Any] = {}
    if low is not None:
        bounds["ge"] = math.ceil(low) if whole else low
    if high is not None:
        bounds["le"] = math.floor(high) if whole else high
    return bounds


def _number(low: float | None, high: float | None, *, whole_only: bool) -> Any:
    """A JSON number within bounds, never a bool (msgspec keeps them apart, as the vocabulary's
    ``field_error`` does); with ``whole_only`` a JSON whole number only (2.0 is refused)."""
    whole_bounds = _bounds(low, high, whole=True)
    whole: Any = Annotated[int, Meta(**whole_bounds)] if whole_bounds else int
    if whole_only:
        return whole
    # Finite always: the vocabulary refuses infinity and NaN where it sets no bound.
    float_bounds: dict[str, Any] = {"ge": -sys.float_info.max, "le": sys.float_info.max}
    float_bounds.update(_bounds(low, high, whole=False))
    return whole | Annotated[float, Meta(**float_bounds)]


def answer_type(spec: FieldSpec) -> Any:
    """The msgspec type of one answer, from its ``FieldSpec`` (diary.grading.validation's
    ``field_error`` is the reference: the same values pass)."""
    if spec.kind == "bool":
        return bool
    if spec.kind == "choice":
        return Literal[spec.choices]
    return _number(spec.minimum, spec.maximum, whole_only=spec.kind == "int")


def _optional_struct(name: str, fields: dict[str, Any]) -> type[msgspec.Struct]:
    """A struct whose fields may each be left out, refusing any other field."""
    return msgspec.defstruct(
        name,
        [(field, kind | UnsetType, UNSET) for field, kind in fields.items()],
        forbid_unknown_fields=True,
    )


def _term_struct(name: str, fields: dict[str, FieldSpec]) -> Any:
    return _optional_struct(
        f"Answers_{name}", {field: answer_type(spec) for field, spec in fields.items()}
    )


# Symptom term -> its answers: the self-reportable terms only (the others are the care team's).
Symptoms = _optional_struct(
    "Symptoms",
    {
        name: _term_struct(name, dict(spec.fields))
        for name, spec in TERMS.items()
        if spec.self_reportable
    },
)

# The ranges of diary.serializers.MedicationsSerializer; loperamide's decimal places and the
# reason's trimming and length are checked by the serializer's own fields afterwards.
Medications = _optional_struct(
    "Medications",
    {
        "loperamide_mg": _number(0, 100, whole_only=False),
        "tki_doses_taken": _number(0, 60, whole_only=True),
        "tki_doses_missed": _number(0, 60, whole_only=True),
        "tki_dose_vomited": bool,
        "missed_dose_reason": str,
    },
)


class EntryBody(msgspec.Struct, forbid_unknown_fields=True):
    """One diary entry as ``EntryInSerializer`` takes it (../shared/api.md, Entries)."""

    id: uuid.UUID
    recorded_at: str
    symptoms: Symptoms | UnsetType = UNSET  # type: ignore[valid-type]
    medications: Medications | UnsetType = UNSET  # type: ignore[valid-type]
    note: str | UnsetType = UNSET
    reporter: Literal[tuple(Reporter.values)] | UnsetType = UNSET  # type: ignore[valid-type]
    corrects: uuid.UUID | None | UnsetType = UNSET


def certainly_valid(raw: Any) -> EntryBody | None:
    """The body as ``EntryBody`` when these types accept it, else None (the serializer then
    decides, and answers with its errors)."""
    if type(raw) is not dict:
        return None
    try:
        return msgspec.convert(raw, EntryBody)
    except msgspec.ValidationError:
        return None
