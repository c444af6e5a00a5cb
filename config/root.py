"""The two entrances a newcomer types: ``/`` (a page of links: the staff dashboard, the patient
app, the API docs) and ``/api/v1/`` (the API root: its parts as JSON)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# The API's parts a client starts from (named URLs of diary.urls and config.urls).
ENDPOINTS = {
    "enroll": "auth-enroll",
    "token": "auth-token",
    "refresh": "auth-refresh",
    "me": "me",
    "catalogue": "catalogue",
    "entries": "entries",
    "entries_batch": "entries-batch",
    "questionnaires_due": "questionnaires-due",
    "questionnaire_responses": "questionnaire-responses",
    "devices": "devices",
}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "clinicians/home.html")


class ApiRootView(APIView):
    """The API root: where the docs, the schema and each part of the API are."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        responses=inline_serializer(
            "ApiRoot",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "docs": serializers.URLField(),
                "redoc": serializers.URLField(),
                "schema": serializers.URLField(),
                "endpoints": serializers.DictField(child=serializers.URLField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "name": "ToxWatch API",
                "version": "v1",
                "docs": url("api-docs"),
                "redoc": url("api-redoc"),
                "schema": url("schema"),
                "endpoints": {key: url(name) for key, name in ENDPOINTS.items()},
            }
        )
