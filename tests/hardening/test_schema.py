"""Issue 13, "What was seen" 6: the OpenAPI schema says what the server does."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return schema["paths"][path][method]


def test_loperamide_is_a_number_not_a_decimal_string(schema):
    loperamide = schema["components"]["schemas"]["MedicationsRequest"]["properties"][
        "loperamide_mg"
    ]
    assert loperamide["type"] == "number"


def test_download_url_is_a_nullable_relative_reference(schema):
    field = schema["components"]["schemas"]["ExportOut"]["properties"]["download_url"]
    assert field["nullable"] is True
    assert field["format"] == "uri-reference"


def test_downloads_are_zip_or_fhir_json(schema):
    answer = operation(schema, "/api/v1/staff/exports/{id}/download/", "get")["responses"]["200"]
    assert set(answer["content"]) == {"application/zip", "application/fhir+json"}


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/v1/me/", "get"),
        ("/api/v1/entries/", "get"),
        ("/api/v1/entries/", "post"),
        ("/api/v1/entries/batch/", "post"),
        ("/api/v1/questionnaires/responses/", "post"),
        ("/api/v1/devices/", "delete"),
        ("/api/v1/staff/exports/", "post"),
        ("/api/v1/staff/patients/{subject_id}/observations/", "get"),
    ],
)
def test_operations_that_need_a_caller_document_401_and_403(schema, path, method):
    assert {"401", "403"} <= set(operation(schema, path, method)["responses"])


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token/", "/api/v1/auth/enroll/", "/api/v1/auth/refresh/"]
)
def test_sign_in_calls_document_400_and_429(schema, path):
    assert {"400", "429"} <= set(operation(schema, path, "post")["responses"])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/entries/{id}/", "/api/v1/questionnaires/responses/{id}/", "/api/v1/entries/"],
)
def test_objects_and_cursors_document_404(schema, path):
    assert "404" in operation(schema, path, "get")["responses"]


def test_every_error_answer_has_the_one_error_shape(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            for code, answer in op["responses"].items():
                if int(code) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (path, method, code)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "fields"}


def test_strict_request_bodies_refuse_unknown_fields(schema):
    assert schema["components"]["schemas"]["EntryInRequest"]["additionalProperties"] is False
