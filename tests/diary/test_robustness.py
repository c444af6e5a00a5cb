"""No input makes the API answer 500, and a refused entry leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary import instruments
from diary.grading import TERMS
from diary.models import DiaryEntry, EntryGrade, QuestionnaireResponse
from tests.helpers import enrolled_client, entry_body, make_clinic, response_body

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
terms = st.sampled_from(sorted(TERMS))
fields = st.sampled_from(sorted({f for spec in TERMS.values() for f in spec.fields}))
symptom_maps = st.dictionaries(
    terms, st.dictionaries(fields, json_values, max_size=4) | json_values, max_size=3
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def client() -> Any:
    return enrolled_client(make_clinic())[1]


@SETTINGS
@given(symptoms=symptom_maps, extra=st.dictionaries(st.text(max_size=10), json_values, max_size=2))
def test_any_symptom_answers_give_201_or_a_clear_400(client, symptoms, extra):
    before = DiaryEntry.objects.count(), EntryGrade.objects.count()
    body = {**entry_body(symptoms=symptoms), **extra}
    response = client.post("/api/v1/entries/", body, format="json")
    assert response.status_code in {201, 400}, response.content
    if response.status_code == 400:
        error = response.json()
        assert set(error) == {"code", "message", "fields"}
        assert (DiaryEntry.objects.count(), EntryGrade.objects.count()) == before


@SETTINGS
@given(payload=json_values)
def test_any_json_body_gives_a_4xx_not_a_500(client, payload):
    for path in ("/api/v1/entries/", "/api/v1/entries/batch/", "/api/v1/auth/token/"):
        response = client.post(path, payload, format="json")
        assert 400 <= response.status_code < 500 or response.status_code in {200, 201}, (
            path,
            response.content,
        )


@SETTINGS
@given(entries=st.lists(json_values | st.builds(entry_body), max_size=5))
def test_any_batch_answers_one_result_per_entry(client, entries):
    response = client.post("/api/v1/entries/batch/", {"entries": entries}, format="json")
    if not entries:
        assert response.status_code == 400
        return
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == len(entries)
    assert {r["status"] for r in results} <= {"created", "duplicate", "conflict", "invalid"}


instrument_codes = st.sampled_from(sorted(instruments.CURRENT) + ["", "unknown"])
item_codes = st.sampled_from(
    sorted({item.code for i in instruments.ALL for item in i.items}) + ["Q0", ""]
)
answer_maps = st.dictionaries(item_codes, json_values | st.integers(-2, 12), max_size=8)


@SETTINGS
@given(instrument=instrument_codes, answers=answer_maps | json_values, extra=json_values)
def test_any_questionnaire_answers_give_201_or_a_clear_400(client, instrument, answers, extra):
    before = QuestionnaireResponse.objects.count()
    body = response_body(instrument, answers)  # type: ignore[arg-type]
    if isinstance(extra, dict):
        body.update({key: value for key, value in extra.items() if key != "id"})
    response = client.post("/api/v1/questionnaires/responses/", body, format="json")
    assert response.status_code in {201, 400}, response.content
    if response.status_code == 400:
        assert set(response.json()) == {"code", "message", "fields"}
        assert QuestionnaireResponse.objects.count() == before


@SETTINGS
@given(payload=json_values)
def test_any_json_body_to_the_questionnaire_and_device_endpoints_gives_a_4xx(client, payload):
    for method, path in (
        ("post", "/api/v1/questionnaires/responses/"),
        ("post", "/api/v1/devices/"),
        ("delete", "/api/v1/devices/"),
    ):
        response = getattr(client, method)(path, payload, format="json")
        assert 400 <= response.status_code < 500, (path, response.content)


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+01:00", "1999-12-31T23:00:00+00:00", "9999-12-31T23:59:59-12:00"]
)
def test_impossible_completion_times_are_a_400(client, when):
    body = {**response_body(), "completed_at": when}
    response = client.post("/api/v1/questionnaires/responses/", body, format="json")
    assert response.status_code == 400
    assert "completed_at" in response.json()["fields"]
