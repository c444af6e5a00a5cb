"""Each export format is written, read back with its own reader, and holds what it should."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinicians.exports import services, vocabulary
from clinicians.exports.models import ExportStatus
from diary.models import StaffRole
from tests.helpers import export_cohort, make_clinic, make_staff

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2025, 3, 3, 9, 0, tzinfo=PARIS)
ALL_SOURCES = [code for code, _ in vocabulary.instrument_choices()]


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.TOXWATCH_EXPORT_DIR = tmp_path / "exports"
    return settings.TOXWATCH_EXPORT_DIR


@pytest.fixture
def cohort():
    clinic = make_clinic("AAA")
    other = make_clinic("BBB")
    data = export_cohort(clinic, start=START)
    data["clinic"] = clinic
    data["manager"] = make_staff(clinic, StaffRole.DATA_MANAGER)
    # Another clinic's patient, reporting in the same days: never in clinic AAA's exports.
    data["outsider"] = export_cohort(other, start=START)["diarrhea_patient"]
    return data


def run(cohort, fmt, *, instruments=None, date_from=date(2025, 3, 1), date_to=date(2025, 3, 31)):
    export = services.request_export(
        user=cohort["manager"],
        clinic=cohort["clinic"],
        format=fmt,
        date_from=date_from,
        date_to=date_to,
        instruments=instruments or ALL_SOURCES,
    )
    assert services.run_export(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def read_zip_csv(export, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(export.path) as archive:
        assert archive.testzip() is None
        with archive.open(name) as raw:
            return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def all_bytes(export) -> bytes:
    if export.path.suffix == ".zip":
        with zipfile.ZipFile(export.path) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return export.path.read_bytes()


# --- CSV --------------------------------------------------------------------------------------


def test_csv_export_is_a_zip_of_long_data_and_its_dictionary(cohort):
    export = run(cohort, "csv")
    with zipfile.ZipFile(export.path) as archive:
        assert sorted(archive.namelist()) == ["data.csv", "data_dictionary.csv"]
    rows = read_zip_csv(export, "data.csv")
    diarrhea = cohort["diarrhea_patient"].subject_id
    grades = [
        r["value"]
        for r in rows
        if r["subject_id"] == diarrhea and r["kind"] == "grade" and r["term"] == "diarrhea"
    ]
    assert grades == ["1", "2", "0", "1"]
    stools = [r for r in rows if r["item"] == "stools_over_baseline"]
    assert [r["value"] for r in stools] == ["2", "5", "0", "3"]
    first_grade = next(r for r in rows if r["kind"] == "grade" and r["term"] == "diarrhea")
    assert first_grade["meddra_code"] == "10012727"
    assert first_grade["ctcae_version"] == "5.0"
    assert first_grade["grading_version"]
    assert first_grade["recorded_at"] == "2025-03-03T09:00:00+01:00"
    loperamide = next(r for r in rows if r["item"] == "loperamide_mg")
    assert (loperamide["kind"], loperamide["value"], loperamide["unit"]) == (
        "medication",
        "4.0",
        "mg",
    )


def test_csv_keeps_patient_reported_and_clinician_confirmed_rows_apart(cohort):
    rows = read_zip_csv(run(cohort, "csv"), "data.csv")
    alt = [r for r in rows if r["term"] == "alt_increased"]
    assert alt and {r["source"] for r in alt} == {"clinician_confirmed"}
    assert {r["reporter"] for r in alt} == {"clinician"}
    assert [r["value"] for r in alt if r["kind"] == "grade"] == ["2", "3", "0"]
    diary = [r for r in rows if r["instrument"] == "symptom_diary"]
    assert {r["source"] for r in diary} == {"patient_reported"}
    assert {r["reporter"] for r in diary} == {"patient", "carer"}


def test_csv_has_questionnaire_answers_and_scores(cohort):
    rows = read_zip_csv(run(cohort, "csv"), "data.csv")
    pro = [r for r in rows if r["instrument"] == "proctcae_zongertinib"]
    answer = next(r for r in pro if r["item"] == "PROCTCAE_16A")
    assert (answer["kind"], answer["term"], answer["value"]) == ("answer", "diarrhea", "3")
    score = next(r for r in pro if r["kind"] == "score" and r["item"] == "diarrhea")
    assert score["value"] == "2"  # frequency "Frequently" -> composite 2 [V §2.2]
    assert answer["instrument_version"] == "1"


def test_the_data_dictionary_describes_every_column_and_code(cohort):
    export = run(cohort, "csv")
    header = read_zip_csv(export, "data.csv")[0].keys()
    dictionary = read_zip_csv(export, "data_dictionary.csv")
    columns = [r["name"] for r in dictionary if r["kind"] == "column"]
    assert columns == list(header)
    assert all(r["label"] for r in dictionary if r["kind"] == "column")
    terms = {r["name"]: r for r in dictionary if r["kind"] == "ctcae_term"}
    assert terms["diarrhea"]["code"] == "10012727"
    assert terms["diarrhea"]["code_system"] == vocabulary.MEDDRA_SYSTEM
    # The grades the grading engine can give, not "0-5" (grade 5 is never assigned).
    allowed = {name: terms[name]["allowed_values"] for name in ("fatigue", "alopecia", "hypoxia")}
    assert allowed == {"fatigue": "0|1|2|3", "alopecia": "0|1|2", "hypoxia": "0|2|3"}
    assert not any("5" in r["allowed_values"] for r in terms.values())
    medications = {r["name"]: r for r in dictionary if r["kind"] == "medication"}
    assert "mg in the last 24 h" in medications["loperamide_mg"]["label"]
    fields = {r["name"]: r for r in dictionary if r["kind"] == "field"}
    assert fields["diarrhea.stools_over_baseline"]["type"] == "int"
    items = {r["name"]: r for r in dictionary if r["kind"] == "item"}
    assert items["PROCTCAE_16A"]["code"] == "C205941/C25515"  # Diarrhea / Frequency [V §4.3]
    assert "3=Frequently" in items["PROCTCAE_16A"]["allowed_values"]


def test_csv_holds_only_the_chosen_sources_and_days(cohort):
    rows = read_zip_csv(
        run(
            cohort,
            "csv",
            instruments=["symptom_diary"],
            date_from=date(2025, 3, 4),
            date_to=date(2025, 3, 5),
        ),
        "data.csv",
    )
    assert {r["instrument"] for r in rows} == {"symptom_diary"}
    days = sorted({r["recorded_at"][:10] for r in rows})
    assert days == ["2025-03-04", "2025-03-05"]


# --- SDTM: tests/clinicians/test_exports_sdtm.py -----------------------------------------------


# --- FHIR -------------------------------------------------------------------------------------


def fhir_resources(export):
    text = export.path.read_text(encoding="utf-8")
    bundle = Bundle.model_validate_json(text)  # the library reads the whole Bundle back
    return bundle, [entry["resource"] for entry in json.loads(text)["entry"]]


def test_fhir_bundle_validates_and_reads_back_with_the_fhir_library(cohort):
    export = run(cohort, "fhir")
    bundle, resources = fhir_resources(export)
    assert bundle.type == "collection"
    assert bundle.id == str(export.pk)
    kinds = {r["resourceType"] for r in resources}
    assert kinds == {
        "Patient",
        "Medication",
        "Observation",
        "AdverseEvent",
        "QuestionnaireResponse",
    }
    assert len(bundle.entry) == len(resources)
    assert all(entry.fullUrl.startswith("urn:uuid:") for entry in bundle.entry)
    assert len({entry.fullUrl for entry in bundle.entry}) == len(bundle.entry)


def test_fhir_patient_reported_grades_are_preliminary_observations_coded_in_meddra(cohort):
    _, resources = fhir_resources(run(cohort, "fhir"))
    subject = cohort["diarrhea_patient"].subject_id
    grades = [
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and "effectiveDateTime" in r
        and r["code"]["coding"][0]["code"] == "10012727"
    ]
    assert [g["valueInteger"] for g in grades] == [1, 2, 0, 1]
    assert {g["status"] for g in grades} == {"preliminary"}
    # MedDRA's own URI: HL7 retired MDRAE in 2021 (interoperability.md §4.1).
    assert grades[0]["code"]["coding"][0]["system"] == "https://www.meddra.org"
    assert grades[0]["subject"]["identifier"]["value"] == subject
    patient = next(
        r
        for r in resources
        if r["resourceType"] == "Patient" and r["identifier"][0]["value"] == subject
    )
    assert grades[0]["subject"]["reference"] == f"urn:uuid:{patient['id']}"
    assert set(patient) == {"resourceType", "id", "identifier"}  # nothing but the pseudonym
    episodes = [
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and "effectivePeriod" in r
        and r["code"]["coding"][0]["code"] == "10012727"
    ]
    assert [(e["effectivePeriod"].get("end"), e["valueInteger"]) for e in episodes] == [
        ("2025-03-05T09:00:00+01:00", 2),
        (None, 1),
    ]


def test_fhir_adverse_events_are_clinician_confirmed_episodes_only(cohort):
    _, resources = fhir_resources(run(cohort, "fhir"))
    events = [r for r in resources if r["resourceType"] == "AdverseEvent"]
    assert len(events) == 1
    event = events[0]
    assert event["event"]["coding"][0] == {
        "system": vocabulary.MEDDRA_SYSTEM,
        "code": "10001551",
        "display": "Alanine aminotransferase increased",
    }
    grade = next(e for e in event["extension"] if e["url"] == vocabulary.AE_GRADE_EXTENSION)
    assert grade["valueCodeableConcept"]["text"].endswith("grade 3")
    assert grade["valueCodeableConcept"]["coding"][0]["code"] == "3"  # coded, not text only
    medications = {
        f"urn:uuid:{r['id']}": r["code"]["coding"][0]["code"]
        for r in resources
        if r["resourceType"] == "Medication"
    }
    suspect = event["suspectEntity"][0]["instance"]["reference"]
    assert medications[suspect] == "zongertinib"  # the study drug of the ALT patient
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    assert event["date"] == "2025-03-04T09:00:00+01:00"


def test_fhir_questionnaire_response_codes_pro_ctcae_answers_in_ncit(cohort):
    _, resources = fhir_resources(run(cohort, "fhir"))
    qr = next(r for r in resources if r["resourceType"] == "QuestionnaireResponse")
    assert qr["id"] == str(cohort["response"].id)
    item = next(i for i in qr["item"] if i["linkId"] == "PROCTCAE_16A")
    assert item["answer"][0]["valueCoding"] == {
        "system": vocabulary.NCIT_SYSTEM,
        "code": "C64649",  # Frequently [V §4.3]
        "display": "Frequently",
    }
    scores = [
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and r.get("derivedFrom") == [{"reference": f"urn:uuid:{qr['id']}"}]
    ]
    diarrhea = next(s for s in scores if s["code"]["coding"][0]["code"] == "diarrhea")
    assert diarrhea["valueQuantity"] == {
        "value": 2,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert "not a CTCAE grade" in diarrhea["code"]["text"]


def test_fhir_holds_the_raw_vitals_as_loinc_ucum_observations_the_grades_derive_from(cohort):
    from tests.helpers import report

    patient = cohort["tired_patient"]
    when = START + timedelta(days=5)
    report(patient, {"hypoxia": {"spo2_rest": 92, "spo2_exertion": 86}}, recorded_at=when)
    report(patient, {"fever": {"temp_c": 38.4}}, recorded_at=when + timedelta(hours=1))
    report(
        patient,
        {"weight_loss": {"current_weight_kg": 61.5, "baseline_weight_kg": 70}},
        recorded_at=when + timedelta(hours=2),
    )
    _, resources = fhir_resources(run(cohort, "fhir"))
    vitals = [
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and r["category"][0]["coding"][0]["code"] == "vital-signs"
    ]
    found = {
        (
            r["code"]["text"],
            r["code"]["coding"][0]["code"],
            r["valueQuantity"]["value"],
            r["valueQuantity"]["code"],
        )
        for r in vitals
    }
    assert found == {
        ("Oxygen saturation by pulse oximetry, at rest", "59408-5", 92, "%"),
        ("Oxygen saturation by pulse oximetry, after exertion", "59408-5", 86, "%"),
        ("Body temperature", "8310-5", 38.4, "Cel"),
        ("Body weight", "29463-7", 61.5, "kg"),
    }
    assert all(r["valueQuantity"]["system"] == "http://unitsofmeasure.org" for r in vitals)
    spo2 = {f"urn:uuid:{r['id']}" for r in vitals if r["code"]["coding"][0]["code"] == "59408-5"}
    hypoxia = next(
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and r["code"]["coding"][0].get("code") == "10021143"
        and "effectiveDateTime" in r
    )
    assert hypoxia["valueInteger"] == 2  # exertional SpO2 < 88 %
    assert {d["reference"] for d in hypoxia["derivedFrom"]} == spo2


# The code systems a ToxWatch Bundle may use: anything else is a mistake (a retired or
# misspelt URI), so a new one must be added here on purpose.
ALLOWED_SYSTEMS = {
    "https://www.meddra.org",
    "http://loinc.org",
    "http://unitsofmeasure.org",
    "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
    "http://terminology.hl7.org/CodeSystem/observation-category",
    "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
}


def walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, path)


def test_every_reference_resolves_inside_the_bundle_and_every_system_is_allowed(cohort, settings):
    from tests.helpers import report

    report(
        cohort["tired_patient"], {"fever": {"temp_c": 38.4}}, recorded_at=START + timedelta(days=5)
    )
    text = run(cohort, "fhir").path.read_text(encoding="utf-8")
    entries = json.loads(text)["entry"]
    full_urls = {e["fullUrl"] for e in entries}
    references = [node["reference"] for _, node in walk(entries) if "reference" in node]
    assert references and set(references) <= full_urls
    systems = {node["system"] for path, node in walk(entries) if "system" in node}
    local = f"{settings.TOXWATCH_FHIR_BASE}/"
    assert {s for s in systems if not s.startswith(local)} <= ALLOWED_SYSTEMS
    assert "http://terminology.hl7.org/CodeSystem/MDRAE" not in text


# --- every format -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "sdtm", "fhir"])
def test_no_direct_identifier_and_no_other_clinic_reaches_any_format(cohort, fmt):
    content = all_bytes(run(cohort, fmt)).decode("utf-8", errors="replace")  # .xpt: binary
    person = cohort["person"]
    for identifier in (
        "Marguerite",
        "Duchamp",
        person.email,
        person.username,
        # The birth date in the forms a file could carry it (the year alone also turns up
        # by chance inside random UUIDs).
        "1957-03-14",
        "19570314",
        "14/03/1957",
        "06 12 34 56 78",
        cohort["outsider"].subject_id,
    ):
        assert identifier not in content
    assert cohort["diarrhea_patient"].subject_id in content


@pytest.mark.parametrize("fmt", ["csv", "sdtm", "fhir"])
def test_the_file_records_its_size_and_sha256(cohort, fmt):
    import hashlib

    export = run(cohort, fmt)
    data = export.path.read_bytes()
    assert export.size_bytes == len(data)
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.rows_done == export.rows_total == 9  # 5 entries, 3 observations, 1 response
    assert export.expires_at - export.finished_at == timedelta(hours=24)


@pytest.mark.parametrize(
    "values",
    [
        ["plain", 1, 2.5, None, True, False, ""],
        ["a,b", 'say "hi"', "line\nbreak", "cr\rhere", " spaced ", "é"],
    ],
)
def test_cell_renders_fields_exactly_as_the_csv_module_does(values):
    from clinicians.exports.writers import cell, text

    expected = io.StringIO()
    csv.writer(expected).writerow([text(v) for v in values])
    assert ",".join(cell(v) for v in values) + "\r\n" == expected.getvalue()


def test_an_awkward_subject_id_is_quoted_and_reads_back(cohort):
    patient = cohort["diarrhea_patient"]
    type(patient).objects.filter(pk=patient.pk).update(subject_id='AAA,"7"')
    rows = read_zip_csv(run(cohort, "csv"), "data.csv")
    assert 'AAA,"7"' in {r["subject_id"] for r in rows}
    assert all(len(r) == len(rows[0]) and None not in r for r in rows)


def test_csv_lines_are_the_same_whether_answers_come_from_the_cache_or_not(cohort, monkeypatch):
    from clinicians.exports.writers import csvlong

    cached = run(cohort, "csv")
    monkeypatch.setattr(csvlong, "ANSWER_TAILS_KEPT", 1)  # the cache restarts at every entry
    uncached = run(cohort, "csv")
    with zipfile.ZipFile(cached.path) as a, zipfile.ZipFile(uncached.path) as b:
        assert a.read("data.csv") == b.read("data.csv")
    assert len(read_zip_csv(cached, "data.csv")) > 20


def test_diary_rows_carry_ids_as_text_with_the_entrys_current_grades(cohort):
    from clinicians.exports import source
    from diary.models import DiaryEntry

    scope = source.Scope(
        cohort["clinic"].pk,
        PARIS,
        datetime(2025, 3, 1, tzinfo=PARIS),
        datetime(2025, 4, 1, tzinfo=PARIS),
        frozenset(ALL_SOURCES),
    )
    rows = list(source.diary_rows(scope))
    ids = {
        str(pk)
        for pk in DiaryEntry.objects.filter(patient__clinic=cohort["clinic"]).values_list(
            "pk", flat=True
        )
    }
    assert {row.id for row, _ in rows} == ids
    assert all(isinstance(row.id, str) and json.loads(row.symptoms_json) for row, _ in rows)
    assert any(grades for _, grades in rows)
