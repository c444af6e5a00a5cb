"""The fuzz suite (issue 13, Deliver 2): hostile JSON against every write endpoint.

Hypothesis takes a valid body of each endpoint and breaks it: a field (at any depth) replaced by
a hostile value (lone surrogates, huge and special numbers, extreme dates and offsets, wrong
types, deep nesting, long strings), a hostile extra key, or a hostile body altogether; oversized
bodies separately. Every answer must be below 500, every error in the one shape, and the
database must change only as the answer says: nothing on an error, exactly the rows the answer
reports on a success. Runs in `make test` on SQLite and in .ci/run on PostgreSQL, where offsets
and far dates behave differently. TOXWATCH_FUZZ_EXAMPLES sets the examples per test.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from alerts.models import Alert
from clinicians.exports.models import Export
from diary.models import (
    ClinicianObservation,
    Device,
    DiaryEntry,
    EntryGrade,
    QuestionnaireResponse,
    RefreshToken,
    StaffRole,
)
from tests.helpers import enrolled_client, entry_body, make_clinic, make_staff, response_body

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("TOXWATCH_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ERROR_KEYS = {"code", "message", "fields"}
TABLES: dict[str, type[Any]] = {
    "entries": DiaryEntry,
    "grades": EntryGrade,
    "alerts": Alert,
    "responses": QuestionnaireResponse,
    "devices": Device,
    "observations": ClinicianObservation,
    "exports": Export,
    "refresh_tokens": RefreshToken,
}


# --- hostile JSON ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is: what json.dumps cannot or will not write."""

    token: str


def to_json(value: Any) -> str:
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)  # lone surrogates become "\ud800"


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "1" + "]" * depth)


SPECIAL_NUMBERS = [
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1" * 5000),
    Raw("5e-324"),
    Raw("-0"),
    Raw("1E+2"),
    Raw("0.1e-400"),
]
NASTY_STRINGS = [
    "\ud800",
    "a\udfffb",
    "\udbff\udbff",
    "\x00",
    "\u202eevil",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "A" * 5000,
    "",
    " ",
    "null",
    "12345",
    "00000000-0000-0000-0000-000000000000",
]
EXTREME_TIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00-15:59",
    "1900-01-01T00:00:00Z",
    "1999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-23:59",
    "2026-11-23T08:30:00+15:59",
    "2026-11-23T08:30:00-16:00",
    "2026-11-23T08:30:00+23:59",
    "2026-02-30T08:30:00+01:00",
    "2026-11-23T24:00:00+01:00",
    "2026-11-23T08:30:00",
    "2026-11-23",
    "2026-11-23T08:30:00.9999999999+01:00",
    "+12026-11-23T08:30:00Z",
]
EXTREME_DATES = ["0001-01-01", "9999-12-31", "1900-01-01", "2026-02-30", "2026-13-01", "2026"]

scalars = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(EXTREME_TIMES + EXTREME_DATES),
)
hostile_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(NASTY_STRINGS) | st.text(max_size=8), scalars, max_size=3),
    st.integers(min_value=15, max_value=60).map(nested),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a body that a hostile value can replace."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(body) if isinstance(body, dict) else list(body)
    copy[path[0]] = replaced(copy[path[0]], path[1:], value)
    return copy


@st.composite
def broken(draw: st.DrawFn, valid: Any) -> Any:
    """A valid body with one hostile change."""
    how = draw(st.sampled_from(["replace", "replace", "replace", "add", "whole"]))
    if how == "whole":
        return draw(hostile_values)
    if how == "add" and isinstance(valid, dict):
        key = draw(st.sampled_from(NASTY_STRINGS) | st.text(min_size=1, max_size=8))
        return {**valid, key: draw(hostile_values)}
    places = paths(valid)
    if not places:
        return draw(hostile_values)
    return replaced(valid, draw(st.sampled_from(places)), draw(hostile_values))


# --- the endpoints --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str
    caller: str  # which client of the world calls it
    valid: Callable[[dict[str, Any]], Any]
    # The row counts a success may change, given the answer: table -> expected change.
    on_success: Callable[[Any], dict[str, int | None]]


def _entries_created(answer: Any) -> dict[str, int | None]:
    return {"entries": 1 if answer.status_code == 201 else 0, "grades": None, "alerts": None}


def _batch_created(answer: Any) -> dict[str, int | None]:
    created = sum(r["status"] == "created" for r in answer.json()["results"])
    return {"entries": created, "grades": None, "alerts": None}


