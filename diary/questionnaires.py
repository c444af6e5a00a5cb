"""Questionnaire use cases: default schedules, what is due, responses, trends and item texts.

The instruments themselves (items, branching, scoring, schedule arithmetic) are pure data in
``diary.instruments``; this module reads and writes the rows around them. Each use case is one
keyword-only function that owns its transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from diary import instruments
from diary.errors import StoreConflict, constraint_name
from diary.evaluation import evaluate_response
from diary.instruments import Cadence, Instrument, Occasion
from diary.models import (
    CourseStatus,
    Infusion,
    InstrumentText,
    Patient,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ScheduleAnchor,
    TreatmentCourse,
)

logger = logging.getLogger(__name__)

PROCTCAE_PREFIX = "proctcae_"  # the PRO-CTCAE item sets (diary.instruments.proctcae)

DEFAULT_LANGUAGE = "en"


class IdConflict(Exception):
    """The response id is already stored with a different body (or for another patient)."""


# --- schedules ------------------------------------------------------------------------------


def create_default_schedules(
    *, patient: Patient, course: TreatmentCourse | None
) -> list[QuestionnaireSchedule]:
    """Give the patient the default schedules of their drug; existing ones are kept as they are.

    Safe to call again (it only adds what is missing), which is how the data migration and
    ``manage.py schedule_questionnaires`` bring earlier patients up to date.
    """
    specs = instruments.schedules_for(
        course.drug if course else None, brain_metastases=patient.brain_metastases
    )
    starts_on = course.started_on if course else patient.enrolled_on
    created = []
    with transaction.atomic():
        existing = set(patient.questionnaire_schedules.values_list("instrument", flat=True))
        for spec in specs:
            if spec.instrument in existing:
                continue
            created.append(
                QuestionnaireSchedule.objects.create(
                    patient=patient,
                    instrument=spec.instrument,
                    cadence_days=spec.cadence_days,
                    anchor=spec.anchor,
                    starts_on=starts_on,
                    window_before_days=spec.window_before_days,
                    window_after_days=spec.window_after_days,
                )
            )
    return created


def _infusions(patient: Patient) -> tuple[date, ...]:
    course = patient.current_course()
    if course is None:
        return ()
    return tuple(sorted(i.given_on for i in course.infusions.all()))


def cadence_of(schedule: QuestionnaireSchedule, infusions: Sequence[date] = ()) -> Cadence:
    anchored = schedule.anchor == ScheduleAnchor.INFUSION
    return Cadence(
        cadence_days=schedule.cadence_days,
        starts_on=schedule.starts_on,
        anchor="infusion" if anchored else "start",
        window_before_days=schedule.window_before_days,
        window_after_days=schedule.window_after_days,
        infusions=tuple(infusions) if anchored else (),
    )


@dataclass(frozen=True)
class DueOccasion:
    schedule: QuestionnaireSchedule
    instrument: Instrument
    occasion: Occasion
    state: str  # due | overdue
    opens_at: datetime
    closes_at: datetime


def _completed(occasion: Occasion, responses: Iterable[tuple[date | None, date]]) -> bool:
    """A response fulfils an occasion it was filed under, or one whose window holds its day."""
    return any(due_on == occasion.due_on or occasion.contains(day) for due_on, day in responses)


def due_occasions(*, patient: Patient, now: datetime | None = None) -> list[DueOccasion]:
    """The patient's open occasions not yet answered, in due order (state due or overdue)."""
    now = now or timezone.now()
    tz_name = patient.timezone
    today = instruments.local_day(now, tz_name)
    schedules = [s for s in patient.questionnaire_schedules.all() if s.active]
    if not schedules:
        return []
    infusions = _infusions(patient)
    current: list[tuple[QuestionnaireSchedule, Occasion]] = []
    for schedule in schedules:
        occasion = instruments.occasion_on(cadence_of(schedule, infusions), today)
        if occasion is not None:
            current.append((schedule, occasion))
    if not current:
        return []
    earliest = min(instruments.window_bounds(o, tz_name)[0] for _, o in current)
    answered: dict[str, list[tuple[date | None, date]]] = {}
    for code, due_on, completed_at in patient.questionnaire_responses.filter(
        instrument__in=[s.instrument for s, _ in current],
        completed_at__gte=earliest - timedelta(days=1),
    ).values_list("instrument", "due_on", "completed_at"):
        answered.setdefault(code, []).append((due_on, instruments.local_day(completed_at, tz_name)))
    due = []
    for schedule, occasion in current:
        if _completed(occasion, answered.get(schedule.instrument, [])):
            continue
        opens_at, closes_at = instruments.window_bounds(occasion, tz_name)
        due.append(
            DueOccasion(
                schedule=schedule,
                instrument=instruments.get(schedule.instrument),
                occasion=occasion,
                state=occasion.state(today),
                opens_at=opens_at,
                closes_at=closes_at,
            )
        )
    return sorted(due, key=lambda d: (d.occasion.due_on, d.schedule.instrument))


