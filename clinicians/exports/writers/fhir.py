"""An HL7 FHIR R4 Bundle (type ``collection``), written entry by entry (constant memory).

Mapping (interoperability.md §4.1 [D]):
- each patient-reported grade of a diary entry: an ``Observation`` (category survey, status
  preliminary: a provisional CTCAE-style grade), coded with the CTCAE term's MedDRA code (§4.4);
- each patient-reported episode (``clinicians.exports.episodes``): an ``Observation`` with an
  ``effectivePeriod`` and the worst grade. Patient-reported grades are kept apart from
  clinician-confirmed events, so they are never ``AdverseEvent``s (§4.1);
- each clinician-confirmed episode: an ``AdverseEvent`` with the grade in the AE Clinical
  Research R4 backport's ``ae-grade`` extension and its end in ``resolve-date``;
- each questionnaire response: a ``QuestionnaireResponse`` (PRO-CTCAE answers coded in the NCI
  Thesaurus, §4.3), and each computed score an ``Observation`` derived from it.
Subjects are referenced by their pseudonymous identifier only: the Bundle holds no Patient.

Every resource is validated with the ``fhir.resources`` models before it is written. The
library's R4-line models are R4B (4.3.0): Bundle, Observation, AdverseEvent and
QuestionnaireResponse did not change between R4 and R4B (docs/decisions.md, exports).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.utils import timezone
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from clinicians.exports import episodes, source, vocabulary
from clinicians.exports.source import Scope
from clinicians.exports.writers import Tick
from diary import instruments

NAMESPACE = uuid.UUID("0b0e3a5c-6f0e-4d59-9d8f-3f5f1b7c2a11")  # ids of derived resources
RESOLVE_DATE_EXTENSION = (
    "http://hl7.org/fhir/uv/ae-research-backport-ig/StructureDefinition/resolve-date"
)
AE_OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
SURVEY = [
    {
        "coding": [
            {
                "system": vocabulary.OBSERVATION_CATEGORY_SYSTEM,
                "code": "survey",
                "display": "Survey",
            }
        ]
    }
]
MODELS: dict[str, Any] = {
    "Observation": Observation,
    "AdverseEvent": AdverseEvent,
    "QuestionnaireResponse": QuestionnaireResponse,
}


def write(scope: Scope, path: Path, tick: Tick, *, bundle_id: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        bundle = BundleWriter(handle)
        bundle.open(bundle_id)
        if scope.diary:
            for record in source.diary_records(scope):
                for grade in record.grades:
                    if grade.grade is not None:
                        bundle.add(_grade_observation(record, grade))
                tick()
            for episode in episodes.episodes(source.diary_reports(scope)):
                bundle.add(_episode_observation(episode))
        if scope.clinician:
            for episode in episodes.episodes(source.clinician_reports(scope)):
                bundle.add(_adverse_event(episode))
        for response in source.response_records(scope):
            bundle.add(_questionnaire_response(response))
            for observation in _score_observations(response):
                bundle.add(observation)
            tick()
        bundle.close()


class BundleWriter:
    """Writes ``{"resourceType": "Bundle", ..., "entry": [...]}`` one entry at a time, each
    resource validated against its FHIR model first (a ValueError stops the export)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.count = 0

    def open(self, bundle_id: str) -> None:
        head = {
            "resourceType": "Bundle",
            "id": bundle_id,
            "type": "collection",
            "timestamp": timezone.now().isoformat(timespec="seconds"),
        }
        self.handle.write(json.dumps(head)[:-1] + ', "entry": [\n')

    def add(self, resource: dict[str, Any]) -> None:
        MODELS[resource["resourceType"]].model_validate(resource)
        entry = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        self.handle.write(("" if self.count == 0 else ",\n") + json.dumps(entry))
        self.count += 1

    def close(self) -> None:
        self.handle.write("\n]}\n")