ENDPOINTS = {
    "enroll": Endpoint(
        "post",
        "/api/v1/auth/enroll/",
        "anonymous",
        lambda w: {"code": "ABCD-EFGH-JKLM", "password": "a-long-password-1"},
        lambda a: {"refresh_tokens": None},
    ),
    "token": Endpoint(
        "post",
        "/api/v1/auth/token/",
        "anonymous",
        lambda w: {"username": w["subject_id"], "password": "wrong-password"},
        lambda a: {"refresh_tokens": 1},
    ),
    "refresh": Endpoint(
        "post",
        "/api/v1/auth/refresh/",
        "anonymous",
        lambda w: {"refresh": "not-a-token-0123456789"},
        lambda a: {"refresh_tokens": 1},
    ),
    "logout": Endpoint(
        "post",
        "/api/v1/auth/logout/",
        "anonymous",
        lambda w: {"refresh": "not-a-token-0123456789"},
        lambda a: {},
    ),
    "entry": Endpoint(
        "post",
        "/api/v1/entries/",
        "patient",
        lambda w: entry_body(
            note="fuzz", medications={"loperamide_mg": 4, "tki_doses_taken": 1}, reporter="patient"
        ),
        _entries_created,
    ),
    "batch": Endpoint(
        "post",
        "/api/v1/entries/batch/",
        "patient",
        lambda w: {"entries": [entry_body(), entry_body(note="second")]},
        _batch_created,
    ),
    "response": Endpoint(
        "post",
        "/api/v1/questionnaires/responses/",
        "patient",
        lambda w: response_body(),
        lambda a: {"responses": 1 if a.status_code == 201 else 0},
    ),
    "device": Endpoint(
        "post",
        "/api/v1/devices/",
        "patient",
        lambda w: {"platform": "fcm", "token": f"fuzz-token-{uuid.uuid4().hex}"},
        lambda a: {"devices": 1 if a.status_code == 201 else 0},
    ),
    "device delete": Endpoint(
        "delete",
        "/api/v1/devices/",
        "patient",
        lambda w: {"token": "fuzz-token-never-registered"},
        lambda a: {"devices": None},
    ),
    "observation": Endpoint(
        "post",
        "/api/v1/staff/patients/{subject_id}/observations/",
        "nurse",
        lambda w: {
            "term": "alt_increased",
            "inputs": {"alt_x_uln": 4},
            "observed_at": "2026-01-05T09:00:00+01:00",
        },
        lambda a: {"observations": 1, "alerts": None},
    ),
    "export": Endpoint(
        "post",
        "/api/v1/staff/exports/",
        "data_manager",
        lambda w: {
            "format": "csv",
            "date_from": "2025-01-01",
            "date_to": "2025-01-31",
            "instruments": ["symptom_diary"],
        },
        lambda a: {"exports": 1},
    ),
}


@pytest.fixture
def world(settings, tmp_path, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # The sign-in calls are fuzzed for what they do, not answered 429 after the 60th.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"auth": "100000/min"})
    settings.TOXWATCH_EXPORT_DIR = tmp_path
    settings.TOXWATCH_EXPORTS_PER_HOUR = 10**6
    clinic = make_clinic("FUZ")
    patient, patient_client = enrolled_client(clinic)
    clients = {"anonymous": APIClient(), "patient": patient_client}
    for role in (StaffRole.NURSE, StaffRole.DATA_MANAGER):
        client = APIClient()
        client.force_login(make_staff(clinic, role))
        clients[str(role)] = client
    return {"clients": clients, "subject_id": patient.subject_id}


def counts() -> dict[str, int]:
    return {name: model._default_manager.count() for name, model in TABLES.items()}


def send(world: dict[str, Any], endpoint: Endpoint, raw: str) -> Any:
    client = world["clients"][endpoint.caller]
    url = endpoint.url.format(subject_id=world["subject_id"])
    return client.generic(endpoint.method.upper(), url, raw, content_type="application/json")


def check(world: dict[str, Any], endpoint: Endpoint, raw: str) -> Any:
    before = counts()
    answer = send(world, endpoint, raw)
    after = counts()
    assert answer.status_code < 500, (answer.status_code, raw[:300])
    changed = {name: after[name] - before[name] for name in TABLES if after[name] != before[name]}
    if answer.status_code >= 400:
        assert answer["Content-Type"].startswith("application/json"), raw[:300]
        assert set(answer.json()) == ERROR_KEYS, answer.content[:300]
        assert changed == {}, (answer.status_code, changed, raw[:300])
    else:
        expected = endpoint.on_success(answer)
        for name, delta in changed.items():
            assert name in expected, (name, delta, raw[:300])
            assert expected[name] is None or expected[name] == delta, (name, delta)
        for name, wanted in expected.items():
            if wanted is not None:
                assert after[name] - before[name] == wanted, (name, raw[:300])
    return answer


STARTING_STATUS = {
    "enroll": 400,  # no such code
    "token": 401,  # a wrong password
    "refresh": 401,
    "logout": 204,
    "entry": 201,
    "batch": 200,
    "response": 201,
    "device": 201,
    "device delete": 204,
    "observation": 201,
    "export": 201,
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_each_starting_body_gets_its_usual_answer(world, name):
    """The bodies the fuzzing breaks, checked the same way: mostly accepted, so that a broken
    one exercises the validation and the storing behind it."""
    endpoint = ENDPOINTS[name]
    answer = check(world, endpoint, to_json(endpoint.valid(world)))
    assert answer.status_code == STARTING_STATUS[name], answer.content[:300]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@FUZZ
@given(data=st.data())
def test_a_broken_body_never_gets_a_5xx_and_changes_only_what_the_answer_says(world, name, data):
    endpoint = ENDPOINTS[name]
    body = data.draw(broken(endpoint.valid(world)), label="body")
    check(world, endpoint, to_json(body))


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
@settings(
    max_examples=max(5, EXAMPLES // 4), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(extra=st.integers(min_value=1, max_value=50_000), depth=st.sampled_from([0, 25, 100_000]))
def test_an_oversized_or_deep_body_is_a_413_or_a_400(world, settings, name, extra, depth):
    endpoint = ENDPOINTS[name]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    body = endpoint.valid(world)
    if depth:
        body = replaced(body, paths(body)[0], nested(depth)) if paths(body) else nested(depth)
    raw = to_json(body)
    if not depth:
        raw = raw[:-1] + ', "padding": "' + "x" * (20_000 + extra) + '"}'
    answer = check(world, endpoint, raw)
    if len(raw.encode()) > 20_000:
        assert answer.status_code == 413 and answer.json()["code"] == "too_large"
    else:
        assert answer.status_code == 400 and answer.json()["code"] == "parse_error"
