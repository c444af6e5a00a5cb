"""diary.entry_schema (msgspec) against EntryInSerializer, the contract it stands in for (D86).

The schema only ever says "certainly valid"; the serializer gives every error answer. So the
property that matters: whatever the schema path accepts, the serializer accepts too, with the
very same validated data (types and key order included), and validate_entry answers every body,
valid or not, exactly as the serializer does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from diary.entry_schema import Symptoms, answer_type, certainly_valid
from diary.grading.ctcae import TERMS
from diary.grading.validation import field_error
from diary.serializers import (
    BatchInSerializer,
    EntryInSerializer,
    batch_entries,
    validate_entry,
    validated_by_schema,
)

SELF_REPORTED = sorted(name for name, spec in TERMS.items() if spec.self_reportable)
CARE_TEAM = sorted(name for name, spec in TERMS.items() if not spec.self_reportable)


def typed(value: Any) -> Any:
    """A value with every type and key order spelled out: 5 and 5.0, True and 1, Decimal("4")
    and Decimal("4.0"), and dicts in another order compare unequal."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return ("list", [typed(v) for v in value])
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), str(value.tzinfo))
    return (type(value).__name__, repr(value))


def serializer_answer(raw: Any) -> tuple[str, Any]:
    serializer = EntryInSerializer(data=raw)
    if serializer.is_valid():
        return "valid", typed(dict(serializer.validated_data))
    return "invalid", serializer.errors


def validate_entry_answer(raw: Any) -> tuple[str, Any]:
    try:
        return "valid", typed(validate_entry(raw))
    except serializers.ValidationError as exc:
        return "invalid", exc.detail


# --- generated bodies: mostly valid, with every kind of mistake a phone or an attacker sends -----

