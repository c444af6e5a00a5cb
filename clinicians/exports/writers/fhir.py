"""An HL7 FHIR R4 Bundle (type ``collection``), written entry by entry (constant memory).

Mapping (interoperability.md §4.1 [D]):
- each patient of the clinic: a minimal ``Patient`` carrying only the pseudonymous identifier,
  and each study drug a ``Medication``, so that every reference resolves inside the Bundle;
- each raw vital sign of a diary entry (SpO2 at rest and after exertion, temperature, weight):
  a vital-signs ``Observation`` with its LOINC code and a UCUM quantity (§4.1);
- each patient-reported grade of a diary entry: an ``Observation`` (category survey, status
  preliminary: a provisional CTCAE-style grade), coded with the CTCAE term's MedDRA code (§4.4),
  ``derivedFrom`` the entry's vital-sign Observations of that term;
- each patient-reported episode (``clinicians.exports.episodes``): an ``Observation`` with an
  ``effectivePeriod`` and the worst grade, ``derivedFrom`` the grade Observations it comes
  from. Patient-reported grades are kept apart from clinician-confirmed events, so they are
  never ``AdverseEvent``s (§4.1);
- each clinician-confirmed episode: an ``AdverseEvent`` with the grade coded and written in the
  AE Clinical Research R4 backport's ``ae-grade`` extension, its end in ``resolve-date``, and
  the subject's study drug as ``suspectEntity``;
- each questionnaire response: a ``QuestionnaireResponse`` (PRO-CTCAE answers coded in the NCI
  Thesaurus, §4.3), and each computed score an ``Observation`` derived from it, a UCUM
  ``{score}`` quantity.
MedDRA is coded with ``https://www.meddra.org`` (§4.1). Subjects appear by their pseudonymous
identifier only, in a Patient resource that holds nothing else.

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
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from clinicians.exports import episodes, source, vocabulary
from clinicians.exports.sdtmig import round_result
from clinicians.exports.source import Scope
from clinicians.exports.writers import Tick
from diary import drugs, instruments

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
VITAL_SIGNS = [
    {
        "coding": [
            {
                "system": vocabulary.OBSERVATION_CATEGORY_SYSTEM,
                "code": "vital-signs",
                "display": "Vital Signs",
            }
        ]
    }
]
MODELS: dict[str, Any] = {
    "Patient": Patient,
    "Medication": Medication,
    "Observation": Observation,
    "AdverseEvent": AdverseEvent,
    "QuestionnaireResponse": QuestionnaireResponse,
}


def write(scope: Scope, path: Path, tick: Tick, *, bundle_id: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        bundle = BundleWriter(handle)
        bundle.open(bundle_id)
        subjects = source.subject_records(scope)
        for subject_record in subjects.values():
            bundle.add(_patient(subject_record.subject_id))
        for drug in sorted({r.drug for r in subjects.values() if r.drug}):
            bundle.add(_medication(drug))
        if scope.diary:
            for record in source.diary_records(scope):
                vitals: dict[str, list[str]] = {}
                for term, answers in record.symptoms.items():
                    for field, value in answers.items():
                        if field in vocabulary.VITAL_SIGNS and _is_number(value):
                            observation = _vital_sign(record, term, field, value)
                            bundle.add(observation)
                            vitals.setdefault(term, []).append(observation["id"])
                for grade in record.grades:
                    if grade.grade is not None:
                        bundle.add(_grade_observation(record, grade, vitals.get(grade.term, [])))
                tick()
            for episode in episodes.episodes(source.diary_reports(scope)):
                bundle.add(_episode_observation(episode))
        if scope.clinician:
            for episode in episodes.episodes(source.clinician_reports(scope)):
                treated = subjects.get(episode.subject)
                bundle.add(_adverse_event(episode, treated.drug if treated else ""))
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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _identifier(subject_id: str) -> dict[str, str]:
    return {"system": vocabulary.local_system("subject-id"), "value": subject_id}


def subject(subject_id: str) -> dict[str, Any]:
    """A reference to the subject's Patient resource in this Bundle."""
    return {
        "reference": f"urn:uuid:{_derived_id('patient', subject_id)}",
        "type": "Patient",
        "identifier": _identifier(subject_id),
    }


