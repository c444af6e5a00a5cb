"""The SDTM export held to the SDTMIG 3.4 rules that can be checked without a licence
(tests/clinicians/sdtm_rules.py), on the demo clinic's seeded data and on a small cohort; the
define.xml against the Define-XML 2.1 schema; the transport files against the CSVs."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from clinicians.exports import define, sdtmig, services, vocabulary, xpt
from clinicians.exports.models import ExportStatus
from diary.models import Clinic, Infusion, StaffMember, StaffRole
from tests.clinicians import sdtm_rules
from tests.helpers import export_cohort, make_clinic, make_staff, report

# Every test is a database test: pytest-django then runs them with the other database tests,
# not last after the transactional ones (after which the SQLite schema lacked clinicians_export).
pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2025, 3, 3, 9, 0, tzinfo=PARIS)
ALL_SOURCES = [code for code, _ in vocabulary.instrument_choices()]
MEMBERS = [
    *(f"{name}.csv" for name in ("DM", "EX", "QS", "FA", "AE", "RELREC", "SUPPQS", "SUPPAE")),
    *(f"{name}.xpt" for name in ("dm", "ex", "qs", "fa", "ae", "relrec", "suppqs", "suppae")),
    "define.xml",
]


def run_sdtm(user, clinic, *, date_from, date_to, instruments=None):
    export = services.request_export(
        user=user,
        clinic=clinic,
        format="sdtm",
        date_from=date_from,
        date_to=date_to,
        instruments=instruments or ALL_SOURCES,
    )
    assert services.run_export(export_id=export.pk) is True
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def unpack(export, folder: Path) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(export.path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(MEMBERS)
        archive.extractall(folder)
    data = {}
    for dataset in sdtmig.DATASETS:
        with (folder / f"{dataset.name}.csv").open(newline="", encoding="utf-8") as handle:
            data[dataset.name] = list(csv.DictReader(handle))
    return data


_DEMO: dict[str, Any] = {}


@pytest.fixture
def demo(request, tmp_path_factory, settings):
    """The demo clinic (``manage.py seed_demo``) exported to SDTM by its data manager, all
    sources, the whole history. Made once, by the first test that asks, inside that test's
    database transaction (rolled back as usual); later tests read the files it left."""
    if not _DEMO:
        request.getfixturevalue("db")
        folder = tmp_path_factory.mktemp("demo-sdtm")
        settings.TOXWATCH_EXPORT_DIR = folder / "exports"
        call_command("seed_demo", stdout=io.StringIO())
        clinic = Clinic.objects.get(code="DEMO")
        manager = StaffMember.objects.get(clinic=clinic, role=StaffRole.DATA_MANAGER).user
        export = run_sdtm(manager, clinic, date_from=date(2020, 1, 1), date_to=date.today())
        _DEMO.update(data=unpack(export, folder), folder=folder)
    return _DEMO


@pytest.mark.parametrize("check", sorted(sdtm_rules.CHECKS))
def test_the_demo_clinics_sdtm_export_passes_the_sdtmig_check(demo, check):
    assert sdtm_rules.CHECKS[check](demo["data"]) == []


def test_the_demo_export_has_subjects_exposure_questionnaires_findings_and_events(demo):
    data = demo["data"]
    counts = {name: len(rows) for name, rows in data.items()}
    assert counts["DM"] == 12
    for name in ("EX", "QS", "FA", "AE", "RELREC", "SUPPQS", "SUPPAE"):
        assert counts[name] > 0, name
    assert {r["ARM"] for r in data["DM"]} == {
        "Trastuzumab deruxtecan",
        "Zongertinib",
        "Sevabertinib",
    }
    assert {r["EXTRT"] for r in data["EX"]} >= {"TRASTUZUMAB DERUXTECAN"}
    assert {r["QSCAT"] for r in data["QS"]} >= {"PRO-CTCAE", "EORTC QLQ-C30"}
    assert "QSEVAL" not in data["QS"][0]  # not used for patient-reported questionnaires


@pytest.mark.parametrize("name", [d.name for d in sdtmig.DATASETS])
def test_each_transport_file_reads_back_equal_to_its_csv(demo, name):
    dataset = sdtmig.BY_NAME[name]
    records, meta = xpt.read(demo["folder"] / f"{name.lower()}.xpt")
    rows = demo["data"][name]
    assert meta.table_name == name
    assert meta.column_names == dataset.names
    assert meta.column_labels == [v.label for v in dataset.variables]
    assert len(records) == len(rows)
    for record, row in zip(records, rows, strict=True):
        for variable in dataset.variables:
            value, text = record[variable.name], row[variable.name]
            if variable.numeric:
                assert (math.isnan(value) and text == "") or value == float(text), variable.name
            else:
                assert value == text, (name, variable.name)


def test_the_define_xml_validates_against_the_define_xml_2_1_schema(demo):
    define.validate(demo["folder"] / "define.xml")


def test_a_define_xml_missing_what_the_schema_requires_does_not_validate(demo, tmp_path):
    text = (demo["folder"] / "define.xml").read_text(encoding="utf-8")
    broken = tmp_path / "define.xml"
    broken.write_text(text.replace(' def:Structure="', ' def:Shape="', 1), encoding="utf-8")
    with pytest.raises(Exception, match="Structure|Shape"):
        define.validate(broken)


def test_the_define_xml_describes_every_dataset_variable_and_codelist(demo):
    from xml.etree import ElementTree

    tree = ElementTree.parse(demo["folder"] / "define.xml")
    ns = {"odm": define.ODM_NS, "def": define.DEF_NS}
    groups = {g.get("Name"): g for g in tree.iterfind(".//odm:ItemGroupDef", ns)}
    assert list(groups) == [d.name for d in sdtmig.DATASETS]
    items = {i.get("OID"): i for i in tree.iterfind(".//odm:ItemDef", ns)}
    codelists = {c.get("OID") for c in tree.iterfind(".//odm:CodeList", ns)}
    for dataset in sdtmig.DATASETS:
        refs = [r.get("ItemOID") for r in groups[dataset.name].iterfind("odm:ItemRef", ns)]
        assert refs == [f"IT.{dataset.name}.{name}" for name in dataset.names]
        for variable in dataset.variables:
            item = items[f"IT.{dataset.name}.{variable.name}"]
            label = item.findtext("odm:Description/odm:TranslatedText", namespaces=ns)
            assert label == variable.label and len(label) <= 40
            assert item.find("def:Origin", ns).get("Type") == variable.origin  # type: ignore[union-attr]
            ref = item.find("odm:CodeListRef", ns)
            assert (ref.get("CodeListOID") if ref is not None else "") == (
                f"CL.{variable.codelist}" if variable.codelist else ""
            )
            if ref is not None:
                assert ref.get("CodeListOID") in codelists
    fa = {
        i.get("CodedValue"): i.findtext("odm:Decode/odm:TranslatedText", namespaces=ns)
        for i in tree.iterfind(".//odm:CodeList[@OID='CL.FATESTCD']/odm:CodeListItem", ns)
    }
    assert fa["STLOVBL"] == "Stools per Day Over Baseline"


# --- the mapping table ------------------------------------------------------------------------


def test_the_testcd_table_has_short_upper_case_codes_one_per_test():
    rows = sdtmig.tests()
    for row in rows:
        assert sdtm_rules.TESTCD.match(row.testcd), row
        assert 0 < len(row.test) <= 40, row
        assert not row.unit or row.unit in sdtmig.UNITS, row
    for domain in ("QS", "FA"):
        codes = [(r.testcd, r.test) for r in rows if r.domain == domain]
        assert len({c for c, _ in codes}) == len({t for _, t in codes}) == len(codes)


def test_the_testcd_table_covers_every_item_score_and_field_a_source_can_write():
    from diary import grading, instruments

    for instrument in instruments.ALL:
        for item in instrument.items:
            sdtmig.test_for("QS", item.code)
        for scale in instrument.scales:
            sdtmig.test_for("QS", f"score:{scale.code}")
    for spec in grading.TERMS.values():
        for field in spec.fields:
            sdtmig.test_for("FA", field)


def test_every_gradable_ctcae_term_has_a_meddra_preferred_term_and_soc():
    from diary import grading

    coded = sdtmig.preferred_terms()
    for term, spec in grading.TERMS.items():
        if not spec.alert_only:
            assert coded[term].pt and coded[term].soc, term


@pytest.mark.parametrize(
    "on,first,day",
    [(date(2025, 3, 3), date(2025, 3, 3), 1), (date(2025, 3, 4), date(2025, 3, 3), 2)]
    + [(date(2025, 3, 2), date(2025, 3, 3), -1), (date(2025, 3, 2), None, None)],
)
def test_study_day_counts_from_the_first_dose_without_a_day_0(on, first, day):
    assert sdtmig.study_day(on, first) == day


# --- the checks can fail ---------------------------------------------------------------------


def test_the_checks_report_the_defects_the_issue_found():
    def fa(**values):
        row = dict.fromkeys(sdtmig.FA.names, "")
        row.update(USUBJID="S-1", FASEQ="1", FATESTCD="TOXGR", FATEST="CTCAE Grade")
        row.update(values)
        return row

    data: dict[str, list[dict[str, str]]] = {d.name: [] for d in sdtmig.DATASETS}
    data["FA"] = [
        fa(FATESTCD="STOOLS_OVER_BASELINE", FAORRESU="/mm³"),
        fa(FASEQ="1", FATEST="Other name", FADTC="2025-03-03 09:00"),
        fa(FASEQ="2"),
    ]
    assert sdtm_rules.testcd_format(data)
    assert sdtm_rules.testcd_test_one_to_one(data)
    assert sdtm_rules.seq_unique_per_subject(data)
    assert sdtm_rules.units_from_the_unit_codelist(data)
    assert sdtm_rules.iso_8601_dates(data)
    assert sdtm_rules.required_variables(data)  # FAOBJ is empty
    data["AE"] = [dict.fromkeys(sdtmig.AE.names, "") | {"USUBJID": "S-1", "AESEQ": "1"}]
    assert sdtm_rules.every_ae_is_graded_and_coded(data)
    assert sdtm_rules.no_patient_reported_record_in_ae(data)


# --- a small cohort: what goes where -----------------------------------------------------------


@pytest.fixture
def cohort(settings, tmp_path):
    settings.TOXWATCH_EXPORT_DIR = tmp_path / "exports"
    clinic = make_clinic("AAA")
    data = export_cohort(clinic, start=START)
    data["clinic"] = clinic
    data["manager"] = make_staff(clinic, StaffRole.DATA_MANAGER)
    course = data["tired_patient"].courses.get()
    Infusion.objects.create(course=course, given_on=date(2025, 3, 1), dose_level="5.4_mg_kg")
    # The zongertinib patient's first tablet, reported in the diary on 1 March.
    report(
        data["diarrhea_patient"],
        {"fatigue": {"fatigue": False}},
        recorded_at=datetime(2025, 3, 1, 9, 0, tzinfo=PARIS),
        medications={"tki_doses_taken": 1},
    )
    return data


def export_cohort_sdtm(cohort, tmp_path, **kwargs):
    export = run_sdtm(
        cohort["manager"],
        cohort["clinic"],
        date_from=kwargs.pop("date_from", date(2025, 3, 1)),
        date_to=kwargs.pop("date_to", date(2025, 3, 31)),
        **kwargs,
    )
    return unpack(export, tmp_path / "unpacked")


def test_the_cohorts_export_passes_every_check(cohort, tmp_path):
    data = export_cohort_sdtm(cohort, tmp_path)
    problems = {name: check(data) for name, check in sdtm_rules.CHECKS.items()}
    assert problems == dict.fromkeys(sdtm_rules.CHECKS, [])


def test_ae_holds_only_the_clinician_confirmed_episode_coded_to_the_preferred_term(
    cohort, tmp_path
):
    data = export_cohort_sdtm(cohort, tmp_path)
    assert len(data["AE"]) == 1
    ae = data["AE"][0]
    assert (ae["AETERM"], ae["AELLTCD"], ae["AEDECOD"], ae["AEBODSYS"]) == (
        "Alanine aminotransferase increased",
        "10001551",
        "Alanine aminotransferase increased",
        "Investigations",
    )
    assert (ae["AETOXGR"], ae["AESTDTC"], ae["AEENDTC"]) == (
        "3",
        "2025-03-04T09:00:00+01:00",
        "2025-03-07T09:00:00+01:00",
    )
    assert (ae["AESER"], ae["AEACN"], ae["AEREL"]) == ("", "", "")  # not recorded: not guessed
    assert [(s["QNAM"], s["QVAL"]) for s in data["SUPPAE"]] == [("AECTCV", "5.0")]
    related = [r for r in data["RELREC"] if r["RELID"] == "AE-1"]
    assert [(r["RDOMAIN"], r["IDVAR"]) for r in related] == [("AE", "AESEQ")] + [
        ("FA", "FAGRPID")
    ] * 3


def test_patient_reported_episodes_are_fa_records_related_to_their_diary_findings(cohort, tmp_path):
    data = export_cohort_sdtm(cohort, tmp_path)
    episodes = [r for r in data["FA"] if r["FATESTCD"] == "EPTOXGR" and r["FAOBJ"] == "Diarrhea"]
    assert [(r["FASTDTC"], r["FAENDTC"], r["FAORRES"]) for r in episodes] == [
        ("2025-03-03T09:00:00+01:00", "2025-03-05T09:00:00+01:00", "2"),
        ("2025-03-06T09:00:00+01:00", "", "1"),
    ]
    first = episodes[0]
    relid = next(
        r["RELID"]
        for r in data["RELREC"]
        if r["IDVAR"] == "FASEQ" and r["IDVARVAL"] == first["FASEQ"]
    )
    groups = [
        r["IDVARVAL"] for r in data["RELREC"] if r["RELID"] == relid and r["IDVAR"] == "FAGRPID"
    ]
    grades = [r for r in data["FA"] if r["FAGRPID"] in groups and r["FATESTCD"] == "TOXGR"]
    assert [g["FAORRES"] for g in grades] == ["1", "2", "0"]  # two of grade >= 1, the grade 0


def test_fa_uses_the_mapping_table_cdisc_units_and_y_n(cohort, tmp_path):
    data = export_cohort_sdtm(cohort, tmp_path)
    stools = [r for r in data["FA"] if r["FATESTCD"] == "STLOVBL"]
    assert [r["FASTRESN"] for r in stools] == ["2", "5", "0", "3"]
    assert {(r["FATEST"], r["FAOBJ"], r["FACAT"], r["FAEVAL"]) for r in stools} == {
        ("Stools per Day Over Baseline", "Diarrhea", "PATIENT-REPORTED", "STUDY SUBJECT")
    }
    tired = cohort["tired_patient"].subject_id
    fatigue = [r for r in data["FA"] if r["USUBJID"] == tired and r["FATESTCD"] == "FAT"]
    assert [(r["FAORRES"], r["FAEVAL"]) for r in fatigue] == [("Y", "CAREGIVER")]
    assert [r["FADY"] for r in stools] == ["3", "4", "5", "6"]  # zongertinib from 1 March


def test_dm_starts_each_subject_at_the_first_dose_and_ex_holds_the_doses(cohort, tmp_path):
    data = export_cohort_sdtm(cohort, tmp_path)
    dm = {r["USUBJID"]: r for r in data["DM"]}
    tired = dm[cohort["tired_patient"].subject_id]
    assert (tired["RFSTDTC"], tired["ARMCD"], tired["ARM"], tired["SEX"], tired["COUNTRY"]) == (
        "2025-03-01",
        "TDXD",
        "Trastuzumab deruxtecan",
        "U",
        "FRA",
    )
    infusion = next(r for r in data["EX"] if r["USUBJID"] == tired["USUBJID"])
    assert (infusion["EXTRT"], infusion["EXDOSE"], infusion["EXDOSU"], infusion["EXSTDY"]) == (
        "TRASTUZUMAB DERUXTECAN",
        "5.4",
        "mg/kg",
        "1",
    )
    diarrhea = dm[cohort["diarrhea_patient"].subject_id]
    assert diarrhea["ARM"] == "Zongertinib"
    tki = [r for r in data["EX"] if r["USUBJID"] == diarrhea["USUBJID"]]
    assert tki and {(r["EXTRT"], r["EXDOSU"], r["EXROUTE"]) for r in tki} == {
        ("ZONGERTINIB", "mg", "ORAL")
    }
    assert diarrhea["RFSTDTC"] == min(r["EXSTDTC"] for r in tki)


def test_qs_codes_are_short_one_per_test_and_scores_are_rounded(cohort, tmp_path):
    data = export_cohort_sdtm(cohort, tmp_path)
    item = next(r for r in data["QS"] if r["QSTESTCD"] == "PRCT16A")
    assert (item["QSTEST"], item["QSORRES"], item["QSSTRESN"], item["QSDRVFL"]) == (
        "Diarrhea Frequency",
        "Frequently",
        "3",
        "",
    )
    assert (item["QSCAT"], item["QSSCAT"]) == ("PRO-CTCAE", "DIARRHEA")
    composite = next(r for r in data["QS"] if r["QSTESTCD"] == "PRCT16CG")
    assert (composite["QSSTRESN"], composite["QSDRVFL"]) == ("2", "Y")
    qualifiers = {r["QNAM"]: r["QVAL"] for r in data["SUPPQS"]}
    assert qualifiers["QSITMSET"] == "PRO-CTCAE, zongertinib"


def test_a_float_score_is_written_to_two_decimals():
    assert sdtmig.round_result(73.33333333333334) == 73.33
    assert sdtmig.round_result(50.0) == 50
    assert sdtmig.round_result(3) == 3


@pytest.mark.parametrize(
    "sources",
    [["clinician_observations"], ["proctcae_zongertinib"], ["symptom_diary"]],
)
def test_an_export_without_some_sources_still_passes_every_check(cohort, tmp_path, sources):
    data = export_cohort_sdtm(cohort, tmp_path, instruments=sources)
    problems = {name: check(data) for name, check in sdtm_rules.CHECKS.items()}
    assert problems == dict.fromkeys(sdtm_rules.CHECKS, [])
    assert bool(data["AE"]) == ("clinician_observations" in sources)
    assert bool(data["QS"]) == ("proctcae_zongertinib" in sources)


def test_a_correction_is_exported_and_replaces_its_entry_in_episodes(cohort, tmp_path):
    from datetime import timedelta

    entries = cohort["entries"]
    report(
        cohort["diarrhea_patient"],
        {"diarrhea": {"stools_over_baseline": 1}},
        recorded_at=START + timedelta(days=2, minutes=5),
        corrects=str(entries[2].id),
    )
    data = export_cohort_sdtm(cohort, tmp_path)
    episodes = [r for r in data["FA"] if r["FATESTCD"] == "EPTOXGR" and r["FAOBJ"] == "Diarrhea"]
    assert [(r["FASTDTC"], r["FAENDTC"]) for r in episodes] == [("2025-03-03T09:00:00+01:00", "")]


@pytest.mark.parametrize("name", ["RELREC", "EX"])
@pytest.mark.parametrize("rows", [0, 1, 79, 80, 81, 500])
def test_a_transport_file_written_in_chunks_is_the_one_pyreadstat_writes_at_once(
    monkeypatch, tmp_path, rows, name
):
    import random

    rng = random.Random(rows)
    dataset = sdtmig.BY_NAME[name]

    def value(variable):
        if variable.numeric:
            return rng.choice(["", str(rng.randrange(-50, 500)), "5.4"])
        return "x" * rng.randrange(0, 40)

    data = [[value(v) for v in dataset.variables] for _ in range(rows)]
    lengths = [max([len(r[i]) for r in data], default=0) for i in range(len(dataset.names))]
    whole, chunked = tmp_path / "whole.xpt", tmp_path / "chunked.xpt"
    monkeypatch.setattr(xpt, "CHUNK_ROWS", 10**6)
    with whole.open("wb") as out:
        xpt.write(dataset, data, lengths, out, workdir=tmp_path)
    monkeypatch.setattr(xpt, "CHUNK_ROWS", 80)
    with chunked.open("wb") as out:
        xpt.write(dataset, data, lengths, out, workdir=tmp_path)
    # Equal from the variable descriptions on (the headers before them carry the time written).
    start = b"HEADER RECORD*******NAMESTR"
    one, two = whole.read_bytes(), chunked.read_bytes()
    assert two[two.index(start) :] == one[one.index(start) :]
    assert len(two) == len(one)
    records, meta = xpt.read(chunked)
    assert meta.column_names == dataset.names
    back = [
        [
            ("" if math.isnan(r[v.name]) else str(r[v.name]).removesuffix(".0"))
            if v.numeric
            else r[v.name]
            for v in dataset.variables
        ]
        for r in records
    ]
    assert back == data


def test_a_chunk_whose_layout_differs_stops_the_file_instead_of_corrupting_it(
    monkeypatch, tmp_path
):
    dataset = sdtmig.RELREC
    rows = [["S", "FA", "S-1", "FASEQ", "1", "", "R"]] * 80 + [
        ["S", "FA", "S-1", "FASEQ", "é", "", "R"]
    ]
    monkeypatch.setattr(xpt, "CHUNK_ROWS", 80)
    with (tmp_path / "x.xpt").open("wb") as out, pytest.raises(xpt.LayoutChanged):
        xpt.write(dataset, rows, [1, 2, 3, 5, 1, 0, 1], out, workdir=tmp_path)


def _transport_file_as_before_d70(dataset, csv_path: Path, workdir: Path) -> bytes:
    """The transport file as the writer made it before D72: every CSV row read back by the csv
    module, each variable's length measured from the cells, chunks of 4,000 records built as
    pandas object and float64 columns, one pyreadstat call each, the records joined."""
    import pandas as pd
    import pyreadstat

    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    widths = [max(1, max([len(r[i]) for r in rows], default=0)) for i in range(len(dataset.names))]
    labels = {v.name: v.label for v in dataset.variables}
    out = b""
    for first in range(0, max(len(rows), 1), 4000):
        chunk = rows[first : first + 4000]
        columns = {}
        for index, variable in enumerate(dataset.variables):
            values = [row[index] for row in chunk]
            if variable.numeric:
                numbers = [float(v) if v != "" else math.nan for v in values]
                columns[variable.name] = pd.Series(numbers, dtype="float64")
            else:
                if values:
                    values[0] = values[0].ljust(widths[index])
                columns[variable.name] = pd.Series(values, dtype="object")
        target = workdir / f"before-{dataset.name}-{first}.xpt"
        pyreadstat.write_xport(
            pd.DataFrame(columns, columns=dataset.names),
            str(target),
            file_label=dataset.label[:40],
            column_labels=labels,
            table_name=dataset.name,
            file_format_version=5,
        )
        body = target.read_bytes()
        out += body if not out else body[body.index(xpt.OBS_HEADER) + len(xpt.OBS_HEADER) :]
    return out


@pytest.mark.parametrize("name", [d.name for d in sdtmig.DATASETS])
def test_each_demo_transport_file_is_byte_for_byte_the_one_the_writer_made_before_d70(
    demo, tmp_path, name
):
    dataset = sdtmig.BY_NAME[name]
    before = _transport_file_as_before_d70(dataset, demo["folder"] / f"{name}.csv", tmp_path)
    now = (demo["folder"] / f"{name.lower()}.xpt").read_bytes()
    # Equal from the variable descriptions on (the headers before them carry the time written).
    start = b"HEADER RECORD*******NAMESTR"
    assert len(now) == len(before)
    assert now[now.index(start) :] == before[before.index(start) :]