NOW = datetime.now(UTC)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Good values eleven times in twelve, so that many bodies are valid and most invalid ones
    carry a single mistake."""
    return st.integers(0, 11).flatmap(lambda draw: bad if draw == 0 else good)


def answers(term: str) -> st.SearchStrategy[Any]:
    spec = TERMS[term]
    fields = {}
    for name, field in spec.fields.items():
        if field.kind == "bool":
            good: st.SearchStrategy[Any] = st.booleans()
        elif field.kind == "choice":
            good = st.sampled_from(field.choices)
        else:
            low = field.minimum if field.minimum is not None else -1000
            high = field.maximum if field.maximum is not None else 1000
            whole = st.integers(int(low), int(high))
            good = whole if field.kind == "int" else whole | st.floats(low, high)
        edges = [v for b in (field.minimum, field.maximum) if b is not None for v in (b - 1, b + 1)]
        wrong: st.SearchStrategy[Any] = st.sampled_from(
            [None, "1", True, 1, 2.0, 2.5, [], {}, "none", *edges]
        )
        fields[name] = mostly(good, wrong)
    if not fields:
        return st.just({})
    good_answers = st.fixed_dictionaries({}, optional=fields)
    return mostly(good_answers, st.sampled_from([None, [], "x", {"unknown": 1}]))


terms = mostly(st.sampled_from(SELF_REPORTED), st.sampled_from([*CARE_TEAM[:3], "not_a_term"]))
symptoms = st.lists(terms, max_size=4, unique=True).flatmap(
    lambda chosen: st.fixed_dictionaries(
        {term: answers(term) if term in TERMS else st.just({}) for term in chosen}
    )
)

uuids = st.uuids().flatmap(
    lambda u: mostly(
        st.just(str(u)),
        st.sampled_from(
            [str(u).upper(), u.hex, "{" + str(u) + "}", f"urn:uuid:{u}", str(u)[:-1], u.int]
        ),
    )
)


def times() -> st.SearchStrategy[Any]:
    moments = st.integers(-600, 3 * 86_400).map(lambda s: NOW - timedelta(seconds=s))
    formats = mostly(
        st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"]),
        st.sampled_from(["%Y-%m-%d %H:%M", "%Y%m%dT%H%M%S"]),
    )
    offsets = mostly(
        st.sampled_from(["+00:00", "Z", "+01:00", "-05:30", "+14:00"]),
        st.sampled_from(["+16:00", ""]),
    )
    built = st.builds(lambda m, f, o: m.strftime(f) + o, moments, formats, offsets)
    odd = st.sampled_from(
        [" 2026-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2026-01-01T00:00:00.1234567+01:00", 5]
    )
    return mostly(built, odd)


medication_values = {
    "loperamide_mg": mostly(
        st.sampled_from([0, 2, 4, 8, 16, 2.0, 4.5, 100, 100.0, 0.1, -0.0]),
        st.sampled_from([4.25, 100.05, 99.99, -1, 101, 1e20, "4", True, None]),
    ),
    "tki_doses_taken": mostly(st.integers(0, 60), st.sampled_from([-1, 61, 2.0, 2.5, "1", False])),
    "tki_doses_missed": mostly(st.integers(0, 60), st.sampled_from([-1, 61, 1.0, None, True])),
    "tki_dose_vomited": mostly(st.booleans(), st.sampled_from([0, 1, "true", None])),
    "missed_dose_reason": mostly(
        st.sampled_from(["", "  ", "forgot ", "x" * 500, " " + "x" * 500]),
        st.sampled_from(["a\x00b", "x" * 501, None, 4]),
    ),
}
medications = mostly(
    st.fixed_dictionaries({}, optional=medication_values),
    st.sampled_from([None, [], "none", {"other": 1}]),
)

notes = mostly(
    st.sampled_from(["", "  ", " tired ", "x" * 2000, " " + "x" * 2000 + " "]),
    st.sampled_from(["x" * 2001, "a\x00", 7, None]),
)

bodies = st.fixed_dictionaries(
    {"id": uuids, "recorded_at": times()},
    optional={
        "symptoms": symptoms,
        "medications": medications,
        "note": notes,
        "reporter": mostly(st.sampled_from(["patient", "carer"]), st.sampled_from(["x", 1, None])),
        "corrects": mostly(st.none() | uuids, st.just("not-a-uuid")),
    },
).flatmap(lambda body: mostly(st.just(body), st.just({**body, "extra": 1})))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_what_the_schema_accepts_the_serializer_accepts_with_the_same_data(raw: Any) -> None:
    fast = validated_by_schema(raw)
    if fast is not None:
        assert serializer_answer(raw) == ("valid", typed(fast))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies | st.sampled_from([None, [], "x", 5, {}]))
def test_validate_entry_answers_every_body_as_the_serializer_does(raw: Any) -> None:
    assert validate_entry_answer(raw) == serializer_answer(raw)


def a_phone_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "recorded_at": (NOW - timedelta(hours=2)).astimezone().isoformat(timespec="seconds"),
        "symptoms": {
            "diarrhea": {"stools_over_baseline": 3, "adl": "none"},
            "fever": {"temp_c": 37.4},
            "fatigue": {"fatigue": True, "relieved_by_rest": True, "adl": "none"},
            "hypoxia": {"spo2_rest": 96, "spo2_exertion": 93},
        },
        "medications": {
            "loperamide_mg": 4,
            "tki_doses_taken": 1,
            "tki_doses_missed": 0,
            "missed_dose_reason": " ",
        },
        "note": " a little tired ",
        "reporter": "carer",
        "corrects": None,
    }
    body.update(changes)
    return body


def test_a_phone_body_takes_the_schema_path_with_the_serializer_data() -> None:
    raw = a_phone_body()
    fast = validated_by_schema(raw)
    assert fast is not None  # else the schema path never runs and nothing is gained
    assert serializer_answer(raw) == ("valid", typed(fast))
    assert fast["medications"]["loperamide_mg"] == Decimal("4.0")
    assert fast["note"] == "a little tired"  # trimmed, as the serializer's CharField does


def test_a_minimal_body_takes_the_schema_path_with_the_defaults() -> None:
    raw = {"id": str(uuid.uuid4()), "recorded_at": "2026-01-02T03:04:05Z", "note": "ok"}
    fast = validated_by_schema(raw)
    assert fast is not None
    assert serializer_answer(raw) == ("valid", typed(fast))


@pytest.mark.parametrize(
    "changes",
    [
        {"symptoms": {}, "medications": {}, "note": "  "},  # nothing reported
        {"recorded_at": "2026-01-02T03:04:05"},  # no offset
        {"medications": {"loperamide_mg": 4.25}},  # two decimal places
        {"symptoms": {"diarrhea": {"stools_over_baseline": 3.0}}},  # a whole number as 3.0
        {"symptoms": {CARE_TEAM[0]: {}}},  # recorded by the care team
        {"note": 5},
    ],
)
def test_bodies_the_schema_leaves_to_the_serializer_get_its_answer(changes: dict) -> None:
    raw = a_phone_body(**changes)
    assert validate_entry_answer(raw) == serializer_answer(raw)


def test_the_schema_has_every_self_reportable_term_and_no_other() -> None:
    assert sorted(Symptoms.__struct_fields__) == SELF_REPORTED
    assert certainly_valid(a_phone_body(symptoms={CARE_TEAM[0]: {}})) is None


def test_answer_types_take_exactly_what_the_vocabulary_takes() -> None:
    # At and beyond every field's edges, and across kinds, msgspec's type and the vocabulary's
    # own check (diary.grading.validation.field_error) agree.
    samples: list[Any] = [True, False, None, "none", "", 0, 1, 2.0, 2.5, -1, [], {}]
    checked = 0
    for term in TERMS.values():
        for spec in term.fields.values():
            values = [*samples, *spec.choices]
            for bound in (spec.minimum, spec.maximum):
                if bound is not None:
                    values += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5, float(bound)]
            for value in values:
                try:
                    msgspec.convert(value, answer_type(spec))
                    accepted = True
                except msgspec.ValidationError:
                    accepted = False
                assert accepted == (field_error(spec, value) is None), (term.name, spec, value)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    "raw",
    [
        {"entries": [{"id": "x"}]},
        {"entries": [None, 1, "x", [], {}]},
        {"entries": [{}] * 100},
        {"entries": [{}] * 101},
        {"entries": []},
        {"entries": {}},
        {"entries": "x"},
        {"entries": None},
        {"entries": [{}], "extra": 1},
        {},
        [],
        None,
    ],
)
def test_a_batch_body_is_taken_as_the_serializer_takes_it(raw: Any) -> None:
    serializer = BatchInSerializer(data=raw)
    if serializer.is_valid():
        assert batch_entries(raw) == list(serializer.validated_data["entries"])
    else:
        with pytest.raises(serializers.ValidationError) as caught:
            batch_entries(raw)
        assert caught.value.detail == serializer.errors
