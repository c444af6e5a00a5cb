"""SDTMIG 3.4 conformance checks that need no licence, over an SDTM export's files.

Each check takes the datasets (name -> list of records as read from the CSVs) and returns the
problems it found, as readable strings (empty: conforms). docs/exports.md lists them with the
SDTMIG rule each one stands for. They are plain functions so that a test can run each one
against a realistic export and report every offending record at once.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date

from clinicians.exports import sdtmig

Datasets = dict[str, list[dict[str, str]]]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$")
TESTCD = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
FINDINGS = ("QS", "FA")


def testcd_format(data: Datasets) -> list[str]:
    """--TESTCD: at most 8 characters, upper-case letters, digits and underscores, not starting
    with a digit (SDTMIG 3.4 §4.5.3.1); --TEST at most 40 characters."""
    problems = []
    for name in FINDINGS:
        for row in data[name]:
            if not TESTCD.match(row[f"{name}TESTCD"]):
                problems.append(f"{name}TESTCD {row[f'{name}TESTCD']!r}")
            if len(row[f"{name}TEST"]) > 40:
                problems.append(f"{name}TEST longer than 40: {row[f'{name}TEST']!r}")
    return sorted(set(problems))


def testcd_test_one_to_one(data: Datasets) -> list[str]:
    """Each --TESTCD has one --TEST and each --TEST one --TESTCD, within a dataset."""
    problems = []
    for name in FINDINGS:
        tests: dict[str, set[str]] = defaultdict(set)
        codes: dict[str, set[str]] = defaultdict(set)
        for row in data[name]:
            tests[row[f"{name}TESTCD"]].add(row[f"{name}TEST"])
            codes[row[f"{name}TEST"]].add(row[f"{name}TESTCD"])
        problems += [f"{name}TESTCD {c} has {sorted(t)}" for c, t in tests.items() if len(t) > 1]
        problems += [f"{name}TEST {t!r} has {sorted(c)}" for t, c in codes.items() if len(c) > 1]
    return problems


def unique_keys(data: Datasets) -> list[str]:
    """No two records of a dataset share its natural key (define.xml KeySequence)."""
    problems = []
    for dataset in sdtmig.DATASETS:
        seen = Counter(tuple(row[k] for k in dataset.keys) for row in data[dataset.name])
        problems += [f"{dataset.name} key {key} x{n}" for key, n in seen.items() if n > 1]
    return problems


def required_variables(data: Datasets) -> list[str]:
    """Every Req variable is in its dataset and never empty; Exp variables are present; no
    variable outside the dataset's specification."""
    problems = []
    for dataset in sdtmig.DATASETS:
        rows = data[dataset.name]
        header = list(rows[0]) if rows else dataset.names
        if header != dataset.names:
            problems.append(f"{dataset.name} variables {header} != {dataset.names}")
        for variable in dataset.variables:
            if variable.core != "Req":
                continue
            empty = sum(1 for row in rows if not row.get(variable.name))
            if empty:
                problems.append(f"{dataset.name}.{variable.name} empty in {empty} records")
    return problems


def seq_unique_per_subject(data: Datasets) -> list[str]:
    """--SEQ is a positive integer, unique within each subject in a dataset."""
    problems = []
    for name in ("EX", "QS", "FA", "AE"):
        seen = Counter((row["USUBJID"], row[f"{name}SEQ"]) for row in data[name])
        problems += [f"{name} {key} x{n}" for key, n in seen.items() if n > 1]
        problems += [
            f"{name}SEQ {row[f'{name}SEQ']!r}"
            for row in data[name]
            if not row[f"{name}SEQ"].isdigit() or int(row[f"{name}SEQ"]) < 1
        ]
    return problems


def iso_8601_dates(data: Datasets) -> list[str]:
    """Every --DTC, --STDTC, --ENDTC and RF...DTC value is ISO 8601 (a date, or a date and time
    with seconds and a UTC offset), and a real calendar date."""
    problems = []
    for dataset in sdtmig.DATASETS:
        for variable in dataset.variables:
            if variable.kind not in ("date", "datetime"):
                continue
            for row in data[dataset.name]:
                value = row[variable.name]
                if not value:
                    continue
                pattern = ISO_DATE if variable.kind == "date" else ISO_DATETIME
                try:
                    date.fromisoformat(value[:10])
                except ValueError:
                    problems.append(f"{dataset.name}.{variable.name} {value!r}")
                    continue
                if not pattern.match(value):
                    problems.append(f"{dataset.name}.{variable.name} {value!r}")
    return problems


_DAYS = (
    ("EX", "EXSTDTC", "EXSTDY"),
    ("EX", "EXENDTC", "EXENDY"),
    ("QS", "QSDTC", "QSDY"),
    ("FA", "FADTC", "FADY"),
    ("AE", "AESTDTC", "AESTDY"),
    ("AE", "AEENDTC", "AEENDY"),
)


def study_days_match_rfstdtc(data: Datasets) -> list[str]:
    """--DY = date - RFSTDTC (+1 on or after it; there is no day 0), empty exactly when the
    date or RFSTDTC is; EPOCH agrees (SCREENING before RFSTDTC, TREATMENT from it)."""
    reference = {row["USUBJID"]: row["RFSTDTC"] for row in data["DM"]}
    problems = []
    for name, dtc, dy in _DAYS:
        for row in data[name]:
            start = reference.get(row["USUBJID"], "")
            if not row[dtc] or not start:
                if row[dy]:
                    problems.append(f"{name}.{dy} {row[dy]} without a date or RFSTDTC")
                continue
            days = (date.fromisoformat(row[dtc][:10]) - date.fromisoformat(start)).days
            expected = days + 1 if days >= 0 else days
            if row[dy] != str(expected):
                problems.append(f"{name}.{dy} {row[dy]!r} != {expected} ({row[dtc]}, {start})")
            if dy in ("EXSTDY", "QSDY", "FADY", "AESTDY"):
                epoch = "TREATMENT" if days >= 0 else "SCREENING"
                if row["EPOCH"] != epoch:
                    problems.append(f"{name}.EPOCH {row['EPOCH']!r} != {epoch} ({row[dtc]})")
    return problems


def units_from_the_unit_codelist(data: Datasets) -> list[str]:
    """--ORRESU, --STRESU and EXDOSU values are CDISC UNIT submission values."""
    problems = []
    for name, variables in (("FA", ("FAORRESU", "FASTRESU")), ("EX", ("EXDOSU",))):
        for row in data[name]:
            for variable in variables:
                if row[variable] and row[variable] not in sdtmig.UNITS:
                    problems.append(f"{name}.{variable} {row[variable]!r}")
    return sorted(set(problems))


def relrec_targets_exist(data: Datasets) -> list[str]:
    """Every RELREC record points at records that exist, and each relationship has at least
    two sides."""
    problems = []
    index: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in data["RELREC"]:
        key = (row["RDOMAIN"], row["USUBJID"], row["IDVAR"])
        if key not in index:
            index[key] = {r[row["IDVAR"]] for r in data[row["RDOMAIN"]] if r["USUBJID"] == key[1]}
        if row["IDVARVAL"] not in index[key]:
            problems.append(f"RELREC {row['RELID']}: no {key} = {row['IDVARVAL']!r}")
    sides = Counter((row["USUBJID"], row["RELID"]) for row in data["RELREC"])
    problems += [f"RELREC {key} has one record" for key, n in sides.items() if n < 2]
    for supp in ("SUPPQS", "SUPPAE"):
        parent = supp[4:]
        for row in data[supp]:
            values = {r[row["IDVAR"]] for r in data[parent] if r["USUBJID"] == row["USUBJID"]}
            if row["IDVARVAL"] not in values:
                problems.append(f"{supp} {row['QNAM']}: no {parent} {row['IDVAR']}")
    return problems


def every_ae_is_graded_and_coded(data: Datasets) -> list[str]:
    """Every AE record has AETOXGR (1-5) and AEDECOD, and its AEBODSYS."""
    return [
        f"AE {row['USUBJID']} {row['AESEQ']} {row['AETERM']!r}"
        for row in data["AE"]
        if row["AETOXGR"] not in {"1", "2", "3", "4", "5"}
        or not row["AEDECOD"]
        or not row["AEBODSYS"]
    ]


def no_patient_reported_record_in_ae(data: Datasets) -> list[str]:
    """AE holds clinician-confirmed events only: each one is related (RELREC) to FA records of
    the care team's observations, and none to the diary."""
    clinician_groups = {
        (row["USUBJID"], row["FAGRPID"])
        for row in data["FA"]
        if row["FACAT"] == "CLINICIAN-CONFIRMED"
    }
    sources: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in data["RELREC"]:
        if row["RDOMAIN"] == "FA":
            sources[(row["USUBJID"], row["RELID"])].append((row["USUBJID"], row["IDVARVAL"]))
    ae_relations = {
        (row["USUBJID"], row["RELID"]): row["IDVARVAL"]
        for row in data["RELREC"]
        if row["RDOMAIN"] == "AE"
    }
    problems = []
    for row in data["AE"]:
        relation = next(
            (k for k, v in ae_relations.items() if k[0] == row["USUBJID"] and v == row["AESEQ"]),
            None,
        )
        if relation is None:
            problems.append(f"AE {row['USUBJID']} {row['AESEQ']}: no source observations")
            continue
        if not sources[relation] or any(s not in clinician_groups for s in sources[relation]):
            problems.append(f"AE {row['USUBJID']} {row['AESEQ']}: not from clinician records")
    return problems


CHECKS: dict[str, Callable[[Datasets], list[str]]] = {
    check.__name__: check
    for check in (
        testcd_format,
        testcd_test_one_to_one,
        unique_keys,
        required_variables,
        seq_unique_per_subject,
        iso_8601_dates,
        study_days_match_rfstdtc,
        units_from_the_unit_codelist,
        relrec_targets_exist,
        every_ae_is_graded_and_coded,
        no_patient_reported_record_in_ae,
    )
}