@dataclass(frozen=True)
class PastOccasion:
    due_on: date
    opens_on: date
    closes_on: date
    state: str  # completed | missed | due | overdue | upcoming


def completion(
    *, schedule: QuestionnaireSchedule, start: date, end: date, now: datetime | None = None
) -> list[PastOccasion]:
    """Completion tracking: every occasion of a schedule from ``start`` to ``end`` and whether
    it was answered (for the care team and exports)."""
    patient = schedule.patient
    tz_name = patient.timezone
    today = instruments.local_day(now or timezone.now(), tz_name)
    cadence = cadence_of(schedule, _infusions(patient))
    responses = [
        (due_on, instruments.local_day(completed_at, tz_name))
        for due_on, completed_at in patient.questionnaire_responses.filter(
            instrument=schedule.instrument
        ).values_list("due_on", "completed_at")
    ]
    return [
        PastOccasion(
            due_on=o.due_on,
            opens_on=o.opens_on,
            closes_on=o.closes_on,
            state="completed" if _completed(o, responses) else o.state(today),
        )
        for o in instruments.occasions(cadence, start, end)
    ]


@dataclass(frozen=True)
class CompletionRow:
    """One patient's completion of one scheduled questionnaire over a period."""

    subject_id: str
    instrument: str
    title: str
    completed: int
    missed: int
    open: int  # due or overdue today, still answerable

    @property
    def closed(self) -> int:
        return self.completed + self.missed

    @property
    def percent(self) -> int | None:
        """Completed out of the occasions whose window has closed or was answered."""
        return round(100 * self.completed / self.closed) if self.closed else None


def clinic_completion(
    *, clinic_id: int, start: date, end: date, now: datetime | None = None
) -> list[CompletionRow]:
    """Completion tracking for a clinic: per patient and active schedule, the occasions due from
    ``start`` to ``end`` answered, missed and still open, in four queries whatever the size of
    the clinic (the occasions themselves are computed, as for one patient)."""
    now = now or timezone.now()
    schedules = list(
        QuestionnaireSchedule.objects.filter(patient__clinic_id=clinic_id, active=True)
        .select_related("patient")
        .order_by("patient__subject_id", "instrument")
    )
    # The current course of each patient is the newest not discontinued (as current_course).
    current: dict[int, int] = {}
    for patient_id, course_id in (
        TreatmentCourse.objects.filter(patient__clinic_id=clinic_id)
        .exclude(status=CourseStatus.DISCONTINUED)
        .order_by("started_on", "pk")
        .values_list("patient_id", "pk")
    ):
        current[patient_id] = course_id
    infusions: dict[int, list[date]] = {}
    for patient_id, course_id, given_on in Infusion.objects.filter(
        course__patient__clinic_id=clinic_id
    ).values_list("course__patient_id", "course_id", "given_on"):
        if current.get(patient_id) == course_id:
            infusions.setdefault(patient_id, []).append(given_on)
    # Responses that can fulfil an occasion of the period: windows reach a few days either side.
    margin = timedelta(days=31)
    answered: dict[tuple[int, str], list[tuple[date | None, datetime]]] = {}
    for pid, code, due_on, completed_at in QuestionnaireResponse.objects.filter(
        patient__clinic_id=clinic_id,
        completed_at__gte=datetime.combine(start - margin, time.min, tzinfo=UTC),
        completed_at__lt=datetime.combine(end + margin, time.min, tzinfo=UTC),
    ).values_list("patient_id", "instrument", "due_on", "completed_at"):
        answered.setdefault((pid, code), []).append((due_on, completed_at))
    rows = []
    for schedule in schedules:
        tz_name = schedule.patient.timezone
        today = instruments.local_day(now, tz_name)
        responses = [
            (due_on, instruments.local_day(at, tz_name))
            for due_on, at in answered.get((schedule.patient_id, schedule.instrument), [])
        ]
        cadence = cadence_of(schedule, sorted(infusions.get(schedule.patient_id, [])))
        states = [
            "completed" if _completed(o, responses) else o.state(today)
            for o in instruments.occasions(cadence, start, min(end, today))
        ]
        rows.append(
            CompletionRow(
                subject_id=schedule.patient.subject_id,
                instrument=schedule.instrument,
                title=instruments.get(schedule.instrument).title,
                completed=states.count("completed"),
                missed=states.count("missed"),
                open=states.count("due") + states.count("overdue"),
            )
        )
    return rows


def due_count(*, patient: Patient, now: datetime | None = None) -> int:
    return len(due_occasions(patient=patient, now=now))


# --- responses ------------------------------------------------------------------------------


def content_hash(data: Mapping[str, Any], answers: Mapping[str, int]) -> str:
    """A digest of what the response says, to tell a replay from a conflicting reuse of its id."""
    canonical = {
        "id": str(data["id"]),
        "instrument": data["instrument"],
        "version": data["version"],
        "completed_at": data["completed_at"].isoformat(),
        "answers": dict(sorted(answers.items())),
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Submitted:
    response: QuestionnaireResponse
    created: bool


def _offset_minutes(value: datetime) -> int:
    offset = value.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def submit_response(*, patient: Patient, data: Mapping[str, Any]) -> Submitted:
    """Store one completed questionnaire with its scores, computed here.

    ``data`` holds ``id``, ``instrument``, ``version`` (the current one when None),
    ``completed_at`` (aware) and ``answers``. The answers are checked against the instrument:
    ranges and branching (ValidationError with a message per item). The instrument must be one
    the patient is scheduled for. Idempotent by the client's UUID: the same id with the same
    content returns the stored response (created=False); with other content, or another
    patient's id, it raises IdConflict. The response is filed under the scheduled occasion
    whose window holds its completion day in the patient's time zone, if any.
    """
    schedule = patient.questionnaire_schedules.filter(instrument=data["instrument"]).first()
    if schedule is None:
        raise ValidationError({"instrument": "This questionnaire is not one of yours."})
    try:
        instrument = instruments.get(data["instrument"], data.get("version"))
    except KeyError:
        raise ValidationError({"version": "Unknown version of this questionnaire."}) from None
    raw = data.get("answers") or {}
    errors = instrument.check(raw)
    if errors:
        raise ValidationError(
            {
                ("answers." + code if code else "answers"): messages
                for code, messages in errors.items()
            }
        )
    answers = instrument.clean(raw)
    canonical = {**data, "version": instrument.version}
    digest = content_hash(canonical, answers)
    stored = QuestionnaireResponse.objects.filter(pk=data["id"]).first()
    if stored is not None:
        return _replay(stored, patient, digest)
    day = instruments.local_day(data["completed_at"], patient.timezone)
    occasion = instruments.occasion_on(cadence_of(schedule, _infusions(patient)), day)
    response = QuestionnaireResponse(
        id=data["id"],
        patient=patient,
        instrument=instrument.code,
        instrument_version=instrument.version,
        answers=answers,
        scores=instrument.score(answers),
        completed_at=data["completed_at"],
        completed_offset_minutes=_offset_minutes(data["completed_at"]),
        received_at=timezone.now(),
        due_on=occasion.due_on if occasion else None,
        content_hash=digest,
    )
    try:
        with transaction.atomic():
            response.save()
            if instrument.code.startswith(PROCTCAE_PREFIX):
                _fill_baseline_composites(patient, response)
                # A PRO-CTCAE response is a report like a diary entry (§5.4): the alert
                # pipeline evaluates it in this transaction (diary.evaluation, D53).
                # Its level and the patient's advice come from that one evaluation (§5.8).
                outcome = evaluate_response(patient=patient, response=response)
                response.alert_level = outcome.level
                response.advice = dict(outcome.advice)
                QuestionnaireResponse.objects.filter(pk=response.pk).update(
                    alert_level=response.alert_level, advice=response.advice
                )
    except IntegrityError as exc:
        # The same id stored a moment ago by a racing request: answer as a replay.
        stored = QuestionnaireResponse.objects.filter(pk=data["id"]).first()
        if stored is None:  # another constraint: "send it again", never a 500 (D67)
            name = constraint_name(exc)
            logger.warning("questionnaire response not stored: constraint %s violated", name)
            raise StoreConflict(name) from exc
        return _replay(stored, patient, digest)
    logger.info(
        "questionnaire response stored response_id=%s patient_id=%s instrument=%s",
        response.pk,
        patient.pk,
        instrument.code,
    )
    return Submitted(response=response, created=True)


def _fill_baseline_composites(patient: Patient, response: QuestionnaireResponse) -> None:
    """The first PRO-CTCAE response completed before cycle 1 (before the current course's
    start day, in the patient's time zone) gives the baseline composites its symptoms lack
    (§5.2 [D], D54): a clinician's value, or an earlier response's, is never overwritten."""
    missing = {
        key
        for key, value in response.scores.items()
        if type(value) is int and key not in (patient.baseline_composites or {})
    }
    if not missing:
        return  # every symptom has its baseline: no query
    course = patient.current_course()
    if course is None:
        return
    day = instruments.local_day(response.completed_at, patient.timezone)
    if day >= course.started_on:
        return
    locked = (
        Patient.objects.select_for_update().only("pk", "baseline_composites").get(pk=patient.pk)
    )
    current = dict(locked.baseline_composites or {})
    added = {
        key: value
        for key, value in response.scores.items()
        if type(value) is int and key not in current
    }
    if not added:
        return
    current.update(added)
    Patient.objects.filter(pk=patient.pk).update(baseline_composites=current)
    patient.baseline_composites = current
    logger.info(
        "baseline composites set from a response patient_id=%s response_id=%s",
        patient.pk,
        response.pk,
    )


def _replay(stored: QuestionnaireResponse, patient: Patient, digest: str) -> Submitted:
    if stored.patient_id != patient.pk or stored.content_hash != digest:
        raise IdConflict
    return Submitted(response=stored, created=False)


# --- trends ---------------------------------------------------------------------------------


def trends(
    *, patient: Patient, instrument: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """The patient's own scores over time: per instrument, per scale, points oldest first."""
    responses = patient.questionnaire_responses.order_by("completed_at", "id")
    if instrument:
        responses = responses.filter(instrument=instrument)
    if since is not None:
        responses = responses.filter(completed_at__gte=since)
    by_instrument: dict[str, list[QuestionnaireResponse]] = {}
    for response in responses.only(
        "id",
        "instrument",
        "instrument_version",
        "scores",
        "completed_at",
        "completed_offset_minutes",
    ):
        by_instrument.setdefault(response.instrument, []).append(response)
    result = []
    for code in sorted(by_instrument):
        definition = instruments.CURRENT.get(code)
        if definition is None:
            continue
        rows = by_instrument[code]
        scales = []
        for scale in definition.scales:
            points = [
                {
                    "completed_at": r.local_completed_at(),
                    "value": r.scores[scale.code],
                    "response": r.id,
                }
                for r in rows
                if r.scores.get(scale.code) is not None
            ]
            if points:
                scales.append(
                    {
                        "code": scale.code,
                        "label": scale.label,
                        "kind": scale.kind,
                        "higher_is_better": scale.higher_is_better,
                        "minimum": scale.minimum,
                        "maximum": scale.maximum,
                        "points": points,
                    }
                )
        result.append({"instrument": code, "title": definition.title, "scales": scales})
    return result


# --- item texts -----------------------------------------------------------------------------


def languages_from(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first, then the default."""
    tags: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*" or len(tag) > 10:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        tags.append((-quality, position, tag))
    ordered: list[str] = []
    for _, _, tag in sorted(tags):
        for candidate in (tag, tag.split("-")[0]):
            if candidate not in ordered:
                ordered.append(candidate)
    if DEFAULT_LANGUAGE not in ordered:
        ordered.append(DEFAULT_LANGUAGE)
    return ordered


def texts_for(codes: Iterable[str], languages: Sequence[str]) -> dict[str, dict[str, str]]:
    """Loaded texts per instrument, in the first of ``languages`` that has any for it."""
    wanted = set(codes)
    rows = InstrumentText.objects.filter(instrument__in=wanted, language__in=languages)
    found: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows.values_list("instrument", "language", "code", "text"):
        found.setdefault((row[0], row[1]), {})[row[2]] = row[3]
    result: dict[str, dict[str, str]] = {}
    for code in wanted:
        for language in languages:
            if (code, language) in found:
                result[code] = found[(code, language)]
                break
    return result


def text_keys(code: str) -> set[str]:
    """The codes a clinic may load text for: ``title``, the items and ``{scale}.{value}``."""
    keys = {"title"}
    for instrument in instruments.ALL:
        if instrument.code != code:
            continue
        for item in instrument.items:
            keys.add(item.code)
            keys.update(f"{item.scale.code}.{value}" for value in item.scale.values)
    return keys


def load_texts(*, instrument: str, language: str, texts: Mapping[str, str]) -> int:
    """Load (or replace) a clinic's licensed wording of one instrument in one language.

    Every code must be one of ``text_keys(instrument)``; otherwise nothing is loaded.
    """
    if instrument not in instruments.CURRENT:
        raise ValidationError({"instrument": f"Unknown instrument {instrument!r}."})
    language = language.strip().lower()
    if not language or len(language) > 10:
        raise ValidationError({"language": "Give a language tag such as en or fr."})
    allowed = text_keys(instrument)
    unknown = sorted(set(texts) - allowed)
    if unknown:
        raise ValidationError({"texts": f"Unknown codes: {', '.join(unknown[:10])}."})
    bad = sorted(
        code for code, text in texts.items() if not isinstance(text, str) or not text.strip()
    )
    if bad:
        raise ValidationError({"texts": f"Empty or non-text values for: {', '.join(bad[:10])}."})
    now = timezone.now()
    with transaction.atomic():
        for code, text in texts.items():
            InstrumentText.objects.update_or_create(
                instrument=instrument,
                language=language,
                code=code,
                defaults={"text": text.strip(), "loaded_at": now},
            )
    return len(texts)


def definition(instrument: Instrument, texts: Mapping[str, str]) -> dict[str, Any]:
    """The instrument as the app renders it: loaded text, else shipped text, else the code."""
    return {
        "code": instrument.code,
        "version": instrument.version,
        "title": texts.get("title") or instrument.title,
        "recall": instrument.recall,
        "licensed": instrument.licensed,
        "items": [
            {
                "code": item.code,
                "label": item.label,
                "text": texts.get(item.code) or item.text or item.code,
                "text_loaded": item.code in texts or item.text is not None,
                "required": item.required,
                "group": item.group,
                "enable_when": (
                    {
                        "item": item.enable_when.item,
                        "greater_than": item.enable_when.greater_than,
                    }
                    if item.enable_when
                    else None
                ),
                "answers": [
                    {
                        "value": value,
                        "text": texts.get(f"{item.scale.code}.{value}")
                        or item.scale.label(value)
                        or str(value),
                    }
                    for value in item.scale.values
                ],
            }
            for item in instrument.items
        ],
        "scales": [
            {
                "code": scale.code,
                "label": scale.label,
                "kind": scale.kind,
                "higher_is_better": scale.higher_is_better,
                "minimum": scale.minimum,
                "maximum": scale.maximum,
            }
            for scale in instrument.scales
        ],
    }
