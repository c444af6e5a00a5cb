"""``GET /api/v1/catalogue/``: the diary catalogue (diary.catalogue), cacheable by ETag."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from diary import catalogue
from diary.api import PatientView
from diary.models import Language


class ChoiceOutSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the contract's field name


class CatalogueFieldSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The input field name (reference §1.2, §5.5, §5.7).")
    kind = serializers.ChoiceField(choices=["bool", "int", "number", "choice"])
    label = serializers.CharField(help_text="The question, in the catalogue's language.")  # type: ignore[assignment]  # the contract's field name
    help = serializers.CharField(allow_blank=True)
    primary = serializers.BooleanField(
        help_text="One primary field is needed to grade the term (else it is `insufficient`)."
    )
    choices = ChoiceOutSerializer(many=True, help_text="For `choice`: least to most severe.")
    minimum = serializers.FloatField(allow_null=True)
    maximum = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    step = serializers.FloatField(allow_null=True, help_text="1 for whole numbers.")
    lower_is_worse = serializers.BooleanField()


class MedicationFieldSerializer(CatalogueFieldSerializer):
    kind = serializers.ChoiceField(choices=["bool", "int", "number", "text"])
    max_length = serializers.IntegerField(allow_null=True, help_text="For `text`.")


class MedicationsOutSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # the contract's field name
    fields = MedicationFieldSerializer(many=True)  # type: ignore[assignment]  # the contract's field name
    ask = serializers.ListField(
        child=serializers.CharField(),
        help_text="The medication fields to ask this patient (loperamide when diarrhoea is "
        "reported; TKI doses on an oral TKI).",
    )


class CatalogueTermSerializer(serializers.Serializer):
    term = serializers.CharField()
    label = serializers.CharField(help_text="The screen's title, in the catalogue's language.")  # type: ignore[assignment]  # the contract's field name
    ctcae_term = serializers.CharField()
    meddra_code = serializers.CharField(allow_null=True)
    alert_only = serializers.BooleanField(help_text="Stored and alerted on, never graded (§5.7).")
    primary_fields = serializers.ListField(child=serializers.CharField())
    fields = CatalogueFieldSerializer(many=True)  # type: ignore[assignment]  # the contract's field name


class CallNowSerializer(serializers.Serializer):
    term = serializers.CharField()
    field = serializers.CharField()
    op = serializers.ChoiceField(
        choices=["equals", "one_of", "at_least", "below", "at_most", "is_true"]
    )
    value = serializers.JSONField(allow_null=True)
    kind = serializers.ChoiceField(choices=["ild", "gi", "fever", "hepatic", "cns"])
    source = serializers.CharField(help_text="The reference section and its source tag.")  # type: ignore[assignment]  # the contract's field name
    drugs = serializers.ListField(child=serializers.CharField(), allow_null=True)
    brain_metastases_only = serializers.BooleanField()


class ContactsSerializer(serializers.Serializer):
    clinic_phone_24h = serializers.CharField(allow_blank=True)
    emergency_number = serializers.CharField()


class MessagesSerializer(serializers.Serializer):
    levels = serializers.DictField(child=serializers.CharField(), help_text="red, amber, green.")
    every_red = serializers.CharField()
    always = serializers.CharField()
    red_by_kind = serializers.DictField(child=serializers.CharField())
    status = serializers.CharField(help_text="`source` or `awaiting_clinical_review`.")
    source = serializers.CharField()  # type: ignore[assignment]  # the contract's field name


class CatalogueSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=Language.choices)
    languages = serializers.ListField(child=serializers.CharField())
    translation_status = serializers.CharField(
        help_text="`source` (English) or `awaiting_clinical_review`."
    )
    terms = CatalogueTermSerializer(many=True, help_text="Every self-reportable term.")
    ask_today = serializers.ListField(
        child=serializers.CharField(),
        help_text="The terms to ask this patient today, in order (as /me `report_terms`).",
    )
    medications = MedicationsOutSerializer(help_text="The entry's `medications` fields.")
    call_now = CallNowSerializer(
        many=True,
        help_text="Answers that on their own mean RED for this patient: show the call screen "
        "at once, even offline.",
    )
    contacts = ContactsSerializer()
    messages = MessagesSerializer(help_text="What the patient is told (reference §5.8).")


class CatalogueView(PatientView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "lang", str, description="en, es or zh-hans (default: the patient's language)."
            ),
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER),
        ],
        responses={
            200: CatalogueSerializer,
            304: OpenApiResponse(description="Not modified (the ETag matched)."),
        },
        summary="The diary catalogue: terms, fields, labels, what to ask today, call-now answers",
        tags=["patient"],
    )
    def get(self, request: Request) -> Response:
        patient = self.patient
        language = catalogue.language_from(
            query=request.query_params.get("lang"),
            patient=patient,
        )
        data = catalogue.build(language=language, patient=patient)
        tag = catalogue.etag(data)
        headers = {
            "ETag": tag,
            "Cache-Control": "private, no-cache",
            "Vary": "Authorization",
            "Content-Language": language,
        }
        if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=304, headers=headers)
        return Response(CatalogueSerializer(data).data, headers=headers)