def _patient(subject_id: str) -> dict[str, Any]:
    """A Patient with the pseudonymous identifier only: no name, birth date or contact."""
    return {
        "resourceType": "Patient",
        "id": _derived_id("patient", subject_id),
        "identifier": [_identifier(subject_id)],
    }


def _medication(drug: str) -> dict[str, Any]:
    name = drugs.DRUGS[drug].name
    return {
        "resourceType": "Medication",
        "id": _derived_id("medication", drug),
        "code": {
            "coding": [
                {
                    "system": vocabulary.local_system("CodeSystem/drug"),
                    "code": drug,
                    "display": name,
                }
            ],
            "text": name,
        },
    }


def _reference(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _vital_sign(
    record: source.DiaryRecord, term: str, field: str, value: float | int
) -> dict[str, Any]:
    codes, display, unit = vocabulary.VITAL_SIGNS[field]
    return {
        "resourceType": "Observation",
        "id": _derived_id("vital", record.id, term, field),
        "identifier": [{"system": vocabulary.local_system("diary-entry"), "value": f"{record.id}"}],
        "status": "final",
        "category": VITAL_SIGNS,
        "code": {
            "coding": [
                {
                    "system": vocabulary.LOINC_SYSTEM,
                    "code": code,
                    "display": vocabulary.LOINC_DISPLAY[code],
                }
                for code in codes
            ],
            "text": display,
        },
        "subject": subject(record.subject_id),
        "effectiveDateTime": _dt(record.recorded_at),
        "issued": _dt(record.received_at),
        "performer": [_performer(record)],
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": vocabulary.UCUM_SYSTEM,
            "code": unit,
        },
    }


def _performer(record: source.DiaryRecord) -> dict[str, Any]:
    if record.reporter == "patient":
        return subject(record.subject_id)
    return {"type": "RelatedPerson", "display": "Carer answering for the patient"}


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


def _grade_observation(
    record: source.DiaryRecord, grade: source.GradeRow, vitals: list[str]
) -> dict[str, Any]:
    label = vocabulary.term_label(grade.term)
    resource: dict[str, Any] = {
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
        "performer": [_performer(record)],
        "valueInteger": grade.grade,
        "method": {"text": f"ToxWatch grading {grade.grading_version} (provisional)"},
    }
    if vitals:
        resource["derivedFrom"] = [_reference(v) for v in vitals]
    return resource


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
        "derivedFrom": [
            _reference(_derived_id("grade", ref, episode.term))
            for ref in dict.fromkeys(episode.refs)
        ],
        "method": {
            "text": "Consecutive reports of grade >= 1 up to the first report of grade 0; "
            "the worst grade"
        },
    }


def grade_concept(grade: int) -> dict[str, Any]:
    """A CTCAE grade, coded (ToxWatch's CTCAE grade code system) and written."""
    version = vocabulary.CTCAE_VERSION
    return {
        "coding": [
            {
                "system": vocabulary.local_system("CodeSystem/ctcae-grade"),
                "version": version,
                "code": str(grade),
                "display": f"Grade {grade}",
            }
        ],
        "text": f"CTCAE v{version} grade {grade}",
    }


def _adverse_event(episode: episodes.Episode, drug: str) -> dict[str, Any]:
    label = vocabulary.term_label(episode.term)
    extensions: list[dict[str, Any]] = [
        {
            "url": vocabulary.AE_GRADE_EXTENSION,
            "valueCodeableConcept": grade_concept(episode.worst_grade),
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
        **(
            {"suspectEntity": [{"instance": _reference(_derived_id("medication", drug))}]}
            if drug
            else {}
        ),
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
        value_field = {
            "valueQuantity": {
                "value": round_result(value),
                "unit": "{score}",
                "system": vocabulary.UCUM_SYSTEM,
                "code": "{score}",
            }
        }
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
                "derivedFrom": [_reference(str(response.id))],
                **value_field,
            }
        )
    return out