def _dt(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def subject(subject_id: str) -> dict[str, Any]:
    return {
        "type": "Patient",
        "identifier": {"system": vocabulary.local_system("subject-id"), "value": subject_id},
    }


def term_concept(term: str, text: str) -> dict[str, Any]:
    label = vocabulary.term_label(term)
    coding = []
    meddra = vocabulary.meddra_code(term)
    if meddra:
        coding.append({"system": vocabulary.MEDDRA_SYSTEM, "code": meddra, "display": label})
    coding.append(
        {"system": vocabulary.local_system("CodeSystem/ctcae-term"), "code": term, "display": label}
    )
    return {"coding": coding, "text": text}


def _derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def _grade_observation(record: source.DiaryRecord, grade: source.GradeRow) -> dict[str, Any]:
    label = vocabulary.term_label(grade.term)
    performer = (
        subject(record.subject_id)
        if record.reporter == "patient"
        else {"type": "RelatedPerson", "display": "Carer answering for the patient"}
    )
    return {
        "resourceType": "Observation",
        "id": _derived_id("grade", record.id, grade.term),
        "identifier": [{"system": vocabulary.local_system("diary-entry"), "value": f"{record.id}"}],
        "status": "preliminary",
        "category": SURVEY,
        "code": term_concept(
            grade.term, f"{label}: CTCAE v{grade.ctcae_version} grade, patient-reported"
        ),
        "subject": subject(record.subject_id),
        "effectiveDateTime": _dt(record.recorded_at),
        "issued": _dt(record.received_at),
        "performer": [performer],
        "valueInteger": grade.grade,
        "method": {"text": f"ToxWatch grading {grade.grading_version} (provisional)"},
    }


def _episode_observation(episode: episodes.Episode) -> dict[str, Any]:
    label = vocabulary.term_label(episode.term)
    period = {"start": _dt(episode.start)}
    if episode.end is not None:
        period["end"] = _dt(episode.end)
    return {
        "resourceType": "Observation",
        "id": _derived_id("episode", "patient", episode.subject, episode.term, episode.start),
        "status": "preliminary",
        "category": SURVEY,
        "code": term_concept(episode.term, f"{label}: episode, worst grade, patient-reported"),
        "subject": subject(episode.subject),
        "effectivePeriod": period,
        "valueInteger": episode.worst_grade,
        "method": {
            "text": "Consecutive reports of grade >= 1 up to the first report of grade 0; "
            "the worst grade"
        },
    }


def _adverse_event(episode: episodes.Episode) -> dict[str, Any]:
    label = vocabulary.term_label(episode.term)
    extensions: list[dict[str, Any]] = [
        {
            "url": vocabulary.AE_GRADE_EXTENSION,
            "valueCodeableConcept": {
                "text": f"CTCAE v{vocabulary.CTCAE_VERSION} grade {episode.worst_grade}"
            },
        }
    ]
    if episode.end is not None:
        extensions.append({"url": RESOLVE_DATE_EXTENSION, "valueDateTime": _dt(episode.end)})
    outcome = "resolved" if episode.end is not None else "ongoing"
    return {
        "resourceType": "AdverseEvent",
        "id": _derived_id("episode", "clinician", episode.subject, episode.term, episode.start),
        "extension": extensions,
        "actuality": "actual",
        "event": term_concept(episode.term, label),
        "subject": subject(episode.subject),
        "date": _dt(episode.start),
        "outcome": {"coding": [{"system": AE_OUTCOME_SYSTEM, "code": outcome}]},
    }


def _instrument(response: source.ResponseRecord) -> instruments.Instrument:
    try:
        return instruments.get(response.instrument, response.instrument_version)
    except KeyError:
        return instruments.CURRENT[response.instrument]


def _questionnaire_response(response: source.ResponseRecord) -> dict[str, Any]:
    instrument = _instrument(response)
    items = {item.code: item for item in instrument.items}
    answers = []
    for code, value in response.answers.items():
        item = items.get(code)
        answer: dict[str, Any] = {"valueInteger": value}
        if item is not None and item.scale.ncit_codes:
            answer = {
                "valueCoding": {
                    "system": vocabulary.NCIT_SYSTEM,
                    "code": item.scale.ncit_code(value),
                    "display": item.scale.label(value),
                }
            }
        answers.append({"linkId": code, "text": item.label if item else code, "answer": [answer]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.id),
        "meta": {"lastUpdated": _dt(response.received_at)},
        "questionnaire": vocabulary.local_system(
            f"Questionnaire/{instrument.code}|{instrument.version}"
        ),
        "status": "completed",
        "subject": subject(response.subject_id),
        "authored": _dt(response.completed_at),
        "source": subject(response.subject_id),
    }
    if answers:
        resource["item"] = answers
    return resource


def _score_observations(response: source.ResponseRecord) -> list[dict[str, Any]]:
    instrument = _instrument(response)
    labels = {scale.code: scale for scale in instrument.scales}
    out = []
    for code, value in response.scores.items():
        if value is None:
            continue
        scale = labels.get(code)
        composite = scale is not None and scale.kind == "composite"
        value_field = (
            {"valueInteger": value}
            if isinstance(value, int)
            else {"valueQuantity": {"value": value}}
        )
        out.append(
            {
                "resourceType": "Observation",
                "id": _derived_id("score", response.id, code),
                "status": "final",
                "category": SURVEY,
                "code": {
                    "coding": [
                        {
                            "system": vocabulary.local_system(
                                f"CodeSystem/{instrument.code}-score"
                            ),
                            "code": code,
                            "display": scale.label if scale else code,
                        }
                    ],
                    "text": (scale.label if scale else code)
                    + (" (PRO-CTCAE composite grade 0-3, not a CTCAE grade)" if composite else ""),
                },
                "subject": subject(response.subject_id),
                "effectiveDateTime": _dt(response.completed_at),
                "derivedFrom": [{"reference": f"urn:uuid:{response.id}"}],
                **value_field,
            }
        )
    return out
