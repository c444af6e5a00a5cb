"""The SDTM export's metadata, as data: datasets, variables (SDTMIG 3.4 names, labels, types and
core), the --TESTCD mapping table, MedDRA preferred terms, CDISC units, and the study-day and
epoch rules. Pure Python (no Django): the writer, define.xml and the tests all read it from here.

Sources (tags as in ../shared/clinical/interoperability.md):
- dataset and variable names, labels, types and core: SDTMIG v3.4 [S] (the CDISC standard; the
  reference lists the AE variables [V §4.2], the rest is from the standard as published);
- --TESTCD/--TEST: ``data/sdtm_tests.tsv``, ToxWatch's own codes [D] (the CDISC QRS codes for
  PRO-CTCAE are [NV] in §4.2): at most 8 characters, upper case, one --TEST per --TESTCD;
- AEDECOD/AEBODSYS: ``data/meddra_pt.tsv``, the MedDRA preferred term and primary SOC that each
  CTCAE v5.0 term (a MedDRA LLT, §4.4 [V]) maps to [S], to check against the sponsor's MedDRA
  version; PT and SOC codes are not in the reference and are left empty, never guessed;
- units: CDISC UNIT codelist (C71620) submission values [S].
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

SDTMIG_VERSION = "3.4"
SDTM_VERSION = "2.0"
DEFINE_VERSION = "2.1.0"

Core = Literal["Req", "Exp", "Perm"]
Kind = Literal["text", "integer", "float", "datetime", "date"]


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    label: str  # SDTMIG label, at most 40 characters
    kind: Kind = "text"
    core: Core = "Perm"
    origin: str = "Collected"  # Define-XML origin: Collected, Derived, Assigned, Protocol
    codelist: str = ""  # a codelist of define.xml (clinicians.exports.define), if controlled

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "float")


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    label: str
    structure: str
    keys: tuple[str, ...]  # the natural key (define.xml KeySequence; unique per record)
    variables: tuple[Variable, ...]
    domain: str = ""  # the parent domain of a SUPP-- dataset
    klass: str = ""  # SDTM observation class

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


def _v(name: str, label: str, kind: Kind = "text", core: Core = "Perm", **kw: str) -> Variable:
    return Variable(name, label, kind, core, **kw)


def _ids(prefix: str) -> tuple[Variable, ...]:
    return (
        _v("STUDYID", "Study Identifier", core="Req", origin="Assigned"),
        _v("DOMAIN", "Domain Abbreviation", core="Req", origin="Assigned"),
        _v("USUBJID", "Unique Subject Identifier", core="Req", origin="Assigned"),
        _v(f"{prefix}SEQ", "Sequence Number", "integer", "Req", origin="Derived"),
    )


DM = Dataset(
    "DM",
    "Demographics",
    "One record per subject",
    ("STUDYID", "USUBJID"),
    (
        _v("STUDYID", "Study Identifier", core="Req", origin="Assigned"),
        _v("DOMAIN", "Domain Abbreviation", core="Req", origin="Assigned"),
        _v("USUBJID", "Unique Subject Identifier", core="Req", origin="Assigned"),
        _v("SUBJID", "Subject Identifier for the Study", core="Req", origin="Assigned"),
        _v("RFSTDTC", "Subject Reference Start Date/Time", "date", "Exp", origin="Derived"),
        _v("RFENDTC", "Subject Reference End Date/Time", "date", "Exp", origin="Derived"),
        _v("RFXSTDTC", "Date/Time of First Study Treatment", "date", "Exp", origin="Derived"),
        _v("RFXENDTC", "Date/Time of Last Study Treatment", "date", "Exp", origin="Derived"),
        _v("SITEID", "Study Site Identifier", core="Req", origin="Assigned"),
        _v("AGE", "Age", "integer", "Exp", origin="Derived"),
        _v("AGEU", "Age Units", core="Exp", origin="Assigned", codelist="AGEU"),
        _v("SEX", "Sex", core="Req", origin="Assigned", codelist="SEX"),
        _v("ARMCD", "Planned Arm Code", core="Exp", origin="Assigned", codelist="ARMCD"),
        _v("ARM", "Description of Planned Arm", core="Exp", origin="Assigned", codelist="ARM"),
        _v("ACTARMCD", "Actual Arm Code", core="Exp", origin="Derived", codelist="ARMCD"),
        _v("ACTARM", "Description of Actual Arm", core="Exp", origin="Derived", codelist="ARM"),
        _v("ARMNRS", "Reason Arm and/or Actual Arm is Null", core="Exp", origin="Assigned"),
        _v("COUNTRY", "Country", core="Req", origin="Assigned", codelist="COUNTRY"),
    ),
    klass="SPECIAL PURPOSE",
)

EX = Dataset(
    "EX",
    "Exposure",
    "One record per constant dosing interval per subject",
    ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"),
    (
        *_ids("EX"),
        _v("EXSPID", "Sponsor-Defined Identifier", origin="Assigned"),
        _v("EXTRT", "Name of Treatment", core="Req", origin="Assigned", codelist="EXTRT"),
        _v("EXDOSE", "Dose", "float", "Exp", origin="Collected"),
        _v("EXDOSU", "Dose Units", core="Exp", origin="Assigned", codelist="UNIT"),
        _v("EXDOSFRM", "Dose Form", core="Exp", origin="Assigned", codelist="FRM"),
        _v("EXDOSFRQ", "Dosing Frequency per Interval", origin="Assigned", codelist="FREQ"),
        _v("EXROUTE", "Route of Administration", origin="Assigned", codelist="ROUTE"),
        _v("EPOCH", "Epoch", origin="Derived", codelist="EPOCH"),
        _v("EXSTDTC", "Start Date/Time of Treatment", "date", "Exp"),
        _v("EXENDTC", "End Date/Time of Treatment", "date", "Exp"),
        _v("EXSTDY", "Study Day of Start of Treatment", "integer", origin="Derived"),
        _v("EXENDY", "Study Day of End of Treatment", "integer", origin="Derived"),
    ),
    klass="INTERVENTIONS",
)

QS = Dataset(
    "QS",
    "Questionnaires",
    "One record per questionnaire per question per time point per visit per subject",
    ("STUDYID", "USUBJID", "QSCAT", "QSTESTCD", "QSDTC", "QSSPID"),
    (
        *_ids("QS"),
        _v("QSSPID", "Sponsor-Defined Identifier", origin="Assigned"),
        _v("QSTESTCD", "Question Short Name", core="Req", origin="Assigned", codelist="QSTESTCD"),
        _v("QSTEST", "Question Name", core="Req", origin="Assigned", codelist="QSTEST"),
        _v("QSCAT", "Category of Question", core="Req", origin="Assigned", codelist="QSCAT"),
        _v("QSSCAT", "Subcategory for Question", origin="Assigned"),
        _v("QSORRES", "Finding in Original Units", core="Exp"),
        _v("QSSTRESC", "Character Result/Finding in Std Format", core="Exp", origin="Derived"),
        _v("QSSTRESN", "Numeric Finding in Standard Units", "float", origin="Derived"),
        _v("QSSTAT", "Completion Status", origin="Derived", codelist="ND"),
        _v("QSREASND", "Reason Not Performed", origin="Derived"),
        _v("QSDRVFL", "Derived Flag", origin="Assigned", codelist="NY"),
        _v("EPOCH", "Epoch", origin="Derived", codelist="EPOCH"),
        _v("QSDTC", "Date/Time of Finding", "datetime", "Exp"),
        _v("QSDY", "Study Day of Finding", "integer", "Perm", origin="Derived"),
    ),
    klass="FINDINGS",
)

FA = Dataset(
    "FA",
    "Findings About Events or Interventions",
    "One record per finding, per object, per time point, per visit per subject",
    ("STUDYID", "USUBJID", "FAOBJ", "FATESTCD", "FADTC", "FASPID", "FACAT"),
    (
        *_ids("FA"),
        _v("FAGRPID", "Group ID", origin="Assigned"),
        _v("FASPID", "Sponsor-Defined Identifier", origin="Assigned"),
        _v("FATESTCD", "Findings About Test Short Name", core="Req", codelist="FATESTCD"),
        _v("FATEST", "Findings About Test Name", core="Req", codelist="FATEST"),
        _v("FAOBJ", "Object of the Observation", core="Req", origin="Assigned"),
        _v("FACAT", "Category for Findings About", origin="Assigned", codelist="FACAT"),
        _v("FAORRES", "Result or Finding in Original Units", core="Exp"),
        _v("FAORRESU", "Original Units", core="Exp", origin="Assigned", codelist="UNIT"),
        _v("FASTRESC", "Character Result/Finding in Std Format", core="Exp", origin="Derived"),
        _v(
            "FASTRESN", "Numeric Result/Finding in Standard Units", "float", "Exp", origin="Derived"
        ),
        _v("FASTRESU", "Standard Units", core="Exp", origin="Derived", codelist="UNIT"),
        _v("FASTAT", "Completion Status", origin="Derived", codelist="ND"),
        _v("FAREASND", "Reason Not Performed", origin="Derived"),
        _v("FAEVAL", "Evaluator", origin="Assigned", codelist="EVAL"),
        _v("EPOCH", "Epoch", origin="Derived", codelist="EPOCH"),
        _v("FADTC", "Date/Time of Collection", "datetime", "Exp"),
        _v("FADY", "Study Day of Collection", "integer", origin="Derived"),
        _v("FASTDTC", "Start Date/Time of Observation", "datetime", origin="Derived"),
        _v("FAENDTC", "End Date/Time of Observation", "datetime", origin="Derived"),
    ),
    klass="FINDINGS ABOUT",
)

AE = Dataset(
    "AE",
    "Adverse Events",
    "One record per adverse event per subject",
    ("STUDYID", "USUBJID", "AETERM", "AESTDTC"),
    (
        *_ids("AE"),
        _v("AESPID", "Sponsor-Defined Identifier", origin="Assigned"),
        _v("AETERM", "Reported Term for the Adverse Event", core="Req"),
        _v("AELLT", "Lowest Level Term", core="Exp", origin="Assigned"),
        _v("AELLTCD", "Lowest Level Term Code", "integer", "Exp", origin="Assigned"),
        _v("AEDECOD", "Dictionary-Derived Term", core="Req", origin="Assigned"),
        _v("AEPTCD", "Preferred Term Code", "integer", "Exp", origin="Assigned"),
        _v("AEBODSYS", "Body System or Organ Class", core="Exp", origin="Assigned"),
        _v("AEBDSYCD", "Body System or Organ Class Code", "integer", "Exp", origin="Assigned"),
        _v("AESOC", "Primary System Organ Class", core="Exp", origin="Assigned"),
        _v("AESOCCD", "Primary System Organ Class Code", "integer", "Exp", origin="Assigned"),
        _v("AESER", "Serious Event", core="Exp", codelist="NY"),
        _v("AEACN", "Action Taken with Study Treatment", core="Exp", codelist="ACN"),
        _v("AEREL", "Causality", core="Exp"),
        _v("AEOUT", "Outcome of Adverse Event", origin="Derived", codelist="OUT"),
        _v("AETOXGR", "Standard Toxicity Grade", origin="Derived", codelist="TOXGR"),
        _v("EPOCH", "Epoch", origin="Derived", codelist="EPOCH"),
        _v("AESTDTC", "Start Date/Time of Adverse Event", "datetime", "Exp", origin="Derived"),
        _v("AEENDTC", "End Date/Time of Adverse Event", "datetime", "Exp", origin="Derived"),
        _v("AESTDY", "Study Day of Start of Adverse Event", "integer", origin="Derived"),
        _v("AEENDY", "Study Day of End of Adverse Event", "integer", origin="Derived"),
    ),
    klass="EVENTS",
)

RELREC = Dataset(
    "RELREC",
    "Related Records",
    "One record per related record, group of records or dataset",
    ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELID"),
    (
        _v("STUDYID", "Study Identifier", core="Req", origin="Assigned"),
        _v("RDOMAIN", "Related Domain Abbreviation", core="Req", origin="Assigned"),
        _v("USUBJID", "Unique Subject Identifier", core="Exp", origin="Assigned"),
        _v("IDVAR", "Identifying Variable", core="Req", origin="Assigned"),
        _v("IDVARVAL", "Identifying Variable Value", core="Exp", origin="Assigned"),
        _v("RELTYPE", "Relationship Type", core="Exp", origin="Assigned"),
        _v("RELID", "Relationship Identifier", core="Req", origin="Assigned"),
    ),
    klass="RELATIONSHIP",
)


def _supp(parent: str, label: str) -> Dataset:
    return Dataset(
        f"SUPP{parent}",
        f"Supplemental Qualifiers for {parent}",
        "One record per IDVAR, IDVARVAL, and QNAM value per subject",
        ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
        (
            _v("STUDYID", "Study Identifier", core="Req", origin="Assigned"),
            _v("RDOMAIN", "Related Domain Abbreviation", core="Req", origin="Assigned"),
            _v("USUBJID", "Unique Subject Identifier", core="Req", origin="Assigned"),
            _v("IDVAR", "Identifying Variable", core="Exp", origin="Assigned"),
            _v("IDVARVAL", "Identifying Variable Value", core="Exp", origin="Assigned"),
            _v("QNAM", "Qualifier Variable Name", core="Req", origin="Assigned"),
            _v("QLABEL", "Qualifier Variable Label", core="Req", origin="Assigned"),
            _v("QVAL", "Data Value", core="Req"),
            _v("QORIG", "Origin", core="Req", origin="Assigned"),
            _v("QEVAL", "Evaluator", core="Exp", origin="Assigned"),
        ),
        domain=parent,
        klass="RELATIONSHIP",
    )


SUPPQS = _supp("QS", "Questionnaires")
SUPPAE = _supp("AE", "Adverse Events")

# The order of the datasets in the archive and in define.xml.
DATASETS: tuple[Dataset, ...] = (DM, EX, QS, FA, AE, RELREC, SUPPQS, SUPPAE)
BY_NAME: Mapping[str, Dataset] = MappingProxyType({d.name: d for d in DATASETS})

# Supplemental qualifiers ToxWatch writes: (QNAM, QLABEL, origin) [D].
SUPP_QUALIFIERS: Mapping[str, tuple[tuple[str, str, str], ...]] = MappingProxyType(
    {
        "QS": (
            ("QSITMSET", "PRO-CTCAE Item Set", "Assigned"),
            ("QSDUEDTC", "Scheduled Due Date", "Derived"),
            ("QSINSTV", "Instrument Version", "Assigned"),
        ),
        "AE": (("AECTCV", "CTCAE Version", "Assigned"),),
    }
)

# --- controlled terms ------------------------------------------------------------------------

# CDISC UNIT (C71620) submission values ToxWatch writes [S]; a unit outside this list is a bug.
UNITS: frozenset[str] = frozenset(
    {"%", "C", "F", "kg", "mg", "mg/kg", "g/dL", "mmol/L", "h", "msec", "10^6/L"}
)
EPOCHS = ("SCREENING", "TREATMENT")  # CDISC EPOCH (C99079) [S]
SEX_UNKNOWN = "U"  # CDISC SEX (C66731) [S]: ToxWatch does not collect sex

# Country (ISO 3166-1 alpha-3, DM.COUNTRY) of a clinic, from its IANA time zone [D]: ToxWatch
# stores no country. A zone missing here leaves COUNTRY empty (the checks then fail loudly).
COUNTRY_BY_TIMEZONE: Mapping[str, str] = MappingProxyType(
    {
        "Europe/London": "GBR",
        "Europe/Dublin": "IRL",
        "Europe/Paris": "FRA",
        "Europe/Berlin": "DEU",
        "Europe/Madrid": "ESP",
        "Europe/Rome": "ITA",
        "Europe/Amsterdam": "NLD",
        "Europe/Brussels": "BEL",
        "Europe/Zurich": "CHE",
        "Europe/Vienna": "AUT",
        "Europe/Lisbon": "PRT",
        "Europe/Copenhagen": "DNK",
        "Europe/Stockholm": "SWE",
        "Europe/Oslo": "NOR",
        "Europe/Helsinki": "FIN",
        "Europe/Warsaw": "POL",
        "Asia/Tokyo": "JPN",
        "America/New_York": "USA",
        "America/Chicago": "USA",
        "America/Denver": "USA",
        "America/Los_Angeles": "USA",
        "America/Toronto": "CAN",
        "Australia/Sydney": "AUS",
        "UTC": "",
    }
)


def country(timezone: str) -> str:
    return COUNTRY_BY_TIMEZONE.get(timezone, "")


@dataclass(frozen=True, slots=True)
class Treatment:
    """How a drug is recorded in EX and DM (ARMCD at most 20 characters)."""

    armcd: str
    arm: str
    extrt: str
    dose_form: str
    route: str
    dose_unit: str


# [S]: CDISC FRM (C66726), ROUTE (C66729) submission values; the drugs' forms and routes from
# reference.md §3 (T-DXd IV every 3 weeks, the TKIs oral tablets).
TREATMENTS: Mapping[str, Treatment] = MappingProxyType(
    {
        "trastuzumab_deruxtecan": Treatment(
            "TDXD",
            "Trastuzumab deruxtecan",
            "TRASTUZUMAB DERUXTECAN",
            "INJECTION, POWDER, LYOPHILIZED, FOR SOLUTION",
            "INTRAVENOUS",
            "mg/kg",
        ),
        "zongertinib": Treatment(
            "ZONG", "Zongertinib", "ZONGERTINIB", "TABLET, FILM COATED", "ORAL", "mg"
        ),
        "sevabertinib": Treatment(
            "SEVA", "Sevabertinib", "SEVABERTINIB", "TABLET, FILM COATED", "ORAL", "mg"
        ),
        "other": Treatment("OTHER", "Other anticancer therapy", "OTHER", "", "", ""),
    }
)


def dose_of(level_code: str) -> tuple[float | None, str]:
    """(dose per administration, frequency) of a dose level code: ``120_mg_qd`` -> (120, QD);
    ``5.4_mg_kg`` -> (5.4, Q3W) for the infusion; ``as_prescribed`` -> (None, '')."""
    parts = level_code.split("_")
    try:
        amount = float(parts[0])
    except ValueError:
        return None, ""
    frequency = {"qd": "QD", "bid": "BID"}.get(parts[-1], "Q3W" if parts[-1] == "kg" else "")
    return amount, frequency


# --- the --TESTCD mapping table and MedDRA ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Test:
    domain: str
    source: str
    key: str
    testcd: str
    test: str
    unit: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("clinicians.exports").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


@cache
def tests() -> tuple[Test, ...]:
    return tuple(
        Test(r["domain"], r["source"], r["key"], r["testcd"], r["test"], r["unit"])
        for r in _rows("sdtm_tests.tsv")
    )


@cache
def test_for(domain: str, key: str) -> Test:
    """The mapping row of a QS item (its code) or score (``score:<code>``), or of an FA field
    name, ``ctcae_grade`` or ``episode_worst_grade``. KeyError when the table lacks it."""
    for row in tests():
        if row.domain == domain and row.key == key:
            return row
    raise KeyError((domain, key))


@dataclass(frozen=True, slots=True)
class PreferredTerm:
    pt: str
    soc: str


@cache
def preferred_terms() -> Mapping[str, PreferredTerm]:
    return MappingProxyType(
        {r["term"]: PreferredTerm(r["pt"], r["soc"]) for r in _rows("meddra_pt.tsv")}
    )


# --- study days and epochs ---------------------------------------------------------------------


def study_day(on: date, reference: date | None) -> int | None:
    """SDTMIG --DY: days from RFSTDTC, day 1 being the reference day itself; no day 0."""
    if reference is None:
        return None
    days = (on - reference).days
    return days + 1 if days >= 0 else days


def epoch(on: date, first_dose: date | None) -> str:
    """SCREENING before the first dose, TREATMENT from it on [D]; empty without a dose."""
    if first_dose is None:
        return ""
    return "TREATMENT" if on >= first_dose else "SCREENING"


def round_result(value: float | int) -> float | int:
    """Results are written to 2 decimals (scores 73.33, not 73.33333333333334) [D]."""
    if isinstance(value, int):
        return value
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded
