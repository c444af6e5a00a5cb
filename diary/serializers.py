"""Mobile API serializers: strict input validation and the answer shapes of ../shared/api.md."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import msgspec
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary import entry_schema, grading
from diary.models import (
    AlertLevel,
    DevicePlatform,
    DiaryEntry,
    Language,
    QuestionnaireResponse,
    Reporter,
)

NOT_A_STRING = "Send this as a JSON string."


def _wants_string(field: serializers.Field) -> bool:
    """Text and id fields: DRF would take a number there and store ``str(number)``."""
    return isinstance(field, serializers.CharField | serializers.UUIDField)


def _type_errors(fields: Mapping[str, serializers.Field], data: Mapping[Any, Any]) -> dict:
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        if name not in data or field.read_only:
            continue
        value = data[name]
        if value is None:
            continue  # the field's own allow_null decides
        if isinstance(field, serializers.ListField) and isinstance(value, list):
            field, values = field.child, value
        else:
            values = [value]
        if _wants_string(field) and not all(isinstance(item, str) for item in values):
            errors[name] = [NOT_A_STRING]
    return errors


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, so nothing a phone sends is silently dropped, and takes
    text and ids only as JSON strings (``"note": 5`` is an error, not the note "5")."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            wrong_type = _type_errors(self.fields, data)
            if wrong_type:
                raise serializers.ValidationError(wrong_type)
        return super().to_internal_value(data)


# Times a phone or a clinician sends [D]: nothing here predates 2000, and an offset beyond
# +-15:59 exists nowhere (PostgreSQL refuses it; far dates overflow when moved between zones).
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.Field):
    """An ISO-8601 time that must carry its UTC offset; the offset is kept, not converted.

    Bounded: from 2000-01-01 to at most TOXWATCH_MAX_FUTURE_SKEW ahead of now, with an offset
    within +-15:59."""

    default_error_messages = {
        "invalid": "Enter a date and time such as 2026-11-23T08:30:00+01:00.",
        "naive": "Include the UTC offset, e.g. +01:00 or Z.",
        "offset": "The UTC offset must be between -15:59 and +15:59.",
        "too_early": "This time is too far in the past.",
        "future": "This time is in the future. Check the phone's clock.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        assert value is not None
        if timezone.is_naive(value):
            self.fail("naive")
        offset = value.utcoffset()
        if offset is None or abs(offset) > MAX_UTC_OFFSET:
            self.fail("offset")
        try:
            if value < EARLIEST_TIME:
                self.fail("too_early")
            if value > timezone.now() + settings.TOXWATCH_MAX_FUTURE_SKEW:
                self.fail("future")
        except OverflowError:  # a year-1 or year-9999 time compared across offsets
            self.fail("invalid")
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "Symptom term -> its inputs, with the term and field names of the clinical reference "
            "(§1.2, §1.3, §5.5, §5.7). Self-reportable terms only."
        ),
        "additionalProperties": {"type": "object", "additionalProperties": True},
        "example": {
            "diarrhea": {"stools_over_baseline": 5, "adl": "instrumental"},
            "fever": {"temp_c": 37.9},
        },
    }
)
class SymptomsField(serializers.Field):
    default_error_messages = {"not_object": "Send the symptoms as an object of term -> answers."}

    def to_internal_value(self, data: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(data, dict):
            self.fail("not_object")
        errors: dict[str, Any] = {}
        for term, inputs in data.items():
            term_errors = grading.validate_inputs(str(term), inputs, self_report=True)
            if term_errors:
                term_level = term_errors.pop("", None)
                errors[str(term)] = {**term_errors, **({"": term_level} if term_level else {})}
        if errors:
            raise serializers.ValidationError(errors)
        return {str(term): dict(inputs) for term, inputs in data.items()}

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number (not a string, not a bool, not 2.5)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            if isinstance(data, float) and data.is_integer():
                data = int(data)
            else:
                self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Answer true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field({"type": "number", "format": "double"})
class StrictDecimalField(serializers.DecimalField):
    """A JSON number (never a string): documented as one, so generated clients send 8.0."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(str(data))


# The ranges below only reject impossible input [D]; they are not clinical thresholds (those live
# in alerts/rules/ with their reference tags, e.g. loperamide >16 mg in 24 h, §5.6).
class MedicationsSerializer(StrictSerializer):
    loperamide_mg = StrictDecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        help_text="Loperamide taken in the last 24 hours, in mg.",
        error_messages={
            "invalid": "Enter the mg of loperamide taken, a number from 0 to 100.",
            "min_value": "Enter a number from 0 to 100.",
            "max_value": "Enter a number from 0 to 100.",
            "max_decimal_places": "Use at most one decimal place.",
            "max_digits": "Enter a number from 0 to 100.",
        },
    )
    tki_doses_taken = StrictIntegerField(
        min_value=0,
        max_value=60,
        required=False,
        help_text="TKI doses taken since the previous entry.",
        error_messages={"invalid": "Enter a whole number from 0 to 60."},
    )
    tki_doses_missed = StrictIntegerField(
        min_value=0,
        max_value=60,
        required=False,
        help_text="TKI doses missed since the previous entry.",
        error_messages={"invalid": "Enter a whole number from 0 to 60."},
    )
    tki_dose_vomited = StrictBooleanField(
        required=False, help_text="A TKI dose was vomited (it is not repeated)."
    )
    missed_dose_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, trim_whitespace=True
    )


class EntryInSerializer(StrictSerializer):
    id = serializers.UUIDField(
        help_text="Made on the phone; the same id with the same body is a safe replay."
    )
    recorded_at = OffsetDateTimeField(help_text="ISO-8601 with the phone's UTC offset.")
    symptoms = SymptomsField(required=False, default=dict)
    medications = MedicationsSerializer(required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reporter = serializers.ChoiceField(
        choices=Reporter.choices,
        required=False,
        default=Reporter.PATIENT,
        help_text="Who answered: the patient, or a carer on their behalf.",
    )
    corrects = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of an earlier entry of yours that this entry corrects.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("symptoms") and not attrs.get("medications") and not attrs.get("note"):
            raise serializers.ValidationError(
                {"symptoms": ["Report at least one symptom, medication or note."]}
            )
        return attrs


_validators = threading.local()


def validate_entry(raw: Any) -> dict[str, Any]:
    """One entry body validated as EntryInSerializer validates it, with exactly ``is_valid``'s
    errors.

    A body that ``diary.entry_schema`` finds certainly valid (msgspec, in C: the structure, the
    types, the vocabulary's answers and ranges; nearly every body a phone sends) skips the
    serializer's structure walk: only the fields that convert a value run (the time, loperamide,
    text). Any other body goes through the serializer, which answers with its errors: one
    instance per thread (building one deep-copies its declared fields, about a fifth of the CPU
    of a 100-entry batch), and for a body that fails, a fresh one, so the error answer is the
    one ``is_valid(raise_exception=True)`` gives (D86).
    """
    validator = _validator()
    data = validated_by_schema(raw)
    if data is not None:
        return data
    try:
        return dict(validator.run_validation(raw))
    except (serializers.ValidationError, DjangoValidationError):
        pass
    fresh = EntryInSerializer(data=raw)
    fresh.is_valid(raise_exception=True)
    return dict(fresh.validated_data)


def _validator() -> EntryInSerializer:
    validator = getattr(_validators, "entry", None)
    if validator is None:
        validator = _validators.entry = EntryInSerializer()
    return validator


def validated_by_schema(raw: Any) -> dict[str, Any] | None:
    """``validated_data`` of a body ``diary.entry_schema.EntryBody`` accepts and the serializer's
    converting fields and ``validate`` accept too, built as the serializer builds it (the same
    keys in the same order, the same values); None for any other body."""
    body = entry_schema.certainly_valid(raw)
    if body is None:
        return None
    try:
        return _from_body(_validator(), raw, body)
    except (serializers.ValidationError, DjangoValidationError):
        return None


def _from_body(
    validator: EntryInSerializer, raw: dict[str, Any], body: entry_schema.EntryBody
) -> dict[str, Any] | None:
    fields = validator.fields
    data: dict[str, Any] = {
        "id": body.id,
        "recorded_at": fields["recorded_at"].run_validation(raw["recorded_at"]),
        "symptoms": {term: dict(inputs) for term, inputs in raw.get("symptoms", {}).items()},
    }
    if "medications" in raw:
        sent = raw["medications"]
        medications: dict[str, Any] = {}
        medication_fields = cast(MedicationsSerializer, fields["medications"]).fields
        for name, field in medication_fields.items():
            if name in sent:
                value = sent[name]
                medications[name] = value if name in _AS_SENT else field.run_validation(value)
        data["medications"] = medications
    data["note"] = fields["note"].run_validation(raw["note"]) if "note" in raw else ""
    data["reporter"] = raw.get("reporter", Reporter.PATIENT)
    data["corrects"] = body.corrects if body.corrects is not msgspec.UNSET else None
    if not data["symptoms"] and not data.get("medications") and not data["note"]:
        return None  # EntryInSerializer.validate's error
    return data


# Medications EntryBody has checked whole, as the serializer's field returns them: JSON whole
# numbers and true/false (StrictIntegerField also takes 2.0 as 2; EntryBody leaves that to it).
_AS_SENT = frozenset({"tki_doses_taken", "tki_doses_missed", "tki_dose_vomited"})


class BatchInSerializer(StrictSerializer):
    entries = serializers.ListField(
        # Any JSON per item: each entry is validated on its own, so one bad item never blocks
        # the others (a null one included).
        child=serializers.JSONField(allow_null=True),
        allow_empty=False,
        max_length=100,
        error_messages={"max_length": "Send at most 100 entries in one batch."},
    )


_BATCH_MAX: int = cast(
    int, cast(serializers.ListField, BatchInSerializer._declared_fields["entries"]).max_length
)


def batch_entries(raw: Any) -> list[Any]:
    """The entries of a batch body, as ``BatchInSerializer`` validates it: a body that is plainly
    ``{"entries": [1 to 100 items]}`` is taken as it is (the serializer would return the same
    items, after a ``json.dumps`` of each to check what JSON already is), any other goes through
    the serializer for its error answer (D86)."""
    if type(raw) is dict and len(raw) == 1:
        entries = raw.get("entries")
        if type(entries) is list and 0 < len(entries) <= _BATCH_MAX:
            return entries
    body = BatchInSerializer(data=raw)
    body.is_valid(raise_exception=True)
    return list(body.validated_data["entries"])


class GradeSerializer(serializers.Serializer):
    grade = serializers.IntegerField(allow_null=True, min_value=0, max_value=5)
    status = serializers.ChoiceField(choices=["graded", "insufficient", "not_graded"])
    criteria = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField(), required=False)
    ctcae_version = serializers.CharField()


class AdviceSerializer(serializers.Serializer):
    term = serializers.CharField()
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    text = serializers.CharField()


class AdviceSummarySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    text = serializers.CharField()


class EntryOutSerializer(serializers.ModelSerializer):
    recorded_at = serializers.SerializerMethodField()
    medications = serializers.SerializerMethodField()
    symptoms = serializers.JSONField()
    grades = serializers.SerializerMethodField()
    advice = serializers.SerializerMethodField()
    advice_summary = serializers.SerializerMethodField()
    corrects = serializers.UUIDField(source="corrects_id", allow_null=True)

    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "recorded_at",
            "received_at",
            "reporter",
            "symptoms",
            "medications",
            "note",
            "corrects",
            "grades",
            "advice",
            "advice_summary",
            "alert_level",
        ]

    def get_recorded_at(self, entry: DiaryEntry) -> str:
        return entry.local_recorded_at().isoformat()

    @extend_schema_field(MedicationsSerializer)
    def get_medications(self, entry: DiaryEntry) -> dict[str, Any]:
        return entry.medications

    @extend_schema_field(serializers.DictField(child=GradeSerializer()))
    def get_grades(self, entry: DiaryEntry) -> dict[str, Any]:
        return {g.term: g.as_dict() for g in entry.grades.all() if g.superseded_at is None}

    @extend_schema_field(AdviceSerializer(many=True))
    def get_advice(self, entry: DiaryEntry) -> list[dict[str, str]]:
        """What the patient was told per term, as stored with the entry (reference §5.8)."""
        return list(entry.advice.get("items", []))

    @extend_schema_field(AdviceSummarySerializer(allow_null=True))
    def get_advice_summary(self, entry: DiaryEntry) -> dict[str, str] | None:
        """The answer's overall message; its level is the entry's alert_level (§5.8)."""
        summary: dict[str, str] | None = entry.advice.get("summary")
        return summary


_RECEIVED_AT = serializers.DateTimeField()  # EntryOutSerializer's received_at (a model field)


def entry_answer(entry: DiaryEntry) -> dict[str, Any]:
    """``EntryOutSerializer(entry).data``, built directly (D85): a ModelSerializer builds and
    deep-copies its fields for every instance, about 5% of a single entry's CPU. The same keys,
    in the same order, with the same values (a test compares both on many entries); the
    serializer still documents the answer in the OpenAPI schema."""
    advice = entry.advice
    return {
        "id": str(entry.pk),
        "recorded_at": entry.local_recorded_at().isoformat(),
        "received_at": _RECEIVED_AT.to_representation(entry.received_at),
        "reporter": str(entry.reporter),
        "symptoms": entry.symptoms,
        "medications": entry.medications,
        "note": str(entry.note),
        "corrects": str(entry.corrects_id) if entry.corrects_id is not None else None,
        "grades": {g.term: g.as_dict() for g in entry.grades.all() if g.superseded_at is None},
        "advice": list(advice.get("items", [])),
        "advice_summary": advice.get("summary"),
        "alert_level": str(entry.alert_level),
    }


class EnrollSerializer(StrictSerializer):
    code = serializers.CharField(max_length=64)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenObtainSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, help_text="The subject id.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=200)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class EnrolledSerializer(TokenPairSerializer):
    subject_id = serializers.CharField()


class BatchResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "conflict", "invalid"])
    errors = serializers.DictField(  # type: ignore[assignment]  # the contract's field name
        child=serializers.ListField(child=serializers.CharField())
    )
    alert_level = serializers.ChoiceField(choices=AlertLevel.choices, required=False)


class BatchOutSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)


class TreatmentOutSerializer(serializers.Serializer):
    drug = serializers.CharField(allow_null=True)
    drug_name = serializers.CharField(allow_null=True)
    drug_class = serializers.ChoiceField(choices=["adc", "tki", "other"])
    status = serializers.CharField(allow_null=True)
    dose_level = serializers.CharField(allow_null=True)
    schedule = serializers.CharField(allow_null=True)
    started_on = serializers.DateField(allow_null=True)
    last_infusion_on = serializers.DateField(allow_null=True)


class BaselineSerializer(serializers.Serializer):
    stools_per_day = serializers.IntegerField(allow_null=True)
    spo2_rest = serializers.IntegerField(allow_null=True)
    spo2_exertion = serializers.IntegerField(allow_null=True)
    sob_exertion = serializers.CharField(allow_null=True)
    weight_kg = serializers.FloatField(allow_null=True)
    cough_severity = serializers.CharField(allow_null=True)


class FollowUpSerializer(serializers.Serializer):
    code = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_blank=True)
    due_at = serializers.DateTimeField()


class LatestAdviceSerializer(serializers.Serializer):
    entry_id = serializers.UUIDField()
    recorded_at = serializers.DateTimeField()
    alert_level = serializers.ChoiceField(choices=AlertLevel.choices)
    advice_summary = AdviceSummarySerializer(allow_null=True)
    advice = AdviceSerializer(many=True)


class MeSerializer(serializers.Serializer):
    subject_id = serializers.CharField()
    clinic = serializers.CharField(help_text="The clinic code.")
    clinic_name = serializers.CharField()
    clinic_phone_24h = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    brain_metastases = serializers.BooleanField()
    treatment = TreatmentOutSerializer()
    baseline = BaselineSerializer()
    report_terms = serializers.ListField(
        child=serializers.CharField(),
        help_text="The terms to ask today: by drug and brain metastases, plus due follow-ups.",
    )
    report_fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=(
            "Per term of `report_terms`, the primary field(s) to ask, fitted to the patient: a "
            "patient with a stoma is asked diarrhea as `ostomy_output_increase` instead of "
            "`stools_over_baseline` (reference §1.2). Alternatives (e.g. `temp_c` or `temp_f`) "
            "need only one answer."
        ),
    )
    followups = FollowUpSerializer(
        many=True, help_text="Questions the care team wants asked again now."
    )
    urgent_advice = serializers.CharField()
    latest_advice = LatestAdviceSerializer(
        allow_null=True,
        help_text="What the patient was told after their latest diary entry (reference §5.8), "
        "as the entry's answer said it; null before the first entry.",
    )
    questionnaires_due = serializers.IntegerField(
        help_text="How many questionnaires are due or overdue now (/questionnaires/due/)."
    )
    language = serializers.ChoiceField(
        choices=Language.choices, help_text="What the app, catalogue and reminders are in."
    )


class MePatchSerializer(StrictSerializer):
    language = serializers.ChoiceField(choices=Language.choices, required=False)


# --- questionnaires and devices -------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "Item code -> coded answer (a whole number in the item's range; null or absent: "
            "not answered, allowed for optional items only). Follow-up items must be left out "
            "when their `enable_when` condition does not hold."
        ),
        "additionalProperties": {"type": "integer", "nullable": True},
        "example": {"PROCTCAE_16A": 2, "PROCTCAE_9A": 0},
    }
)
class AnswersField(serializers.Field):
    default_error_messages = {
        "not_object": "Send the answers as an object of item code -> answer.",
        "too_many": "Too many answers.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(data) > 200:
            self.fail("too_many")
        return {str(code): value for code, value in data.items()}

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


class ResponseInSerializer(StrictSerializer):
    id = serializers.UUIDField(
        help_text="Made on the phone; the same id with the same body is a safe replay."
    )
    instrument = serializers.CharField(max_length=40, help_text="An instrument code.")
    version = serializers.CharField(
        max_length=20,
        required=False,
        allow_null=True,
        default=None,
        help_text="The version answered, as given by /questionnaires/due/ (default: current).",
    )
    completed_at = OffsetDateTimeField(help_text="ISO-8601 with the phone's UTC offset.")
    answers = AnswersField()


@extend_schema_field(
    {
        "type": "object",
        "description": "Scale code -> score (null when the scale cannot be scored).",
        "additionalProperties": {"type": "number", "nullable": True},
        "example": {"QL2": 66.67, "PF2": 80.0, "FA": 33.33},
    }
)
class ScoresField(serializers.JSONField):
    pass


class ResponseOutSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="instrument_version")
    completed_at = serializers.SerializerMethodField()
    answers = AnswersField()
    scores = ScoresField()
    advice = serializers.SerializerMethodField()
    advice_summary = serializers.SerializerMethodField()

    class Meta:
        model = QuestionnaireResponse
        fields = [
            "id",
            "instrument",
            "version",
            "completed_at",
            "received_at",
            "due_on",
            "answers",
            "scores",
            "alert_level",
            "advice",
            "advice_summary",
        ]
        extra_kwargs = {
            "alert_level": {
                "help_text": (
                    "What the care team was told because of this response (a PRO-CTCAE "
                    "response is evaluated by the alert rules like a diary entry); green for "
                    "other questionnaires."
                )
            }
        }

    def get_completed_at(self, response: QuestionnaireResponse) -> str:
        return response.local_completed_at().isoformat()

    @extend_schema_field(AdviceSerializer(many=True))
    def get_advice(self, response: QuestionnaireResponse) -> list[dict[str, str]]:
        """What the patient was told per symptom, as stored with the response (§5.8)."""
        return list(response.advice.get("items", []))

    @extend_schema_field(AdviceSummarySerializer(allow_null=True))
    def get_advice_summary(self, response: QuestionnaireResponse) -> dict[str, str] | None:
        """The answer's overall message (§5.8); null for questionnaires that are not reports."""
        summary: dict[str, str] | None = response.advice.get("summary")
        return summary


class EnableWhenSerializer(serializers.Serializer):
    item = serializers.CharField()
    greater_than = serializers.IntegerField()


class AnswerOptionSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    text = serializers.CharField()


class ItemDefinitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(  # type: ignore[assignment]  # the field name of the answer
        help_text="A short public label (symptom and attribute, scale)."
    )
    text = serializers.CharField(
        help_text="The wording loaded by the clinic in your language, or the item code."
    )
    text_loaded = serializers.BooleanField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    group = serializers.CharField(allow_null=True)
    enable_when = EnableWhenSerializer(
        allow_null=True, help_text="Ask only when that item's answer is greater than this."
    )
    answers = AnswerOptionSerializer(many=True)


class ScaleDefinitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.CharField()
    higher_is_better = serializers.BooleanField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()


class InstrumentDefinitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    recall = serializers.CharField()
    licensed = serializers.BooleanField()
    items = ItemDefinitionSerializer(many=True)
    scales = ScaleDefinitionSerializer(many=True)


class DueSerializer(serializers.Serializer):
    instrument = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=["due", "overdue"])
    due_on = serializers.DateField(help_text="The due day, in your time zone.")
    window_opens_at = OffsetDateTimeField(help_text="Local midnight of the first day.")
    window_closes_at = OffsetDateTimeField(help_text="Answer before this time.")
    definition = InstrumentDefinitionSerializer()


class DueListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DueSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    completed_at = OffsetDateTimeField(help_text="With the phone's offset at the time.")
    value = serializers.FloatField()
    response = serializers.UUIDField()


class TrendScaleSerializer(ScaleDefinitionSerializer):
    points = TrendPointSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    instrument = serializers.CharField()
    title = serializers.CharField()
    scales = TrendScaleSerializer(many=True)


class TrendsSerializer(serializers.Serializer):
    instruments = TrendSerializer(many=True)


class DeviceInSerializer(StrictSerializer):
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    token = serializers.CharField(
        min_length=8,
        max_length=1024,
        help_text="The FCM registration token, the APNs device token, or for `webpush` the "
        "browser's PushSubscription as JSON (endpoint and keys).",
    )


class DeviceTokenSerializer(StrictSerializer):
    token = serializers.CharField(min_length=8, max_length=1024)


class DeviceOutSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    registered_at = serializers.DateTimeField()
